"""A write that keeps losing to concurrent ones (store.Conflict) runs WRITE_ATTEMPTS times, then gets the
operation's own concurrency error where its model has one, else a 500 InternalFailure; nothing is half-written."""

from __future__ import annotations

import contextlib
import json

from codestar_local.app import WRITE_ATTEMPTS, App
from codestar_local.messages import Request
from codestar_local.store import Conflict
from codestar_local.store.sqlite import SqliteStore

TARGET = "com.amazonaws.codestar.connections.CodeStar_connections_20191201."


class Losing(SqliteStore):
    """Memory SQLite whose writes lose `losses` times, each after the provider ran."""

    def __init__(self, losses, at_start=False):
        super().__init__("memory")
        self.losses = losses
        self.at_start = at_start  # lose at the first statement (a lock wait), before the provider runs
        self.attempts = 0

    @contextlib.contextmanager
    def write(self, account=None):
        self.attempts += 1
        if self.at_start and self.attempts <= self.losses:
            raise Conflict("deadlock detected")
        with super().write(account) as tx:
            yield tx
            if self.attempts <= self.losses:
                raise Conflict("could not serialize access due to concurrent update")


def call(app, operation, body, account="123456789012"):
    headers = {"content-type": "application/x-amz-json-1.0", "x-amz-target": TARGET + operation,
               "authorization": f"AWS4-HMAC-SHA256 Credential={account}/20261204/us-east-1/codestar-connections/aws4_request, SignedHeaders=host, Signature=0"}
    r = app.handle(Request("POST", "/", headers, json.dumps(body).encode()))
    return r.status, json.loads(r.body)


def test_conflicts_are_retried_then_succeed():
    store = Losing(WRITE_ATTEMPTS - 1)
    app = App(store)
    status, body = call(app, "CreateConnection", {"ProviderType": "GitHub", "ConnectionName": "c"})
    assert status == 200 and store.attempts == WRITE_ATTEMPTS
    status, listed = call(app, "ListConnections", {})
    assert [c["ConnectionArn"] for c in listed["Connections"]] == [body["ConnectionArn"]]  # once, not once per attempt


def test_exhausted_retries_answer_a_500_and_store_nothing():
    store = Losing(WRITE_ATTEMPTS)
    app = App(store)
    status, body = call(app, "CreateConnection", {"ProviderType": "GitHub", "ConnectionName": "c"})
    assert (status, body["__type"].rsplit("#", 1)[-1]) == (500, "InternalFailure")
    assert "retry" in body["message"]
    assert call(app, "ListConnections", {})[1]["Connections"] == []


def test_exhausted_retries_use_the_modelled_errors():
    store = Losing(10**6, at_start=True)
    app = App(store)
    services = app.services["codestar-connections"]
    assert "ConcurrentModificationException" in services.operations["DeleteSyncConfiguration"].errors
    status, body = call(app, "DeleteSyncConfiguration", {"ResourceName": "n", "SyncType": "CFN_STACK_SYNC"})
    assert (status, body["__type"].rsplit("#", 1)[-1]) == (400, "ConcurrentModificationException"), body
    # No concurrency error in its model, a server error: InternalServerException, with the status FACTS gives it.
    assert "ConcurrentModificationException" not in services.operations["UpdateSyncBlocker"].errors
    status, body = call(app, "UpdateSyncBlocker", {"Id": "b", "ResolvedReason": "r", "ResourceName": "n", "SyncType": "CFN_STACK_SYNC"})
    assert body["__type"].rsplit("#", 1)[-1] == "InternalServerException", body
    assert status >= 500
