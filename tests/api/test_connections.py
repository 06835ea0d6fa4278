"""CreateConnection, GetConnection, ListConnections, DeleteConnection through boto3, on both services."""

from __future__ import annotations

import re

import pytest
from spine_http import expect_error, other_account, payload

UUID4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
HOSTED = ("GitHubEnterpriseServer", "GitLabSelfManaged")
HOSTED_MESSAGE = "To use a hosted provider specify HostArn instead of ProviderType"


def cloud_types(service):
    return ("Bitbucket", "GitHub", "GitLab") + (("AzureDevOps",) if service == "codeconnections" else ())


def new_host(client, provider="GitHubEnterpriseServer", endpoint="https://git.example.com"):
    return client.create_host(Name="my-host", ProviderType=provider, ProviderEndpoint=endpoint)["HostArn"]


def test_create_get_list_delete(client, service, account):
    tags = [{"Key": "env", "Value": "test"}, {"Key": "team", "Value": ""}]
    out = payload(client.create_connection(ProviderType="GitHub", ConnectionName="my-conn", Tags=tags))
    assert set(out) == {"ConnectionArn", "Tags"}
    assert out["Tags"] == tags
    arn = out["ConnectionArn"]
    assert re.fullmatch(rf"arn:aws:{service}:us-east-1:{account}:connection/{UUID4}", arn), arn

    expected = {
        "ConnectionName": "my-conn",
        "ConnectionArn": arn,
        "ProviderType": "GitHub",
        "OwnerAccountId": account,
        "ConnectionStatus": "PENDING",
    }
    assert payload(client.get_connection(ConnectionArn=arn)) == {"Connection": expected}
    assert payload(client.list_connections()) == {"Connections": [expected]}

    assert payload(client.delete_connection(ConnectionArn=arn)) == {}
    expect_error(service, "ResourceNotFoundException", client.get_connection, ConnectionArn=arn)
    expect_error(service, "ResourceNotFoundException", client.delete_connection, ConnectionArn=arn)
    assert payload(client.list_connections()) == {"Connections": []}


def test_create_without_tags_echoes_only_the_arn(client, service):
    for provider in cloud_types(service):
        out = payload(client.create_connection(ProviderType=provider, ConnectionName=f"c-{provider}"))
        assert list(out) == ["ConnectionArn"]
        got = client.get_connection(ConnectionArn=out["ConnectionArn"])["Connection"]
        assert got["ProviderType"] == provider
        assert "Tags" not in got and "HostArn" not in got


def test_unknown_arns_are_not_found(client, service, account):
    missing = f"arn:aws:{service}:us-east-1:{account}:connection/6f1c1d0e-8f55-4a52-9f1d-0c8e2b7a1a11"
    expect_error(service, "ResourceNotFoundException", client.get_connection, ConnectionArn=missing)
    expect_error(service, "ResourceNotFoundException", client.delete_connection, ConnectionArn=missing)
    # A host ARN is not a connection.
    host = new_host(client)
    expect_error(service, "ResourceNotFoundException", client.get_connection, ConnectionArn=host)


@pytest.mark.parametrize("provider", HOSTED)
def test_hosted_provider_needs_host_arn(client, service, provider):
    response = expect_error(service, "ValidationException", client.create_connection, ProviderType=provider, ConnectionName="c")
    assert response["Error"]["Message"] == HOSTED_MESSAGE
    assert client.list_connections()["Connections"] == []


def test_neither_provider_type_nor_host_arn(client, service):
    expect_error(service, "ValidationException", client.create_connection, ConnectionName="c")


@pytest.mark.parametrize("provider", HOSTED)
def test_host_arn_gives_the_provider_type(client, service, account, provider):
    host = new_host(client, provider)
    arn = client.create_connection(ConnectionName="via-host", HostArn=host)["ConnectionArn"]
    expected = {
        "ConnectionName": "via-host",
        "ConnectionArn": arn,
        "ProviderType": provider,
        "OwnerAccountId": account,
        "ConnectionStatus": "PENDING",
        "HostArn": host,
    }
    assert client.get_connection(ConnectionArn=arn)["Connection"] == expected
    assert client.list_connections()["Connections"] == [expected]
    # The matching type may be given too; a different one is refused.
    both = client.create_connection(ConnectionName="both", HostArn=host, ProviderType=provider)["ConnectionArn"]
    assert client.get_connection(ConnectionArn=both)["Connection"]["ProviderType"] == provider
    expect_error(service, "ValidationException", client.create_connection, ConnectionName="x", HostArn=host, ProviderType="GitHub")


def test_unusable_host_is_unavailable(client, make_client, service, account):
    missing = f"arn:aws:{service}:us-east-1:{account}:host/nothere-0123abcd"
    expect_error(service, "ResourceUnavailableException", client.create_connection, ConnectionName="c", HostArn=missing)

    deleted = new_host(client)
    client.delete_host(HostArn=deleted)
    expect_error(service, "ResourceUnavailableException", client.create_connection, ConnectionName="c", HostArn=deleted)

    # Hosts are regional: a host of us-west-2 cannot back a connection made in us-east-1.
    west = new_host(make_client(service, region="us-west-2"))
    expect_error(service, "ResourceUnavailableException", client.create_connection, ConnectionName="c", HostArn=west)

    # Another account's host is not usable either.
    foreign = new_host(make_client(service, acct=other_account(account)))
    expect_error(service, "ResourceUnavailableException", client.create_connection, ConnectionName="c", HostArn=foreign)
    assert client.list_connections()["Connections"] == []


