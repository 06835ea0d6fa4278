"""`serve --auth verify`: real SigV4 from boto3 (JSON and CBOR), the AWS CLI v1 and v2 and the JS SDK v3 verifies on
every service; each way a request can fail gets AWS's error, status and x-amzn-ErrorType; keys rotate without a
restart; the captured wire vectors verify, apart from their clock."""

from __future__ import annotations

import datetime
import glob
import http.client
import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse
from unittest import mock

import boto3
import botocore.auth
import botocore.config
import cbor2
import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from hypothesis import given, settings
from hypothesis import strategies as st
from real_clients import SERVICE_ERROR, clean_env, cli_v2, find_node, run_js
from servers import ROOT, Server

from codestar_local.app import App, Config
from codestar_local.auth import MISMATCH, _epoch
from codestar_local.messages import Request
from codestar_local.spec import models_path

# 12-digit key ids with the secret the other suites' harnesses use, so their JS scripts run here unchanged.
PLAIN = ["515151515151", "525252525252"]
NAMED = ("AKIAVERIFYEXAMPLE001", "verify/Secret+Key/EXAMPLE0001", "333333333333")
TEMPORARY = ("ASIAVERIFYEXAMPLE002", "temporary/Secret/EXAMPLE0002", "444444444444", "FwoGZXIvYXdzEXAMPLEtoken//==")
WIRE = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")  # the secret tests/data/wire was signed with
WIRE_DIR = os.path.join(ROOT, "tests", "data", "wire")

TARGETS = {
    "codestar-connections": ("com.amazonaws.codestar.connections.CodeStar_connections_20191201", "application/x-amz-json-1.0"),
    "codeconnections": ("com.amazonaws.codeconnections.CodeConnections_20231201", "application/x-amz-json-1.0"),
    "codestar": ("CodeStar_20170419", "application/x-amz-json-1.1"),
}
CBOR_PATH = "/service/CodeConnections_20231201/operation/ListConnections"
CBOR_HEADERS = {"Content-Type": "application/cbor", "Accept": "application/cbor", "Smithy-Protocol": "rpc-v2-cbor"}


def credentials_text(extra: str = "") -> str:
    sections = [f"[plain-{k}]\naws_access_key_id = {k}\naws_secret_access_key = secret\n" for k in PLAIN]
    sections.append(f"[named]\naws_access_key_id = {NAMED[0]}\naws_secret_access_key = {NAMED[1]}\naws_account_id = {NAMED[2]}\n")
    sections.append(
        f"[temporary]\naws_access_key_id = {TEMPORARY[0]}\naws_secret_access_key = {TEMPORARY[1]}\n"
        f"aws_account_id = {TEMPORARY[2]}\naws_session_token = {TEMPORARY[3]}\n"
    )
    sections.append(f"[wire]\naws_access_key_id = {WIRE[0]}\naws_secret_access_key = {WIRE[1]}\naws_account_id = 123456789012\n")
    return "\n".join(sections) + extra


@pytest.fixture(scope="module")
def keys_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("keys") / "credentials"
    path.write_text(credentials_text())
    return path


@pytest.fixture(scope="module")
def verified(keys_file):
    s = Server(extra=["--auth", "verify", "--credentials", str(keys_file)])
    yield s
    s.stop()


def client(server, service, key=NAMED, token=None, **kw):
    return boto3.Session().client(
        service,
        endpoint_url=server.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=key[0],
        aws_secret_access_key=key[1],
        aws_session_token=token,
        config=botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"}),
        **kw,
    )


@pytest.fixture(scope="module")
def session():
    """A botocore session that finds the shipped models (codestar is not in today's botocore)."""
    s = boto3.Session()
    s._session.get_component("data_loader").search_paths.insert(0, models_path())
    return s


