"""Every request captured from real clients (tests/data/wire, a copy of ../shared/wire) routes to the right operation.

Per-client files hold one request per line; error-matrix.jsonl lines hold a list
of requests. The captures were made with access key AKIAIOSFODNN7EXAMPLE (not 12
digits, so the default account) in us-east-1.
"""

from __future__ import annotations

import glob
import http.client
import json
import os
import urllib.parse

import cbor2
import pytest

from codestar_local import auth, routing, spec

# A copy of ../shared/wire lives in tests/data/wire so the test runs from any checkout.
WIRE = os.environ.get("CODESTAR_LOCAL_WIRE", os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "wire"))
FILES = sorted(glob.glob(os.path.join(WIRE, "*.jsonl")))


def lower(headers) -> dict:
    return {name.lower(): value for name, value in headers}


def vectors():
    """(id, record, request) for every captured request."""
    out = []
    for path in FILES:
        name = os.path.basename(path)
        with open(path) as f:
            for n, line in enumerate(f, 1):
                record = json.loads(line)
                for k, request in enumerate(record.get("requests", [record])):
                    out.append((f"{name}:{n}" + (f".{k}" if "requests" in record else ""), record, request))
    return out


VECTORS = vectors()


def expected(record, request):
    """(service name, operation) the capture was made for."""
    if "requests" not in record:
        return record["signing_service"], record["operation"]
    # error-matrix: 'codeconnections(cbor)' etc.; GetConnection for connections, DescribeProject for codestar.
    service = record["service"].split("(")[0]
    return service, "DescribeProject" if service == "codestar" else "GetConnection"


def test_the_captures_are_there():
    assert len(FILES) >= 9
    assert len(VECTORS) >= 150


@pytest.mark.parametrize("vid,record,request_", VECTORS, ids=[v[0] for v in VECTORS])
def test_route(vid, record, request_):
    headers = lower(request_["headers"])
    service_name, op_name = expected(record, request_)
    r = routing.route(request_["method"], request_["path"], headers)
    assert r.service.name == service_name
    assert r.service.signing_name == service_name
    assert r.operation.name == op_name
    if "target_prefix" in record:
        # The namespaced (boto3) and bare (JS) prefixes both name the service.
        assert r.service.target_prefix.endswith(record["target_prefix"])
        assert r.codec.name == "json"
    if "cbor_service_segment" in record:
        assert record["cbor_service_segment"].rsplit(".", 1)[-1] == r.service.target_name
        assert r.codec.name == "cbor"
    if request_["path"].startswith("/service/"):
        assert r.codec.name == "cbor"
    else:
        assert headers["x-amz-target"].endswith("." + op_name)


@pytest.mark.parametrize("vid,record,request_", VECTORS, ids=[v[0] for v in VECTORS])
def test_caller(vid, record, request_):
    headers = lower(request_["headers"])
    service_name, _ = expected(record, request_)
    c = auth.caller(headers)
    assert (c.account, c.region) == ("000000000000", "us-east-1")
    assert c.access_key == "AKIAIOSFODNN7EXAMPLE"
    assert c.scope_service == service_name
    auth.check_scope(c, spec.services()[service_name])  # does not raise


@pytest.mark.parametrize("vid,record,request_", VECTORS, ids=[v[0] for v in VECTORS])
def test_body_decodes(vid, record, request_):
    """The captured body bytes decode with the routed codec into what the client meant."""
    r = routing.route(request_["method"], request_["path"], lower(request_["headers"]))
    body = bytes.fromhex(request_["body_hex"])
    decoded = r.codec.decode(body)
    assert isinstance(decoded, dict)
    if "body_json" in request_:
        assert decoded == request_["body_json"]
    elif body:
        assert decoded == cbor2.loads(body)


# -- replay through a running server -------------------------------------------------
CONNECTION_OPS = {"CreateConnection", "GetConnection", "ListConnections", "CreateHost", "ListHosts",
                  "TagResource", "UntagResource", "ListTagsForResource"}


def replayable():
    out = []
    for vid, record, request in VECTORS:
        if "requests" in record or record["signing_service"] == "codestar":
            continue
        if record["operation"] in CONNECTION_OPS:
            out.append((vid, record, request))
    return out


REPLAY = replayable()


def substitute(value, arns: dict):
    """Put this test's own ARNs where the capture had made-up ones."""
    if isinstance(value, dict):
        return {k: substitute(v, arns) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, arns) for v in value]
    if isinstance(value, str) and value.startswith("arn:"):
        return arns["host"] if ":host/" in value else arns["connection"]
    return value


def test_replay_covers_both_protocols_and_all_clients():
    clients = {r["client"] for _, r, _ in REPLAY}
    assert {"boto3-codestar-connections", "boto3-codeconnections", "boto3-codeconnections-forced-cbor", "awscli1", "js-sdk-v3"} <= clients


def send(endpoint_url, method, path, headers, body):
    url = urllib.parse.urlsplit(endpoint_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.request(method, path, body, headers)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


# What each replayed operation must answer with.
ANSWER_KEYS = {
    "CreateConnection": {"ConnectionArn", "Tags"},
    "GetConnection": {"Connection"},
    "ListConnections": {"Connections"},
    "CreateHost": {"HostArn", "Tags"},
    "ListHosts": {"Hosts"},
    "TagResource": set(),
    "UntagResource": set(),
    "ListTagsForResource": {"Tags"},
}


@pytest.mark.parametrize("vid,record,request_", REPLAY, ids=[v[0] for v in REPLAY])
def test_replay(server, account, vid, record, request_):
    """Send the captured headers and body (with this test's ARNs and account); the server answers 200."""
    service = record["signing_service"]
    connection = server.client(service, account=account).create_connection(ProviderType="GitHub", ConnectionName="replay")
    arns = {"connection": connection["ConnectionArn"], "host": None}
    headers = {
        name: value.replace("AKIAIOSFODNN7EXAMPLE", account)
        for name, value in request_["headers"]
        if name.lower() not in ("host", "content-length")
    }
    raw = bytes.fromhex(request_["body_hex"])
    cbor = request_["path"].startswith("/service/")
    if cbor:
        body = cbor2.dumps(substitute(cbor2.loads(raw), arns))
    else:
        body = json.dumps(substitute(json.loads(raw), arns)).encode()
    status, headers_out, answer = send(server.endpoint_url, request_["method"], request_["path"], headers, body)
    assert status == 200, answer
    assert "x-amzn-requestid" in headers_out
    if cbor:
        assert headers_out["content-type"] == "application/cbor"
        decoded = cbor2.loads(answer)
    else:
        assert headers_out["content-type"] == "application/x-amz-json-1.0"
        decoded = json.loads(answer)
    assert set(decoded) == ANSWER_KEYS[record["operation"]]
    if record["operation"] == "GetConnection":
        assert decoded["Connection"]["ConnectionArn"] == arns["connection"]
    if record["operation"] == "ListConnections":
        # Every captured list asks for GitHub connections or for all of them.
        assert arns["connection"] in [c["ConnectionArn"] for c in decoded["Connections"]]
    if record["operation"] == "CreateConnection":
        assert decoded["ConnectionArn"].startswith(f"arn:aws:{service}:us-east-1:{account}:connection/")
