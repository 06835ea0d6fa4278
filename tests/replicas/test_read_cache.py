"""The PostgreSQL store's read cache (store/postgres.py): reads that arrive together are answered with one check of
their accounts' versions, and a write acknowledged by any replica is seen by every other replica's next read."""

from __future__ import annotations

import contextlib
import json

import boto3
import pytest
from bursts import burst, raw
from pg import fresh_database

from codestar_local.app import App, Config
from codestar_local.testing.server import ThreadServer

ACCOUNT = "720000000001"


@contextlib.contextmanager
def replicas(config: Config | None = None):
    """Two servers on one fresh database."""
    with fresh_database() as url:
        a = ThreadServer(App(url, Config(**vars(config or Config())))).start()
        b = ThreadServer(App(url, Config(**vars(config or Config())))).start()
        try:
            yield a, b
        finally:
            a.stop()
            b.stop()


@pytest.fixture
def two_replicas():
    with replicas() as both:
        yield both


def test_a_replica_sees_another_replicas_delete_in_its_next_batch_of_reads(two_replicas):
    a, b = two_replicas
    arn = a.client("codestar-connections", account=ACCOUNT).create_connection(
        ProviderType="GitHub", ConnectionName="cached")["ConnectionArn"]
    get = raw("GetConnection", {"ConnectionArn": arn}, ACCOUNT)
    for _ in range(2):  # the row is in A's cache now
        assert [status for status, _ in burst(a, [get] * 8)] == [200] * 8
    b.client("codestar-connections", account=ACCOUNT).delete_connection(ConnectionArn=arn)
    answers = burst(a, [get] * 8)
    assert {body["__type"].rpartition("#")[2] for _, body in answers} == {"ResourceNotFoundException"}


def test_a_replica_sees_another_replicas_new_tags_and_other_accounts_writes_do_not_matter(two_replicas):
    a, b = two_replicas
    client_a = a.client("codestar-connections", account=ACCOUNT)
    arn = client_a.create_connection(ProviderType="GitHub", ConnectionName="tagged")["ConnectionArn"]
    get = raw("GetConnection", {"ConnectionArn": arn}, ACCOUNT)
    burst(a, [get] * 8)
    b.client("codestar-connections", account="720000000002").create_connection(ProviderType="GitHub", ConnectionName="other")
    assert [status for status, _ in burst(a, [get] * 8)] == [200] * 8
    b.client("codestar-connections", account=ACCOUNT).delete_connection(ConnectionArn=arn)
    arn2 = b.client("codestar-connections", account=ACCOUNT).create_connection(
        ProviderType="GitHub", ConnectionName="again", Tags=[{"Key": "k", "Value": "v"}])["ConnectionArn"]
    tags = raw("ListTagsForResource", {"ResourceArn": arn2}, ACCOUNT)
    answers = burst(a, [tags] * 4 + [get] * 4)
    assert [body["Tags"] for _, body in answers[:4]] == [[{"Key": "k", "Value": "v"}]] * 4
    assert {body["__type"].rpartition("#")[2] for _, body in answers[4:]} == {"ResourceNotFoundException"}


def test_reads_are_answered_when_the_versions_cannot_be_read(two_replicas, monkeypatch):
    a, _ = two_replicas
    arn = a.client("codestar-connections", account=ACCOUNT).create_connection(
        ProviderType="GitHub", ConnectionName="x")["ConnectionArn"]

    def broken(*args):
        raise OSError("connection refused")

    monkeypatch.setattr(a.app.store, "check_versions", broken)
    monkeypatch.setattr(a.app.store, "cached_reads", broken)
    answers = burst(a, [raw("GetConnection", {"ConnectionArn": arn}, ACCOUNT)] * 6)
    assert [status for status, _ in answers] == [200] * 6


KEY = ("AKIACACHEEXAMPLE0001", "cache/Secret/EXAMPLE", "730000000001")


def signed_raw(server, op: str, body: dict) -> bytes:
    """A GetConnection-style call signed for real by botocore, as raw HTTP/1.1 bytes for burst()."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    data = json.dumps(body).encode()
    request = AWSRequest(method="POST", url=f"http://127.0.0.1:{server.port}/", data=data, headers={
        "X-Amz-Target": f"com.amazonaws.codestar.connections.CodeStar_connections_20191201.{op}",
        "Content-Type": "application/x-amz-json-1.0"})
    SigV4Auth(Credentials(KEY[0], KEY[1]), "codestar-connections", "us-east-1").add_auth(request)
    head = "".join(f"{k}: {v}\r\n" for k, v in request.headers.items())
    return (f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n{head}Content-Length: {len(data)}\r\n\r\n").encode() + data


def test_under_verify_reads_are_cached_per_proven_account_and_see_other_replicas_writes(tmp_path):
    keys = tmp_path / "credentials"
    keys.write_text(f"[cache]\naws_access_key_id = {KEY[0]}\naws_secret_access_key = {KEY[1]}\naws_account_id = {KEY[2]}\n")
    config = Config(auth="verify", credentials=str(keys))
    with replicas(config) as (a, b):
        def client(server):
            return boto3.client("codestar-connections", endpoint_url=server.endpoint_url, region_name="us-east-1",
                                aws_access_key_id=KEY[0], aws_secret_access_key=KEY[1])

        arn = client(a).create_connection(ProviderType="GitHub", ConnectionName="verified")["ConnectionArn"]
        assert f":{KEY[2]}:connection/" in arn
        checked = []
        real = a.app.store.check_versions
        a.app.store.check_versions = lambda accounts: (checked.append(set(accounts)), real(accounts))[1]
        get = signed_raw(a, "GetConnection", {"ConnectionArn": arn})
        assert [status for status, _ in burst(a, [get] * 8)] == [200] * 8
        assert {KEY[2]} in checked  # the key's account, from the credentials file, not the key id
        assert [status for status, _ in burst(a, [get] * 8)] == [200] * 8
        at = get.index(b"Signature=") + len(b"Signature=")
        forged = get[:at] + (b"0" if get[at:at + 1] != b"0" else b"1") + get[at + 1:]  # the cache checks signatures too
        assert {(status, body["__type"].rpartition("#")[2]) for status, body in burst(a, [forged] * 4)} == {
            (400, "InvalidSignatureException")}
        client(b).delete_connection(ConnectionArn=arn)
        answers = burst(a, [get] * 8)
        assert {body["__type"].rpartition("#")[2] for _, body in answers} == {"ResourceNotFoundException"}


def test_hits_are_answered_on_the_event_loop_and_misses_and_lists_on_the_read_thread(two_replicas):
    a, _ = two_replicas
    arn = a.client("codestar-connections", account=ACCOUNT).create_connection(
        ProviderType="GitHub", ConnectionName="hot")["ConnectionArn"]
    sent = []
    real = a.app.answer_reads
    a.app.answer_reads = lambda reqs, *args: (sent.append(len(reqs)), real(reqs, *args))[1]
    get = raw("GetConnection", {"ConnectionArn": arn}, ACCOUNT)
    assert [status for status, _ in burst(a, [get] * 4)] == [200] * 4  # the first is a miss: kept on the thread
    sent.clear()
    listing = raw("ListConnections", {}, ACCOUNT)
    answers = burst(a, [get] * 6 + [listing] * 2)
    assert [status for status, _ in answers] == [200] * 8
    assert [len(body["Connections"]) for _, body in answers[6:]] == [1, 1]
    assert sum(sent) == 2  # only the two lists went to the thread