@pytest.fixture(scope="module")
def cbor_session(tmp_path_factory):
    """codeconnections forced to Smithy RPC v2 CBOR (boto3 picks JSON when a model offers both)."""
    root = tmp_path_factory.mktemp("cbor-models")
    source = os.path.join(models_path(), "codeconnections", "2023-12-01", "service-2.json")
    model = json.load(open(source))
    model["metadata"]["protocols"] = ["smithy-rpc-v2-cbor"]
    model["metadata"]["protocol"] = "smithy-rpc-v2-cbor"
    folder = root / "codeconnections" / "2023-12-01"
    folder.mkdir(parents=True)
    (folder / "service-2.json").write_text(json.dumps(model))
    s = boto3.Session()
    s._session.get_component("data_loader").search_paths.insert(0, str(root))
    return s


def made_client(session, server, service, key=NAMED, token=None):
    return session.client(
        service, endpoint_url=server.endpoint_url, region_name="us-east-1", aws_access_key_id=key[0],
        aws_secret_access_key=key[1], aws_session_token=token,
        config=botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


def error_of(call) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as e:
        call()
    r = e.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Message"]


# -- boto3 ------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("service", ["codestar-connections", "codeconnections"])
def test_boto3_connections_verify(verified, session, service):
    c = made_client(session, verified, service)
    arn = c.create_connection(ProviderType="GitHub", ConnectionName="verified")["ConnectionArn"]
    assert arn.startswith(f"arn:aws:{service}:us-east-1:{NAMED[2]}:connection/"), "the account comes from the credentials file"
    assert c.get_connection(ConnectionArn=arn)["Connection"]["OwnerAccountId"] == NAMED[2]
    assert arn in [x["ConnectionArn"] for x in c.list_connections()["Connections"]]
    wrong = made_client(session, verified, service, key=(NAMED[0], NAMED[1] + "x"))
    assert error_of(lambda: wrong.get_connection(ConnectionArn=arn)) == ("InvalidSignatureException", 400, MISMATCH)


def test_boto3_cbor_verify(verified, cbor_session):
    c = made_client(cbor_session, verified, "codeconnections")
    assert c.meta.service_model.resolved_protocol == "smithy-rpc-v2-cbor"
    arn = c.create_connection(ProviderType="GitLab", ConnectionName="cbor-verified")["ConnectionArn"]
    assert f":{NAMED[2]}:connection/" in arn
    c.tag_resource(ResourceArn=arn, Tags=[{"Key": "k", "Value": "v"}])
    assert c.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "k", "Value": "v"}]
    wrong = made_client(cbor_session, verified, "codeconnections", key=(NAMED[0], "not-the-secret"))
    assert error_of(lambda: wrong.list_connections()) == ("InvalidSignatureException", 400, MISMATCH)
    unknown = made_client(cbor_session, verified, "codeconnections", key=("AKIANOSUCHKEY0000000", NAMED[1]))
    assert error_of(lambda: unknown.list_connections())[:2] == ("UnrecognizedClientException", 403)


def test_boto3_codestar_verify(verified, session):
    c = made_client(session, verified, "codestar")
    c.create_project(name="verified", id="verified-proj")
    described = c.describe_project(id="verified-proj")
    assert described["arn"] == f"arn:aws:codestar:us-east-1:{NAMED[2]}:project/verified-proj"
    c.tag_project(id="verified-proj", tags={"team": "a"})
    assert c.list_tags_for_project(id="verified-proj")["tags"] == {"team": "a"}
    wrong = made_client(session, verified, "codestar", key=(NAMED[0], "wrong"))
    assert error_of(lambda: wrong.list_projects())[:2] == ("InvalidSignatureException", 400)


def test_session_tokens(verified, session):
    ok = made_client(session, verified, "codestar-connections", key=TEMPORARY, token=TEMPORARY[3])
    arn = ok.create_connection(ProviderType="Bitbucket", ConnectionName="temporary")["ConnectionArn"]
    assert f":{TEMPORARY[2]}:connection/" in arn
    without = made_client(session, verified, "codestar-connections", key=TEMPORARY)
    wrong = made_client(session, verified, "codestar-connections", key=TEMPORARY, token=TEMPORARY[3] + "x")
    extra = made_client(session, verified, "codestar-connections", key=NAMED, token="a-token-the-key-does-not-have")
    for c in (without, wrong, extra):
        assert error_of(lambda: c.list_connections()) == (
            "UnrecognizedClientException", 403, "The security token included in the request is invalid.")


