"""POST /_codestar-local/connections/handshake and /connections/status against a real server."""

from __future__ import annotations

import pytest
from control_http import ctl, http


def create(client, name="app", **kw):
    return client.create_connection(ConnectionName=name, ProviderType=kw.pop("ProviderType", "GitHub"), **kw)["ConnectionArn"]


def status_of(client, arn):
    return client.get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"]


def test_handshake_makes_a_pending_connection_available(server, client):
    arn = create(client, "web")
    assert status_of(client, arn) == "PENDING"
    answer = ctl(server, "connections/handshake", {"ConnectionArn": arn})
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/json"
    # The answer is GetConnection's view of the connection.
    assert answer.json == client.get_connection(ConnectionArn=arn)["Connection"]
    assert answer.json["ConnectionStatus"] == "AVAILABLE"
    listed = client.list_connections()["Connections"]
    assert [c["ConnectionStatus"] for c in listed if c["ConnectionArn"] == arn] == ["AVAILABLE"]


def test_handshake_is_idempotent(server, client):
    arn = create(client)
    first = ctl(server, "connections/handshake", {"ConnectionArn": arn})
    second = ctl(server, "connections/handshake", {"ConnectionArn": arn, "InstallationId": "octo-org (1)"})
    assert (first.status, second.status) == (200, 200)
    assert first.json == second.json
    assert status_of(client, arn) == "AVAILABLE"


def test_handshake_repairs_an_errored_connection(server, client):
    arn = create(client)
    assert ctl(server, "connections/status", {"ConnectionArn": arn, "ConnectionStatus": "ERROR"}).json["ConnectionStatus"] == "ERROR"
    assert status_of(client, arn) == "ERROR"
    assert ctl(server, "connections/handshake", {"ConnectionArn": arn}).json["ConnectionStatus"] == "AVAILABLE"


@pytest.mark.parametrize("status", ["AVAILABLE", "ERROR", "PENDING"])
def test_status_sets_each_value(server, client, status):
    arn = create(client)
    ctl(server, "connections/handshake", {"ConnectionArn": arn})  # start from a status other than PENDING
    answer = ctl(server, "connections/status", {"ConnectionArn": arn, "ConnectionStatus": status})
    assert answer.status == 200
    assert answer.json["ConnectionArn"] == arn
    assert answer.json["ConnectionStatus"] == status
    assert status_of(client, arn) == status


def test_handshake_waits_for_the_host(server, make_client):
    client = make_client("codestar-connections")
    host = client.create_host(Name="ghes", ProviderType="GitHubEnterpriseServer", ProviderEndpoint="https://ghes.example.com")["HostArn"]
    arn = client.create_connection(ConnectionName="ghes-app", HostArn=host)["ConnectionArn"]
    refused = ctl(server, "connections/handshake", {"ConnectionArn": arn})
    assert refused.status == 409
    assert refused.error == "HostNotAvailable"
    assert host in refused.json["error"]["message"]
    assert status_of(client, arn) == "PENDING"
    # The raw status setter is the escape hatch and ignores the host.
    assert ctl(server, "connections/status", {"ConnectionArn": arn, "ConnectionStatus": "AVAILABLE"}).status == 200
    ctl(server, "connections/status", {"ConnectionArn": arn, "ConnectionStatus": "PENDING"})
    assert ctl(server, "hosts/setup", {"HostArn": host}).status == 200
    assert ctl(server, "connections/handshake", {"ConnectionArn": arn}).json["ConnectionStatus"] == "AVAILABLE"
    assert status_of(client, arn) == "AVAILABLE"


def test_connections_of_another_account_are_reachable(server, make_client, account):
    """The control API is the operator's: it needs no credentials and spans accounts."""
    other = "".join(reversed(account))
    client = make_client("codeconnections", acct=other, region="eu-west-1")
    arn = create(client)
    assert ctl(server, "connections/handshake", {"ConnectionArn": arn}).json["OwnerAccountId"] == other
    assert status_of(client, arn) == "AVAILABLE"


@pytest.mark.parametrize("path", ["connections/handshake", "connections/status"])
def test_unknown_connection_is_404(server, account, path):
    arn = f"arn:aws:codestar-connections:us-east-1:{account}:connection/00000000-0000-0000-0000-000000000000"
    answer = ctl(server, path, {"ConnectionArn": arn, "ConnectionStatus": "AVAILABLE"})
    assert answer.status == 404
    assert answer.error == "ResourceNotFound"
    assert arn in answer.json["error"]["message"]


def test_deleted_connection_is_404(server, client):
    arn = create(client)
    client.delete_connection(ConnectionArn=arn)
    assert ctl(server, "connections/handshake", {"ConnectionArn": arn}).status == 404


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"ConnectionArn": ""},
        {"ConnectionArn": 12},
        {"ConnectionArn": ["arn"]},
        {"ConnectionArn": None},
    ],
)
def test_bad_arn_is_400(server, body):
    for path in ("connections/handshake", "connections/status"):
        answer = ctl(server, path, {**body, "ConnectionStatus": "AVAILABLE"})
        assert answer.status == 400, path
        assert answer.error == "InvalidParameter"
        assert "ConnectionArn" in answer.json["error"]["message"]


@pytest.mark.parametrize("status", [None, "", "available", "DELETED", 1, ["AVAILABLE"]])
def test_bad_status_is_400_and_changes_nothing(server, client, status):
    arn = create(client)
    body = {"ConnectionArn": arn}
    if status is not None:
        body["ConnectionStatus"] = status
    answer = ctl(server, "connections/status", body)
    assert answer.status == 400
    assert answer.error == "InvalidParameter"
    assert "PENDING, AVAILABLE, ERROR" in answer.json["error"]["message"]
    assert status_of(client, arn) == "PENDING"


@pytest.mark.parametrize(
    "raw, code",
    [(b"{", "InvalidJson"), (b"[1, 2]", "InvalidJson"), (b'"text"', "InvalidJson"), (b"\xff\xfe", "InvalidJson")],
)
def test_malformed_body_is_400(server, raw, code):
    answer = http(server, "POST", "/_codestar-local/connections/handshake", raw=raw)
    assert answer.status == 400
    assert answer.error == code


def test_wrong_method_and_unknown_path(server):
    assert http(server, "GET", "/_codestar-local/connections/handshake").status == 405
    missing = http(server, "POST", "/_codestar-local/connections/nope", body={})
    assert missing.status == 404
    assert missing.error == "NotFound"


def test_cross_origin_post_is_refused(server, client):
    """A web page elsewhere must not drive the emulator through the visitor's browser."""
    arn = create(client)
    answer = http(
        server, "POST", "/_codestar-local/connections/handshake", body={"ConnectionArn": arn},
        headers={"Origin": "https://evil.example", "Content-Type": "text/plain"},
    )
    assert answer.status == 403
    assert answer.error == "CrossOriginRequest"
    assert status_of(client, arn) == "PENDING"
    host = server.endpoint_url.split("://", 1)[1]
    same = http(server, "POST", "/_codestar-local/connections/handshake", body={"ConnectionArn": arn},
                headers={"Origin": f"http://{host}"})
    assert same.status == 200
