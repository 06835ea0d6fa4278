"""CreateHost, GetHost, ListHosts, UpdateHost, DeleteHost through boto3, on both services."""

from __future__ import annotations

import json
import re
import time

import pytest
from servers import Server
from spine_http import authorization, expect_error, other_account, payload

from codestar_local.app import App, Request

VPC = {
    "VpcId": "vpc-0123456789abcdef0",
    "SubnetIds": ["subnet-0123456789abcdef0", "subnet-abcdef01"],
    "SecurityGroupIds": ["sg-0123456789abcdef0"],
    "TlsCertificate": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
}
OTHER_VPC = {"VpcId": "vpc-fedcba98", "SubnetIds": ["subnet-fedcba98"], "SecurityGroupIds": ["sg-fedcba98"]}


@pytest.fixture(scope="module")
def fast_vpc():
    """A server whose VPC hosts leave VPC_CONFIG_INITIALIZING after half a second."""
    s = Server(extra=["--vpc-init-seconds", "0.5"])
    yield s
    s.stop()


@pytest.fixture(scope="module")
def slow_vpc():
    """A server whose VPC hosts stay VPC_CONFIG_INITIALIZING for the whole test."""
    s = Server(extra=["--vpc-init-seconds", "3600"])
    yield s
    s.stop()


def host_arn_re(service, account, name, region="us-east-1"):
    return rf"arn:aws:{service}:{region}:{account}:host/{re.escape(name[:10])}-[0-9a-f]{{8}}"