# -- each failure, on the wire ----------------------------------------------------------------------------------------

def send(server, method, path, headers, body=b""):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def signed(server, service="codestar-connections", operation="ListConnections", body=b"{}", key=NAMED, scope=None,
           at=None, cbor=False, headers=None):
    """A request signed by botocore, as a real client signs it: (path, headers, body)."""
    if cbor:
        path, hdrs = CBOR_PATH, dict(CBOR_HEADERS)
    else:
        target, content_type = TARGETS[service]
        path, hdrs = "/", {"Content-Type": content_type, "X-Amz-Target": f"{target}.{operation}"}
    hdrs.update(headers or {})
    request = AWSRequest(method="POST", url=f"{server.endpoint_url}{path}", data=body, headers=hdrs)
    signer = SigV4Auth(Credentials(key[0], key[1]), scope or service, "us-east-1")
    if at is None:
        signer.add_auth(request)
    else:
        with mock.patch.object(botocore.auth, "get_current_datetime", return_value=at):
            signer.add_auth(request)
    return path, dict(request.headers.items()), body


def decoded(headers, body):
    return cbor2.loads(body) if headers["content-type"] == "application/cbor" else json.loads(body)


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def stamp(t: datetime.datetime) -> str:
    return t.strftime("%Y%m%dT%H%M%SZ")


def failures(server, cbor):
    """(case, (path, headers, body), error code, status, message or a prefix of it)."""
    sv = "codeconnections" if cbor else "codestar-connections"
    ok = signed(server, sv, cbor=cbor, body=cbor2.dumps({}) if cbor else b"{}")
    path, headers, body = ok
    old, future = utc_now() - datetime.timedelta(minutes=6), utc_now() + datetime.timedelta(minutes=6)
    cases = []
    cases.append(("no authentication", (path, {k: v for k, v in headers.items() if k not in ("Authorization", "X-Amz-Date")}, body),
                  "MissingAuthenticationTokenException", 403, "Missing Authentication Token"))
    cases.append(("unknown key", signed(server, sv, cbor=cbor, key=("AKIANOSUCHKEY0000000", "x"), body=body),
                  "UnrecognizedClientException", 403, "The security token included in the request is invalid."))
    cases.append(("wrong secret", signed(server, sv, cbor=cbor, key=(NAMED[0], "wrong"), body=body),
                  "InvalidSignatureException", 400, MISMATCH))
    tampered = (cbor2.dumps({"MaxResults": 1}) if cbor else b'{"MaxResults": 1}')
    cases.append(("tampered body", (path, headers, tampered), "InvalidSignatureException", 400, MISMATCH))
    if not cbor:
        # Signed as a harmless List, sent as a Delete: the target is a signed header.
        swapped = dict(headers, **{"X-Amz-Target": headers["X-Amz-Target"].replace("ListConnections", "DeleteConnection")})
        cases.append(("tampered signed header", (path, swapped, body), "InvalidSignatureException", 400, MISMATCH))
    else:
        cases.append(("tampered path", (CBOR_PATH.replace("ListConnections", "ListHosts"), headers, body),
                      "InvalidSignatureException", 400, MISMATCH))
    cases.append(("date 6 minutes old", signed(server, sv, cbor=cbor, at=old, body=body), "InvalidSignatureException", 400,
                  f"Signature expired: {stamp(old)} is now earlier than "))
    cases.append(("date 6 minutes ahead", signed(server, sv, cbor=cbor, at=future, body=body), "InvalidSignatureException", 400,
                  f"Signature not yet current: {stamp(future)} is still later than "))
    cases.append(("scope names another service", signed(server, sv, cbor=cbor, scope="codecommit", body=body),
                  "InvalidSignatureException", 400, f"Credential should be scoped to correct service: '{sv}'. "))
    day_before = dict(headers, Authorization=headers["Authorization"].replace(
        f"/{headers['X-Amz-Date'][:8]}/", f"/{stamp(utc_now() - datetime.timedelta(days=1))[:8]}/"))
    cases.append(("scope date differs from X-Amz-Date", (path, day_before, body), "InvalidSignatureException", 400,
                  "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "))
    malformed = dict(headers, Authorization=headers["Authorization"].split(", Signature=")[0])
    cases.append(("no Signature parameter", (path, malformed, body), "IncompleteSignatureException", 400,
                  "Authorization header requires 'Signature' parameter."))
    no_date = {k: v for k, v in headers.items() if k != "X-Amz-Date"}
    cases.append(("no X-Amz-Date", (path, no_date, body), "IncompleteSignatureException", 400,
                  "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."))
    return ok, cases


