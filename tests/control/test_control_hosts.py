"""POST /_codestar-local/hosts/setup and /hosts/status against a real server."""

from __future__ import annotations

import pytest
from control_http import ctl

STATUSES = ["PENDING", "AVAILABLE", "VPC_CONFIG_INITIALIZING", "VPC_CONFIG_FAILED_INITIALIZATION", "VPC_CONFIG_DELETING"]


def create_host(client, name="ghes", endpoint="https://ghes.example.com", **kw):
    return client.create_host(Name=name, ProviderType="GitHubEnterpriseServer", ProviderEndpoint=endpoint, **kw)["HostArn"]


def listed(client, arn):
    return next(h for h in client.list_hosts()["Hosts"] if h["HostArn"] == arn)


def test_setup_makes_a_pending_host_available(server, client):
    arn = create_host(client)
    assert client.get_host(HostArn=arn)["Status"] == "PENDING"
    answer = ctl(server, "hosts/setup", {"HostArn": arn})
    assert answer.status == 200
    # The answer is the ListHosts item.
    assert answer.json == listed(client, arn)
    assert answer.json["Status"] == "AVAILABLE"
    assert client.get_host(HostArn=arn)["Status"] == "AVAILABLE"


def test_setup_is_idempotent(server, client):
    arn = create_host(client)
    assert ctl(server, "hosts/setup", {"HostArn": arn}).status == 200
    again = ctl(server, "hosts/setup", {"HostArn": arn})
    assert again.status == 200
    assert again.json["Status"] == "AVAILABLE"


@pytest.mark.parametrize("status", STATUSES)
def test_status_sets_each_value(server, client, status):
    arn = create_host(client)
    answer = ctl(server, "hosts/status", {"HostArn": arn, "Status": status})
    assert answer.status == 200
    assert answer.json["Status"] == status
    assert "StatusMessage" not in answer.json
    assert client.get_host(HostArn=arn)["Status"] == status
    assert listed(client, arn)["Status"] == status


def test_status_message_is_shown_by_list_hosts_and_cleared(server, client):
    arn = create_host(client)
    failed = ctl(server, "hosts/status", {"HostArn": arn, "Status": "VPC_CONFIG_FAILED_INITIALIZATION",
                                          "StatusMessage": "Subnet subnet-1 has no free addresses"})
    assert failed.json["StatusMessage"] == "Subnet subnet-1 has no free addresses"
    assert listed(client, arn)["StatusMessage"] == "Subnet subnet-1 has no free addresses"
    # GetHost has no StatusMessage member.
    assert "StatusMessage" not in client.get_host(HostArn=arn)
    ctl(server, "hosts/status", {"HostArn": arn, "Status": "PENDING"})
    assert "StatusMessage" not in listed(client, arn)


def test_setup_refuses_a_host_that_is_not_pending(server, client):
    arn = create_host(client)
    ctl(server, "hosts/status", {"HostArn": arn, "Status": "VPC_CONFIG_FAILED_INITIALIZATION"})
    answer = ctl(server, "hosts/setup", {"HostArn": arn})
    assert answer.status == 409
    assert answer.error == "InvalidState"
    assert "VPC_CONFIG_FAILED_INITIALIZATION" in answer.json["error"]["message"]
    assert client.get_host(HostArn=arn)["Status"] == "VPC_CONFIG_FAILED_INITIALIZATION"


def test_available_host_follows_the_api_rules(server, client):
    """UpdateHost is only for PENDING hosts; set up makes it refuse, as on AWS."""
    arn = create_host(client)
    ctl(server, "hosts/setup", {"HostArn": arn})
    with pytest.raises(client.exceptions.UnsupportedOperationException):
        client.update_host(HostArn=arn, ProviderEndpoint="https://other.example.com")


def test_unknown_host_is_404(server, account):
    arn = f"arn:aws:codestar-connections:us-east-1:{account}:host/nothing-00000000"
    for path, body in (("hosts/setup", {"HostArn": arn}), ("hosts/status", {"HostArn": arn, "Status": "AVAILABLE"})):
        answer = ctl(server, path, body)
        assert answer.status == 404, path
        assert answer.error == "ResourceNotFound"


def test_deleted_host_is_404(server, client):
    arn = create_host(client)
    client.delete_host(HostArn=arn)
    assert ctl(server, "hosts/setup", {"HostArn": arn}).status == 404


@pytest.mark.parametrize(
    "body",
    [
        {"Status": "AVAILABLE"},
        {"HostArn": "", "Status": "AVAILABLE"},
        {"HostArn": 5, "Status": "AVAILABLE"},
        {"HostArn": "ARN", "Status": "READY"},
        {"HostArn": "ARN", "Status": None},
        {"HostArn": "ARN"},
        {"HostArn": "ARN", "Status": "AVAILABLE", "StatusMessage": 7},
        {"HostArn": "ARN", "Status": "AVAILABLE", "StatusMessage": "x" * 1025},
    ],
)
def test_bad_status_input_is_400(server, client, body):
    arn = create_host(client)
    body = {k: (arn if v == "ARN" else v) for k, v in body.items()}
    answer = ctl(server, "hosts/status", body)
    assert answer.status == 400
    assert answer.error == "InvalidParameter"
    assert client.get_host(HostArn=arn)["Status"] == "PENDING"


@pytest.mark.parametrize("body", [{}, {"HostArn": ""}, {"HostArn": {"a": 1}}])
def test_bad_setup_input_is_400(server, body):
    answer = ctl(server, "hosts/setup", body)
    assert answer.status == 400
    assert answer.error == "InvalidParameter"