def test_list_filters(client, service):
    def make(**kw):
        return client.create_connection(ConnectionName="f", **kw)["ConnectionArn"]

    github = {make(ProviderType="GitHub"), make(ProviderType="GitHub")}
    bitbucket = {make(ProviderType="Bitbucket")}
    ghes = new_host(client, "GitHubEnterpriseServer", "https://ghes.example.com")
    gitlab = new_host(client, "GitLabSelfManaged", "https://gitlab.example.com")
    on_ghes = {make(HostArn=ghes), make(HostArn=ghes)}
    on_gitlab = {make(HostArn=gitlab)}

    def listed(**kw):
        return {c["ConnectionArn"] for c in client.list_connections(**kw)["Connections"]}

    assert listed() == github | bitbucket | on_ghes | on_gitlab
    assert listed(ProviderTypeFilter="GitHub") == github
    assert listed(ProviderTypeFilter="Bitbucket") == bitbucket
    assert listed(ProviderTypeFilter="GitHubEnterpriseServer") == on_ghes
    assert listed(ProviderTypeFilter="GitLab") == set()
    assert listed(HostArnFilter=ghes) == on_ghes
    assert listed(HostArnFilter=gitlab) == on_gitlab
    assert listed(HostArnFilter=gitlab, ProviderTypeFilter="GitLabSelfManaged") == on_gitlab
    assert listed(HostArnFilter=gitlab, ProviderTypeFilter="GitHubEnterpriseServer") == set()


def test_one_store_for_both_services(make_client, account):
    old = make_client("codestar-connections")
    new = make_client("codeconnections")
    made_old = old.create_connection(ProviderType="GitHub", ConnectionName="old")["ConnectionArn"]
    made_new = new.create_connection(ProviderType="GitLab", ConnectionName="new")["ConnectionArn"]
    assert made_old.startswith("arn:aws:codestar-connections:") and made_new.startswith("arn:aws:codeconnections:")

    assert new.get_connection(ConnectionArn=made_old)["Connection"] == old.get_connection(ConnectionArn=made_old)["Connection"]
    assert old.get_connection(ConnectionArn=made_new)["Connection"]["ConnectionName"] == "new"
    for client in (old, new):
        assert {c["ConnectionArn"] for c in client.list_connections()["Connections"]} == {made_old, made_new}

    old.delete_connection(ConnectionArn=made_new)
    expect_error("codeconnections", "ResourceNotFoundException", new.get_connection, ConnectionArn=made_new)


def test_connections_are_global(client, make_client, service, account):
    arn = client.create_connection(ProviderType="Bitbucket", ConnectionName="global")["ConnectionArn"]
    home = client.get_connection(ConnectionArn=arn)["Connection"]
    for region in ("eu-west-1", "ap-southeast-2"):
        there = make_client(service, region=region)
        assert there.get_connection(ConnectionArn=arn)["Connection"] == home
        assert there.list_connections()["Connections"] == [home]
    # The ARN keeps the creation region.
    made_west = make_client(service, region="us-west-2").create_connection(ProviderType="GitHub", ConnectionName="w")["ConnectionArn"]
    assert made_west.split(":")[3] == "us-west-2"
    assert {c["ConnectionArn"] for c in client.list_connections()["Connections"]} == {arn, made_west}


def test_other_accounts_see_nothing(client, make_client, service, account):
    arn = client.create_connection(ProviderType="GitHub", ConnectionName="mine")["ConnectionArn"]
    stranger = make_client(service, acct=other_account(account))
    expect_error(service, "ResourceNotFoundException", stranger.get_connection, ConnectionArn=arn)
    expect_error(service, "ResourceNotFoundException", stranger.delete_connection, ConnectionArn=arn)
    assert stranger.list_connections()["Connections"] == []
    assert client.get_connection(ConnectionArn=arn)["Connection"]["OwnerAccountId"] == account


def test_arns_are_never_reused(client, service):
    seen = []
    for i in range(10):
        arn = client.create_connection(ProviderType="GitHub", ConnectionName="same")["ConnectionArn"]
        client.delete_connection(ConnectionArn=arn)
        seen.append(arn)
    assert len(set(seen)) == len(seen)
    for arn in seen:
        expect_error(service, "ResourceNotFoundException", client.get_connection, ConnectionArn=arn)


def test_duplicate_names_are_allowed(client):
    first = client.create_connection(ProviderType="GitHub", ConnectionName="dup")["ConnectionArn"]
    second = client.create_connection(ProviderType="GitHub", ConnectionName="dup")["ConnectionArn"]
    assert first != second
    assert [c["ConnectionName"] for c in client.list_connections()["Connections"]] == ["dup", "dup"]


def test_connection_quota(make_client, service, account):
    # No retries: botocore treats LimitExceededException as throttling and would retry it.
    client = make_client(service, retries=0)
    made = [client.create_connection(ProviderType="GitHub", ConnectionName=f"q{i}")["ConnectionArn"] for i in range(250)]
    response = expect_error(service, "LimitExceededException", client.create_connection, ProviderType="GitHub", ConnectionName="one-more")
    assert response["ResponseMetadata"]["RetryAttempts"] == 0
    assert "connections" in response["Error"]["Message"]
    # A host-backed connection counts against the same quota.
    host = new_host(client)
    expect_error(service, "LimitExceededException", client.create_connection, ConnectionName="one-more", HostArn=host)
    # The quota is per region; deleting one frees a place.
    make_client(service, region="eu-central-1", retries=0).create_connection(ProviderType="GitHub", ConnectionName="elsewhere")
    client.delete_connection(ConnectionArn=made[0])
    client.create_connection(ProviderType="GitHub", ConnectionName="again")
    expect_error(service, "LimitExceededException", client.create_connection, ProviderType="GitHub", ConnectionName="full")