@pytest.mark.parametrize("cbor", [False, True], ids=["json", "cbor"])
def test_each_failure(verified, cbor):
    ok, cases = failures(verified, cbor)
    status, headers, body = send(verified, "POST", *ok)
    assert status == 200, decoded(headers, body)
    seen = []
    for name, (path, hdrs, body), code, want_status, message in cases:
        status, headers, raw = send(verified, "POST", path, hdrs, body)
        got = decoded(headers, raw)
        assert status == want_status, (name, status, got)
        assert headers["x-amzn-errortype"] == code, (name, headers)
        assert got["__type"].rsplit("#", 1)[-1] == code, (name, got)
        assert got["message"].startswith(message), (name, got["message"])
        assert headers["content-type"] == ("application/cbor" if cbor else "application/x-amz-json-1.0")
        seen.append(name)
    assert len(seen) == len(cases) >= 11


def test_presigned_query_form(verified):
    """The query-string form: botocore's SigV4QueryAuth, the body moved to the query as botocore does for presigning."""
    def presigned(expires=300, at=None, key=NAMED):
        target, content_type = TARGETS["codestar-connections"]
        request = AWSRequest(method="POST", url=f"{verified.endpoint_url}/", data=b"{}",
                             headers={"Content-Type": content_type, "X-Amz-Target": f"{target}.ListConnections"})
        signer = SigV4QueryAuth(Credentials(key[0], key[1]), "codestar-connections", "us-east-1", expires=expires)
        with mock.patch.object(botocore.auth, "get_current_datetime", return_value=at or utc_now()):
            signer.add_auth(request)
        url = urllib.parse.urlsplit(request.url)
        return f"{url.path}?{url.query}", dict(request.headers.items())

    path, headers = presigned()
    assert "X-Amz-Signature=" in path and "Authorization" not in headers
    status, h, body = send(verified, "POST", path, headers)
    assert status == 200, body
    assert "Connections" in json.loads(body)
    forged = path.replace("X-Amz-Signature=", "X-Amz-Signature=0")[: len(path)]
    status, h, body = send(verified, "POST", forged, headers)
    assert (status, json.loads(body)["message"]) == (400, MISMATCH)
    old = utc_now() - datetime.timedelta(seconds=120)
    path, headers = presigned(expires=60, at=old)
    status, h, body = send(verified, "POST", path, headers)
    assert status == 400 and json.loads(body)["message"].startswith(f"Signature expired: {stamp(old)}")
    path, headers = presigned(key=("AKIANOSUCHKEY0000000", "x"))
    assert send(verified, "POST", path, headers)[0] == 403


# -- botocore as the oracle -------------------------------------------------------------------------------------------

AUTH_ERRORS = ("InvalidSignatureException", "UnrecognizedClientException", "IncompleteSignatureException",
               "MissingAuthenticationTokenException")
_VALUE = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=24)
_QUERY_TEXT = st.text(alphabet="abzAZ09-_.~%2F+=", max_size=6)