def wait_status(client, arn, target="PENDING", timeout=15.0):
    """Poll GetHost until `target`; the distinct statuses seen, in order."""
    seen = []
    deadline = time.monotonic() + timeout
    while True:
        status = client.get_host(HostArn=arn)["Status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        if status == target or time.monotonic() > deadline:
            return seen
        time.sleep(0.05)


def test_create_get_list_update_delete(client, service, account):
    tags = [{"Key": "owner", "Value": "platform"}]
    out = payload(
        client.create_host(Name="My-Host", ProviderType="GitHubEnterpriseServer", ProviderEndpoint="https://ghes.example.com", Tags=tags)
    )
    assert set(out) == {"HostArn", "Tags"} and out["Tags"] == tags
    arn = out["HostArn"]
    assert re.fullmatch(host_arn_re(service, account, "My-Host"), arn), arn

    # GetHost has no HostArn, no Tags, no StatusMessage.
    assert payload(client.get_host(HostArn=arn)) == {
        "Name": "My-Host",
        "Status": "PENDING",
        "ProviderType": "GitHubEnterpriseServer",
        "ProviderEndpoint": "https://ghes.example.com",
    }
    item = {
        "Name": "My-Host",
        "HostArn": arn,
        "ProviderType": "GitHubEnterpriseServer",
        "ProviderEndpoint": "https://ghes.example.com",
        "Status": "PENDING",
    }
    assert payload(client.list_hosts()) == {"Hosts": [item]}

    assert payload(client.update_host(HostArn=arn, ProviderEndpoint="https://ghes2.example.com")) == {}
    assert client.get_host(HostArn=arn)["ProviderEndpoint"] == "https://ghes2.example.com"
    assert client.list_hosts()["Hosts"] == [{**item, "ProviderEndpoint": "https://ghes2.example.com"}]

    assert payload(client.delete_host(HostArn=arn)) == {}
    for call in (client.get_host, client.delete_host, client.update_host):
        expect_error(service, "ResourceNotFoundException", call, HostArn=arn)
    assert payload(client.list_hosts()) == {"Hosts": []}


def test_create_without_tags_echoes_only_the_arn(client):
    out = payload(client.create_host(Name="h", ProviderType="GitLabSelfManaged", ProviderEndpoint="https://gitlab.example.com"))
    assert list(out) == ["HostArn"]


@pytest.mark.parametrize("name", ["MyHost", "github-enterprise-host", "abcdefghij", "abcdefghijk", "h"])
def test_host_arn_uses_the_first_ten_characters(client, service, account, name):
    arn = client.create_host(Name=name, ProviderType="GitHubEnterpriseServer", ProviderEndpoint="https://e.example.com")["HostArn"]
    assert re.fullmatch(host_arn_re(service, account, name), arn), arn
    assert client.get_host(HostArn=arn)["Name"] == name


def test_cloud_provider_types_are_unsupported(client, service):
    clouds = ["Bitbucket", "GitHub", "GitLab"] + (["AzureDevOps"] if service == "codeconnections" else [])
    for provider in clouds:
        expect_error(
            service, "UnsupportedProviderTypeException", client.create_host, Name="h", ProviderType=provider, ProviderEndpoint="https://x"
        )
    assert client.list_hosts()["Hosts"] == []


def test_delete_refused_while_connections_use_it(client, service):
    host = client.create_host(Name="busy", ProviderType="GitHubEnterpriseServer", ProviderEndpoint="https://busy.example.com")["HostArn"]
    first = client.create_connection(ConnectionName="a", HostArn=host)["ConnectionArn"]
    second = client.create_connection(ConnectionName="b", HostArn=host)["ConnectionArn"]
    expect_error(service, "ResourceUnavailableException", client.delete_host, HostArn=host)
    client.delete_connection(ConnectionArn=first)
    expect_error(service, "ResourceUnavailableException", client.delete_host, HostArn=host)
    client.delete_connection(ConnectionArn=second)
    assert payload(client.delete_host(HostArn=host)) == {}


def test_update_host_endpoint_conflict(client, service):
    a = client.create_host(Name="a", ProviderType="GitHubEnterpriseServer", ProviderEndpoint="https://a.example.com")["HostArn"]
    b = client.create_host(Name="b", ProviderType="GitHubEnterpriseServer", ProviderEndpoint="https://b.example.com")["HostArn"]
    expect_error(service, "ConflictException", client.update_host, HostArn=b, ProviderEndpoint="https://a.example.com")
    assert client.get_host(HostArn=b)["ProviderEndpoint"] == "https://b.example.com"
    # Its own endpoint again is no conflict; a free one is taken.
    client.update_host(HostArn=b, ProviderEndpoint="https://b.example.com")
    client.update_host(HostArn=b, ProviderEndpoint="https://c.example.com")
    client.update_host(HostArn=a, ProviderEndpoint="https://b.example.com")
    assert {h["HostArn"]: h["ProviderEndpoint"] for h in client.list_hosts()["Hosts"]} == {
        a: "https://b.example.com",
        b: "https://c.example.com",
    }


def test_vpc_host_starts_initializing_and_is_locked(slow_vpc, service, account):
    client = slow_vpc.client(service, account=account)
    arn = client.create_host(Name="vpc", ProviderType="GitHubEnterpriseServer", ProviderEndpoint="https://vpc.example.com", VpcConfiguration=VPC)[
        "HostArn"
    ]
    assert payload(client.get_host(HostArn=arn)) == {
        "Name": "vpc",
        "Status": "VPC_CONFIG_INITIALIZING",
        "ProviderType": "GitHubEnterpriseServer",
        "ProviderEndpoint": "https://vpc.example.com",
        "VpcConfiguration": VPC,
    }
    [listed] = client.list_hosts()["Hosts"]
    assert listed["Status"] == "VPC_CONFIG_INITIALIZING" and listed["VpcConfiguration"] == VPC and listed["HostArn"] == arn
    expect_error(service, "ResourceUnavailableException", client.delete_host, HostArn=arn)
    expect_error(service, "UnsupportedOperationException", client.update_host, HostArn=arn, ProviderEndpoint="https://other.example.com")
    expect_error(service, "UnsupportedOperationException", client.update_host, HostArn=arn, VpcConfiguration=OTHER_VPC)
    assert client.get_host(HostArn=arn)["ProviderEndpoint"] == "https://vpc.example.com"


def test_vpc_host_becomes_pending(fast_vpc, service, account):
    client = fast_vpc.client(service, account=account)
    arn = client.create_host(Name="vpc", ProviderType="GitLabSelfManaged", ProviderEndpoint="https://vpc.example.com", VpcConfiguration=VPC)[
        "HostArn"
    ]
    seen = wait_status(client, arn)
    assert seen in (["VPC_CONFIG_INITIALIZING", "PENDING"], ["PENDING"]), seen
    assert client.get_host(HostArn=arn)["VpcConfiguration"] == VPC
    assert client.list_hosts()["Hosts"][0]["Status"] == "PENDING"

    # A new VPC configuration goes through set-up again.
    client.update_host(HostArn=arn, VpcConfiguration=OTHER_VPC)
    seen = wait_status(client, arn)
    assert seen in (["VPC_CONFIG_INITIALIZING", "PENDING"], ["PENDING"]), seen
    assert client.get_host(HostArn=arn)["VpcConfiguration"] == OTHER_VPC
    assert payload(client.delete_host(HostArn=arn)) == {}


def test_hosts_are_regional(client, make_client, service, account):
    arn = client.create_host(Name="east", ProviderType="GitHubEnterpriseServer", ProviderEndpoint="https://east.example.com")["HostArn"]
    west = make_client(service, region="us-west-2")
    for call in (west.get_host, west.delete_host, west.update_host):
        expect_error(service, "ResourceNotFoundException", call, HostArn=arn)
    assert west.list_hosts()["Hosts"] == []
    west_arn = west.create_host(Name="west", ProviderType="GitHubEnterpriseServer", ProviderEndpoint="https://west.example.com")["HostArn"]
    assert west_arn.split(":")[3] == "us-west-2"
    assert [h["HostArn"] for h in west.list_hosts()["Hosts"]] == [west_arn]
    assert [h["HostArn"] for h in client.list_hosts()["Hosts"]] == [arn]


def test_other_accounts_see_nothing(client, make_client, service, account):
    arn = client.create_host(Name="mine", ProviderType="GitHubEnterpriseServer", ProviderEndpoint="https://mine.example.com")["HostArn"]
    stranger = make_client(service, acct=other_account(account))
    for call in (stranger.get_host, stranger.delete_host, stranger.update_host):
        expect_error(service, "ResourceNotFoundException", call, HostArn=arn)
    assert stranger.list_hosts()["Hosts"] == []
    assert client.get_host(HostArn=arn)["Name"] == "mine"


def test_host_arns_are_never_reused(client, service):
    seen = []
    for _ in range(10):
        arn = client.create_host(Name="same", ProviderType="GitHubEnterpriseServer", ProviderEndpoint="https://same.example.com")["HostArn"]
        client.delete_host(HostArn=arn)
        seen.append(arn)
    assert len(set(seen)) == len(seen)
    for arn in seen:
        expect_error(service, "ResourceNotFoundException", client.get_host, HostArn=arn)


def test_retired_host_suffix_is_not_issued_again(monkeypatch):
    """Force the random suffix to repeat: a deleted host's ARN must still not come back."""
    import codestar_local.services.connections as provider

    suffixes = iter(["0000aaaa", "0000aaaa", "0000aaaa", "0000bbbb"])
    monkeypatch.setattr(provider.secrets, "token_hex", lambda n: next(suffixes))
    app = App("memory")

    def call(op, params):
        headers = {
            "x-amz-target": f"com.amazonaws.codeconnections.CodeConnections_20231201.{op}",
            "content-type": "application/x-amz-json-1.0",
            "authorization": authorization("123456789012", "us-east-1", "codeconnections"),
        }
        resp = app.handle(Request("POST", "/", headers, json.dumps(params).encode()))
        return resp.status, json.loads(resp.body)

    create = {"Name": "repeat", "ProviderType": "GitHubEnterpriseServer", "ProviderEndpoint": "https://r.example.com"}
    status, first = call("CreateHost", create)
    assert status == 200 and first["HostArn"].endswith("/repeat-0000aaaa")
    assert call("DeleteHost", {"HostArn": first["HostArn"]})[0] == 200
    status, second = call("CreateHost", create)
    assert status == 200 and second["HostArn"].endswith("/repeat-0000bbbb")
    app.close()


def test_host_arn_prefix_follows_the_endpoint(make_client, account):
    old = make_client("codestar-connections")
    new = make_client("codeconnections")
    new_host = new.create_host(Name="n", ProviderType="GitHubEnterpriseServer", ProviderEndpoint="https://n.example.com")["HostArn"]
    old_host = old.create_host(Name="o", ProviderType="GitHubEnterpriseServer", ProviderEndpoint="https://o.example.com")["HostArn"]
    assert new_host.startswith("arn:aws:codeconnections:") and old_host.startswith("arn:aws:codestar-connections:")
    # codeconnections accepts both prefixes; the old model's HostArn pattern only its own.
    assert new.get_host(HostArn=old_host)["Name"] == "o"
    raw = make_client("codestar-connections", validate=False)
    response = expect_error("codestar-connections", "ValidationException", raw.get_host, HostArn=new_host)
    assert "Member must satisfy regular expression pattern" in response["Error"]["Message"]
    # Both are listed by both endpoints: one store.
    for client in (old, new):
        assert {h["HostArn"] for h in client.list_hosts()["Hosts"]} == {new_host, old_host}


def test_host_quota(make_client, service, account):
    client = make_client(service, retries=0)
    made = [
        client.create_host(Name=f"h{i}", ProviderType="GitHubEnterpriseServer", ProviderEndpoint=f"https://h{i}.example.com")["HostArn"]
        for i in range(50)
    ]
    response = expect_error(
        service, "LimitExceededException", client.create_host, Name="more", ProviderType="GitHubEnterpriseServer", ProviderEndpoint="https://m"
    )
    assert response["ResponseMetadata"]["RetryAttempts"] == 0
    make_client(service, region="eu-west-1", retries=0).create_host(Name="w", ProviderType="GitLabSelfManaged", ProviderEndpoint="https://w")
    client.delete_host(HostArn=made[0])
    client.create_host(Name="again", ProviderType="GitHubEnterpriseServer", ProviderEndpoint="https://again")
    expect_error(service, "LimitExceededException", client.create_host, Name="full", ProviderType="GitHubEnterpriseServer", ProviderEndpoint="https://f")
