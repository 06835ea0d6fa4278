"""An unexpected exception in a provider: a modelled 500, no traceback on the wire, nothing half-written."""

from __future__ import annotations

import json
import logging

import cbor2
import pytest

from codestar_local.app import App, Request

TARGET = "com.amazonaws.codestar.connections.CodeStar_connections_20191201."


def call(app, op, body, target=TARGET):
    return app.handle(Request("POST", "/", {"x-amz-target": target + op}, json.dumps(body).encode()))


@pytest.fixture
def app():
    a = App("memory")
    yield a
    a.close()


def test_provider_crash_is_a_500_without_traceback_and_rolls_back(app, monkeypatch, caplog):
    provider = app.providers["codestar-connections"]
    real_insert_calls = []

    def half_then_crash(ctx, params):
        # Write something, then fail: the transaction must leave no trace of it.
        ctx.tx.insert("connection", "arn:aws:codestar-connections:us-east-1:000000000000:connection/x", "000000000000",
                      "us-east-1", {"ConnectionName": "half"})
        real_insert_calls.append(1)
        raise KeyError("boom")

    monkeypatch.setitem(app._methods, ("codestar-connections", "CreateConnection"), half_then_crash)
    with caplog.at_level(logging.ERROR, logger="codestar_local"):
        resp = call(app, "CreateConnection", {"ConnectionName": "c", "ProviderType": "GitHub"})
    assert real_insert_calls == [1]
    assert resp.status == 500
    body = json.loads(resp.body)
    assert body["__type"].endswith("#InternalFailure")
    assert "Traceback" not in body["message"] and "boom" not in body["message"]
    headers = dict(resp.headers)
    request_id = headers[b"x-amzn-RequestId"].decode()
    assert headers[b"x-amzn-ErrorType"] == b"InternalFailure"
    assert request_id in body["message"]
    # The traceback is in the server's log, with the request id.
    assert any(request_id in r.getMessage() and r.exc_info for r in caplog.records)
    listed = json.loads(call(app, "ListConnections", {}).body)
    assert listed["Connections"] == []
    # The server keeps answering.
    monkeypatch.setitem(app._methods, ("codestar-connections", "CreateConnection"), provider.create_connection)
    assert call(app, "CreateConnection", {"ConnectionName": "c", "ProviderType": "GitHub"}).status == 200


def test_provider_crash_over_cbor(app, monkeypatch):
    def crash(ctx, params):
        raise RuntimeError("boom")

    monkeypatch.setitem(app._methods, ("codeconnections", "ListHosts"), crash)
    resp = app.handle(
        Request("POST", "/service/CodeConnections_20231201/operation/ListHosts",
                {"smithy-protocol": "rpc-v2-cbor", "content-type": "application/cbor"}, cbor2.dumps({}))
    )
    assert resp.status == 500
    body = cbor2.loads(resp.body)
    assert body["__type"].endswith("#InternalFailure")
    assert "boom" not in body["Message"]
    assert dict(resp.headers)[b"Content-Type"] == b"application/cbor"