@settings(max_examples=settings().max_examples * 8)
@given(
    key=st.sampled_from([NAMED, (PLAIN[0], "secret")]),
    extra=st.dictionaries(st.sampled_from(["X-Amz-Meta-One", "X-Custom-Two", "X-Amz-Client-Context"]), _VALUE, max_size=2),
    query=st.lists(st.tuples(_QUERY_TEXT.filter(bool), _QUERY_TEXT), max_size=3),
    body=st.binary(max_size=48) | st.just(b"{}"),
    repeats=st.integers(1, 2),
)
def test_botocore_signatures_verify_and_forgeries_do_not(verified, key, extra, query, body, repeats):
    """Whatever botocore signs (extra signed headers with inner spaces, raw query strings, any body) verifies, again
    when the same request repeats; the same request with one signature digit changed does not. The verifier's
    remembered pieces (scope, header and query canonicalisation, keyed HMAC) must give botocore's answer each time."""
    target, content_type = TARGETS["codestar-connections"]
    url = f"{verified.endpoint_url}/" + ("?" + "&".join(f"{k}={v}" for k, v in query) if query else "")
    hdrs = {"Content-Type": content_type, "X-Amz-Target": f"{target}.ListConnections", **extra}
    request = AWSRequest(method="POST", url=url, data=body, headers=hdrs)
    SigV4Auth(Credentials(key[0], key[1]), "codestar-connections", "us-east-1").add_auth(request)
    path = url[len(verified.endpoint_url):]
    headers = dict(request.headers.items())
    for _ in range(repeats):
        status, h, raw = send(verified, "POST", path, headers, body)
        assert h.get("x-amzn-errortype") not in AUTH_ERRORS, (status, raw, headers)
    auth = headers["Authorization"]
    forged = dict(headers, Authorization=auth[:-1] + ("0" if auth[-1] != "0" else "1"))
    status, h, raw = send(verified, "POST", path, forged, body)
    assert (status, h.get("x-amzn-errortype")) == (400, "InvalidSignatureException"), raw


# -- the captured wire vectors ----------------------------------------------------------------------------------------

def vectors():
    for name in sorted(glob.glob(os.path.join(WIRE_DIR, "*.jsonl"))):
        if "error-matrix" in name:
            continue
        for line in open(name):
            rec = json.loads(line)
            yield os.path.basename(name), rec


def test_wire_vectors_verify_apart_from_their_clock(keys_file, verified):
    """Each captured request (boto3 JSON and CBOR, CLI v1, JS SDK v3), byte for byte. Through App.handle with the
    clock at the capture time it verifies; one byte more in the body and it does not. Over HTTP today, the same
    bytes fail only on the clock, with the capture time in the message."""
    app = App("memory", Config(auth="verify", credentials=str(keys_file)))
    count = 0
    for name, rec in vectors():
        headers = {k.lower(): v for k, v in rec["headers"]}
        path, _, query = rec["path"].partition("?")
        body = bytes.fromhex(rec["body_hex"])
        captured_at = _epoch(headers["x-amz-date"])
        app.clock = lambda: captured_at + 2
        got = app.handle(Request(rec["method"], path, headers, body, query))
        reply = cbor2.loads(got.body) if rec["protocol"] == "smithy-rpc-v2-cbor" else json.loads(got.body or b"{}")
        auth_errors = ("InvalidSignatureException", "UnrecognizedClientException", "IncompleteSignatureException",
                       "MissingAuthenticationTokenException")
        assert str(reply.get("__type", "")).rsplit("#", 1)[-1] not in auth_errors, (name, rec["operation"], reply)
        tampered = app.handle(Request(rec["method"], path, headers, body + b" ", query))
        assert b"InvalidSignatureException" in tampered.body, (name, rec["operation"])
        app.clock = lambda: captured_at + 301
        assert b"Signature expired" in app.handle(Request(rec["method"], path, headers, body, query)).body
        # Over HTTP, now: the clock is all that fails.
        wire_headers = {k: v for k, v in rec["headers"] if k.lower() not in ("host", "content-length", "connection")}
        status, h, raw = send(verified, rec["method"], rec["path"], wire_headers, body)
        message = (cbor2.loads(raw) if rec["protocol"] == "smithy-rpc-v2-cbor" else json.loads(raw))["message"]
        assert status == 400 and message.startswith(f"Signature expired: {headers['x-amz-date']} is now earlier than"), (name, message)
        count += 1
    assert count >= 50


# -- rotation ---------------------------------------------------------------------------------------------------------

