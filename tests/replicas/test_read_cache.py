"""The PostgreSQL store's read cache (store/postgres.py): reads that arrive together are answered with one check of
their accounts' versions, and a write acknowledged by any replica is seen by every other replica's next read."""

from __future__ import annotations

import pytest
from bursts import burst, raw
from pg import fresh_database

from codestar_local.app import App
from codestar_local.testing.server import ThreadServer

ACCOUNT = "720000000001"


@pytest.fixture
def two_replicas():
    with fresh_database() as url:
        a = ThreadServer(App(url)).start()
        b = ThreadServer(App(url)).start()
        try:
            yield a, b
        finally:
            a.stop()
            b.stop()


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

    def broken(accounts):
        raise OSError("connection refused")

    monkeypatch.setattr(a.app.store, "cached_reads", broken)
    answers = burst(a, [raw("GetConnection", {"ConnectionArn": arn}, ACCOUNT)] * 6)
    assert [status for status, _ in answers] == [200] * 6
