"""POST /_codestar-local/reset and GET /_codestar-local/requests."""

from __future__ import annotations

import random

import pytest
from control_http import ctl, http, own_server  # noqa: F401  (fixture)


@pytest.fixture
def accounts():
    first, second = random.sample(range(10**11, 10**12), 2)
    return str(first), str(second)


def populate(server, account):
    client = server.client("codestar-connections", account=account)
    conn = client.create_connection(ConnectionName="c", ProviderType="GitHub")["ConnectionArn"]
    host = client.create_host(Name="h", ProviderType="GitLabSelfManaged", ProviderEndpoint=f"https://{account}.example.com")["HostArn"]
    return client, conn, host


def test_reset_one_account_keeps_the_others(own_server, accounts):
    A, B = accounts
    a, a_conn, _ = populate(own_server, A)
    b, b_conn, b_host = populate(own_server, B)
    answer = ctl(own_server, "reset", {"AccountId": A})
    assert answer.status == 200
    assert answer.json == {"reset": True, "AccountId": A}
    assert a.list_connections()["Connections"] == []
    assert a.list_hosts()["Hosts"] == []
    with pytest.raises(a.exceptions.ResourceNotFoundException):
        a.get_connection(ConnectionArn=a_conn)
    assert [c["ConnectionArn"] for c in b.list_connections()["Connections"]] == [b_conn]
    assert [h["HostArn"] for h in b.list_hosts()["Hosts"]] == [b_host]


def test_reset_everything(own_server, accounts):
    A, B = accounts
    a, _, _ = populate(own_server, A)
    b, _, _ = populate(own_server, B)
    answer = ctl(own_server, "reset")
    assert answer.status == 200
    assert answer.json == {"reset": True, "AccountId": None}
    for client in (a, b):
        assert client.list_connections()["Connections"] == []
        assert client.list_hosts()["Hosts"] == []
    assert ctl(own_server, "state", method="GET").json["items"] == []


def test_reset_then_create_works(own_server, account):
    A = account
    populate(own_server, A)
    ctl(own_server, "reset", {"AccountId": A})
    client, conn, _ = populate(own_server, A)
    assert [c["ConnectionArn"] for c in client.list_connections()["Connections"]] == [conn]


@pytest.mark.parametrize("account", ["12345", "abcdefghijkl", 123456789012, "1234567890123", ["111111111111"]])
def test_reset_bad_account_is_400_and_changes_nothing(own_server, account):
    client, conn, _ = populate(own_server, "000000000000")
    answer = ctl(own_server, "reset", {"AccountId": account})
    assert answer.status == 400
    assert answer.error == "InvalidParameter"
    assert client.get_connection(ConnectionArn=conn)["Connection"]["ConnectionArn"] == conn


def test_reset_malformed_body_is_400(own_server):
    answer = http(own_server, "POST", "/_codestar-local/reset", raw=b"{not json")
    assert answer.status == 400
    assert answer.error == "InvalidJson"


# -- request log -------------------------------------------------------------------
def test_request_log_lists_api_calls_newest_first(server, account):
    client = server.client("codeconnections", account=account)
    client.list_connections()
    arn = client.create_connection(ConnectionName="logged", ProviderType="GitHub")["ConnectionArn"]
    with pytest.raises(client.exceptions.ResourceNotFoundException) as failed:
        client.get_connection(ConnectionArn=arn + "0")
    failed_status = failed.value.response["ResponseMetadata"]["HTTPStatusCode"]
    answer = ctl(server, f"requests?limit=10&account={account}", method="GET")
    assert answer.status == 200
    rows = answer.json["requests"]
    assert [(r["operation"], r["status"]) for r in rows] == [
        ("GetConnection", failed_status), ("CreateConnection", 200), ("ListConnections", 200),
    ]
    for row in rows:
        assert row["service"] == "codeconnections"
        assert row["account"] == account
        assert isinstance(row["latency_ms"], float) and row["latency_ms"] >= 0
        assert row["time"].endswith("+00:00")
    assert rows[0]["time"] >= rows[-1]["time"]


def test_request_log_limit(server, account):
    client = server.client("codestar-connections", account=account)
    for _ in range(3):
        client.list_hosts()
    rows = ctl(server, f"requests?limit=2&account={account}", method="GET").json["requests"]
    assert len(rows) == 2
    everyone = ctl(server, "requests?limit=1", method="GET").json["requests"]
    assert len(everyone) == 1
    default = ctl(server, "requests", method="GET").json["requests"]
    assert 3 <= len(default) <= 50


def test_request_log_records_calls_that_fail_early(server):
    """A call without a known operation is logged too (no service, no account)."""
    answer = http(server, "POST", "/", raw=b"{}", headers={"X-Amz-Target": "Nope.Nothing", "Content-Type": "application/x-amz-json-1.0"})
    assert answer.status >= 400
    rows = ctl(server, "requests?limit=200", method="GET").json["requests"]
    assert any(r["operation"] is None and r["status"] == answer.status for r in rows)


@pytest.mark.parametrize("limit", ["0", "-1", "abc", "1.5", "100000", ""])
def test_request_log_bad_limit_is_400(server, limit):
    answer = ctl(server, f"requests?limit={limit}", method="GET")
    assert answer.status == 400
    assert answer.error == "InvalidParameter"