def wait_for(check, seconds=5.0):
    deadline = time.monotonic() + seconds
    while True:
        try:
            return check()
        except (AssertionError, pytest.fail.Exception, ClientError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_keys_rotate_without_a_restart(tmp_path, session):
    path = tmp_path / "credentials"
    path.write_text(credentials_text())
    server = Server(extra=["--auth", "verify", "--credentials", str(path)])
    try:
        first = made_client(session, server, "codestar-connections")
        first.list_connections()
        # A new secret for the named key, written as a new file: picked up from its modification time.
        rotated = (NAMED[0], NAMED[1][::-1], NAMED[2])
        path.write_text(credentials_text().replace(NAMED[1], rotated[1]))
        second = made_client(session, server, "codestar-connections", key=rotated)

        def rotated_in():
            assert error_of(first.list_connections)[0] == "InvalidSignatureException"
            second.list_connections()
        wait_for(rotated_in)
        # SIGHUP re-reads even when the file looks unchanged (same size, same modification time).
        third = (NAMED[0], rotated[1].swapcase(), NAMED[2])
        stat = path.stat()
        with open(path, "r+") as f:
            f.write(credentials_text().replace(NAMED[1], third[1]))
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        time.sleep(0.7)  # past the modification-time recheck
        second.list_connections()
        os.kill(server.proc.pid, signal.SIGHUP)
        wait_for(lambda: made_client(session, server, "codestar-connections", key=third).list_connections())
        assert error_of(second.list_connections)[0] == "InvalidSignatureException"
        # A broken file keeps the keys loaded before.
        path.write_text("[broken\n")
        os.kill(server.proc.pid, signal.SIGHUP)
        time.sleep(0.7)
        made_client(session, server, "codestar-connections", key=third).list_connections()
        assert server.proc.poll() is None
    finally:
        server.stop()


def test_sighup_to_a_workers_supervisor_reloads_every_worker(tmp_path, session):
    """--workers 2: SIGHUP to the parent reaches each worker, which re-reads the file; no worker is restarted."""
    path = tmp_path / "credentials"
    path.write_text(credentials_text())
    server = Server(state=str(tmp_path / "state.db"), extra=["--workers", "2", "--auth", "verify", "--credentials", str(path)])
    try:
        workers = worker_pids(server.proc.pid)
        assert len(workers) == 2
        stat = path.stat()
        rotated = (NAMED[0], NAMED[1][::-1], NAMED[2])
        with open(path, "r+") as f:  # same size and modification time: only SIGHUP finds it
            f.write(credentials_text().replace(NAMED[1], rotated[1]))
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        time.sleep(0.7)
        os.kill(server.proc.pid, signal.SIGHUP)

        def everywhere():
            # A new client (new connection) per call, so calls land on both workers.
            for _ in range(12):
                made_client(session, server, "codestar-connections", key=rotated).list_connections()
        wait_for(everywhere)
        assert error_of(made_client(session, server, "codestar-connections").list_connections)[0] == "InvalidSignatureException"
        assert server.proc.poll() is None
        assert worker_pids(server.proc.pid) == workers
    finally:
        server.stop()


def worker_pids(pid: int) -> list[int]:
    """The worker processes of a serve supervisor (multiprocessing's resource tracker is not one), sorted."""
    import pathlib

    out = []
    for task in pathlib.Path(f"/proc/{pid}/task").glob("*"):
        for child in (task / "children").read_text().split():
            if b"resource_tracker" not in pathlib.Path(f"/proc/{child}/cmdline").read_bytes():
                out.append(int(child))
    return sorted(out)


def test_serve_refuses_bad_credentials(tmp_path):
    cli = [sys.executable, "-m", "codestar_local.cli", "serve", "--port", "1", "--state", "memory", "--auth", "verify"]
    done = subprocess.run(cli, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--credentials" in done.stderr
    bad = tmp_path / "bad"
    bad.write_text("[a]\naws_access_key_id = AKIA1\n")
    done = subprocess.run([*cli, "--credentials", str(bad)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "needs aws_access_key_id and aws_secret_access_key" in done.stderr, done.stderr
    bad.write_text("[a]\naws_access_key_id = AKIA1\naws_secret_access_key = s\naws_account_id = 12\n")
    done = subprocess.run([*cli, "--credentials", str(bad)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "aws_account_id must be 12 digits" in done.stderr, done.stderr
    # configparser quotes a bad line; the secret on it must not reach the terminal or the logs.
    bad.write_text("[a]\naws_access_key_id = AKIA1\naws_secret_access_key wJalrXUtnFEMI-not-shown\n")
    done = subprocess.run([*cli, "--credentials", str(bad)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "line 3 is not 'name = value'" in done.stderr, done.stderr
    assert "not-shown" not in done.stderr
    done = subprocess.run([*cli, "--credentials", str(tmp_path / "missing")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "cannot read the credentials file" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


# -- the AWS CLI v1 and v2, and the JS SDK v3 -------------------------------------------------------------------------

CLI_CASES = [
    ("codestar-connections", ["list-connections"], "Connections"),
    ("codeconnections", ["list-connections"], "Connections"),
    ("codestar", ["list-projects"], "projects"),
]


def run_cli(program, env, server, service, args):
    done = subprocess.run([program, service, *args, "--endpoint-url", server.endpoint_url, "--output", "json"],
                          env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    return done.returncode, done.stdout, done.stderr


def cli_env(base: dict, key) -> dict:
    return {**base, "AWS_ACCESS_KEY_ID": key[0], "AWS_SECRET_ACCESS_KEY": key[1], "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_DATA_PATH": models_path()}


@pytest.mark.parametrize("service,args,member", CLI_CASES)
def test_cli_v1_verify(verified, service, args, member, tmp_path):
    program = os.path.join(os.path.dirname(sys.executable), "aws")
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    base.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_PAGER="")
    rc, out, err = run_cli(program, cli_env(base, NAMED), verified, service, args)
    assert rc == 0, err
    assert member in json.loads(out)
    rc, out, err = run_cli(program, cli_env(base, (NAMED[0], "wrong")), verified, service, args)
    assert rc == 255 and "InvalidSignatureException" in err, err


@pytest.fixture(scope="module")
def v2_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("aws-v2-verify")
    (home / "config").write_text("[default]\ncli_pager =\ncli_auto_prompt = off\n")
    return str(home), str(home / "config")


@pytest.mark.parametrize("service,args,member", CLI_CASES)
def test_cli_v2_verify(verified, service, args, member, v2_home):
    program, _ = cli_v2(v2_home)
    base = clean_env(*v2_home)
    rc, out, err = run_cli(program, cli_env(base, NAMED), verified, service, args)
    assert rc == 0, err
    assert member in json.loads(out)
    rc, out, err = run_cli(program, cli_env(base, ("AKIANOSUCHKEY0000000", "x")), verified, service, args)
    assert rc == SERVICE_ERROR and "UnrecognizedClientException" in err, err


def test_js_sdk_verify(verified):
    """The JS SDK's own signer (header names lower-case, x-amz-content-sha256 signed) on the three services."""
    data = run_js(find_node(), verified, "verify.mjs", NAMED[2], extra_env={"CSL_ACCESS_KEY": NAMED[0], "CSL_SECRET": NAMED[1]})
    assert set(data) == {"codestar-connections", "codeconnections", "codestar"}


@pytest.mark.parametrize("script,service", [("operations.mjs", "codestar-connections"), ("operations.mjs", "codeconnections"),
                                            ("codestar.mjs", "codestar")])
def test_js_sdk_suites_under_verify(verified, keys_file, script, service):
    """The JS suites of tests/api, every operation, with each request's signature checked."""
    if service != "codestar":
        run_js(find_node(), verified, script, PLAIN[0] if service != "codeconnections" else PLAIN[1], service)
        return
    # Projects stay CreateInProgress 2 s here, not 0.5: the suite's first DescribeProject must see that state even
    # when a loaded machine takes longer between the create and the describe.
    server = Server(extra=["--auth", "verify", "--credentials", str(keys_file), "--project-seconds", "2"])
    try:
        run_js(find_node(), server, script, PLAIN[0], service, extra_env={"CSL_PROJECT_WAIT_MS": "2300"})
    finally:
        server.stop()
