"""Repository links through boto3, on both connection services."""

from __future__ import annotations

import re
import uuid

import pytest

UUID4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_KEY = "arn:aws:kms:us-east-1:123456789012:key/9999abcd-12ab-34cd-56ef-1234567890ab"


def payload(out: dict) -> dict:
    return {k: v for k, v in out.items() if k != "ResponseMetadata"}


def test_create_get_list(client, service, account, git):
    conn = git.connection(provider="Bitbucket")
    tags = [{"Key": "team", "Value": "infra"}, {"Key": "env", "Value": ""}]
    out = payload(client.create_repository_link(ConnectionArn=conn, OwnerId="octo", RepositoryName="infra", EncryptionKeyArn=KEY, Tags=tags))
    info = out["RepositoryLinkInfo"]
    assert list(out) == ["RepositoryLinkInfo"]
    m = re.fullmatch(rf"arn:aws:{service}:us-east-1:{account}:repository-link/({UUID4})", info["RepositoryLinkArn"])
    assert m, info["RepositoryLinkArn"]
    assert info == {
        "ConnectionArn": conn,
        "EncryptionKeyArn": KEY,
        "OwnerId": "octo",
        "ProviderType": "Bitbucket",  # from the connection
        "RepositoryLinkArn": info["RepositoryLinkArn"],
        "RepositoryLinkId": m.group(1),
        "RepositoryName": "infra",
    }
    assert payload(client.get_repository_link(RepositoryLinkId=m.group(1))) == {"RepositoryLinkInfo": info}
    assert payload(client.list_repository_links()) == {"RepositoryLinks": [info]}
    assert client.list_tags_for_resource(ResourceArn=info["RepositoryLinkArn"])["Tags"] == tags


def test_provider_type_comes_from_a_host_connection(client, git):
    host = client.create_host(Name="ghe", ProviderType="GitHubEnterpriseServer", ProviderEndpoint="https://ghe.example.com")["HostArn"]
    conn = client.create_connection(ConnectionName="ghe", HostArn=host)["ConnectionArn"]
    link = git.link(conn)
    assert link["ProviderType"] == "GitHubEnterpriseServer"
    assert "EncryptionKeyArn" not in link


def test_link_needs_a_connection_of_the_caller(client, service, account, git, make_client, expect):
    missing = f"arn:aws:{service}:us-east-1:{account}:connection/{uuid.uuid4()}"
    expect("InvalidInputException", client.create_repository_link, ConnectionArn=missing, OwnerId="o", RepositoryName="r")
    other = make_client(service, acct=account[::-1] if account[::-1] != account else "999999999999")
    theirs = other.create_connection(ProviderType="GitHub", ConnectionName="theirs")["ConnectionArn"]
    expect("InvalidInputException", client.create_repository_link, ConnectionArn=theirs, OwnerId="o", RepositoryName="r")
    assert client.list_repository_links()["RepositoryLinks"] == []


def test_azure_devops_connections_cannot_be_linked(make_client):
    # AzureDevOps exists only in the codeconnections model; Git sync does not support it.
    cc = make_client("codeconnections")
    conn = cc.create_connection(ProviderType="AzureDevOps", ConnectionName="ado")["ConnectionArn"]
    with pytest.raises(cc.exceptions.InvalidInputException):
        cc.create_repository_link(ConnectionArn=conn, OwnerId="o", RepositoryName="r")


def test_duplicate_link(client, git, expect):
    conn = git.connection()
    git.link(conn, owner="octo", repo="infra")
    err = expect("ResourceAlreadyExistsException", client.create_repository_link, ConnectionArn=conn, OwnerId="octo", RepositoryName="infra")
    assert "octo/infra" in err["Message"]
    # Another repository, or the same one through another connection, is a new link.
    git.link(conn, owner="octo", repo="apps")
    git.link(git.connection(), owner="octo", repo="infra")
    assert len(client.list_repository_links()["RepositoryLinks"]) == 3


def test_unknown_link_is_not_found(client, expect):
    missing = str(uuid.uuid4())
    expect("ResourceNotFoundException", client.get_repository_link, RepositoryLinkId=missing)
    expect("ResourceNotFoundException", client.update_repository_link, RepositoryLinkId=missing, EncryptionKeyArn=KEY)
    expect("ResourceNotFoundException", client.delete_repository_link, RepositoryLinkId=missing)


def test_update(client, git, expect):
    first = git.connection()
    link = git.link(first, EncryptionKeyArn=KEY)
    link_id = link["RepositoryLinkId"]
    second = git.connection(name="second")
    out = client.update_repository_link(RepositoryLinkId=link_id, ConnectionArn=second, EncryptionKeyArn=OTHER_KEY)["RepositoryLinkInfo"]
    assert out == {**link, "ConnectionArn": second, "EncryptionKeyArn": OTHER_KEY}
    assert client.get_repository_link(RepositoryLinkId=link_id)["RepositoryLinkInfo"] == out
    # Only a connection of the same provider type will do.
    gitlab = git.connection(provider="GitLab")
    err = expect("InvalidInputException", client.update_repository_link, RepositoryLinkId=link_id, ConnectionArn=gitlab)
    assert "GitLab" in err["Message"]
    gone = first.rsplit("/", 1)[0] + f"/{uuid.uuid4()}"
    expect("ResourceNotFoundException", client.update_repository_link, RepositoryLinkId=link_id, ConnectionArn=gone)
    # Moving onto a connection that already links the same repository fails its uniqueness check.
    git.link(first, owner=link["OwnerId"], repo=link["RepositoryName"])
    expect("ConditionalCheckFailedException", client.update_repository_link, RepositoryLinkId=link_id, ConnectionArn=first)
    assert client.get_repository_link(RepositoryLinkId=link_id)["RepositoryLinkInfo"] == out


def test_delete(client, service, git, expect):
    link = git.link()
    link_id = link["RepositoryLinkId"]
    git.config(link_id, "stack-a")
    err = expect("SyncConfigurationStillExistsException", client.delete_repository_link, RepositoryLinkId=link_id)
    assert "sync configuration" in err["Message"]
    client.delete_sync_configuration(SyncType="CFN_STACK_SYNC", ResourceName="stack-a")
    assert payload(client.delete_repository_link(RepositoryLinkId=link_id)) == {}
    expect("ResourceNotFoundException", client.get_repository_link, RepositoryLinkId=link_id)
    expect("ResourceNotFoundException", client.list_tags_for_resource, ResourceArn=link["RepositoryLinkArn"])
    assert client.list_repository_links()["RepositoryLinks"] == []
    # A link's connection/repository pair is free again.
    assert git.link(link["ConnectionArn"])["RepositoryLinkId"] != link_id


def test_tags(client, git):
    arn = git.link()["RepositoryLinkArn"]
    assert client.list_tags_for_resource(ResourceArn=arn)["Tags"] == []
    client.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    client.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "3"}])
    client.untag_resource(ResourceArn=arn, TagKeys=["b"])
    assert client.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "a", "Value": "3"}]


def test_links_are_regional(service, account, make_client, expect):
    east = make_client(service)
    conn = east.create_connection(ProviderType="GitHub", ConnectionName="c")["ConnectionArn"]
    link = east.create_repository_link(ConnectionArn=conn, OwnerId="o", RepositoryName="r")["RepositoryLinkInfo"]
    # Connections are global, so a link in another region may use this connection.
    west = make_client(service, region="eu-west-1")
    assert west.list_repository_links()["RepositoryLinks"] == []
    expect("ResourceNotFoundException", west.get_repository_link, RepositoryLinkId=link["RepositoryLinkId"])
    expect("ResourceNotFoundException", west.list_tags_for_resource, ResourceArn=link["RepositoryLinkArn"])
    there = west.create_repository_link(ConnectionArn=conn, OwnerId="o", RepositoryName="r")["RepositoryLinkInfo"]
    assert ":eu-west-1:" in there["RepositoryLinkArn"]


def test_both_endpoints_see_one_store(service, make_client):
    mine = make_client(service)
    other = make_client("codeconnections" if service == "codestar-connections" else "codestar-connections")
    conn = mine.create_connection(ProviderType="GitHub", ConnectionName="c")["ConnectionArn"]
    link = mine.create_repository_link(ConnectionArn=conn, OwnerId="o", RepositoryName="r")["RepositoryLinkInfo"]
    # The ARN keeps the prefix of the endpoint that created it.
    assert link["RepositoryLinkArn"].startswith(f"arn:aws:{service}:")
    assert other.get_repository_link(RepositoryLinkId=link["RepositoryLinkId"])["RepositoryLinkInfo"] == link


def test_pagination(client, git, expect):
    conn = git.connection()
    made = [git.link(conn, repo=f"repo-{i:02d}")["RepositoryLinkId"] for i in range(23)]
    pages, token = [], None
    while True:
        out = client.list_repository_links(MaxResults=5, **({"NextToken": token} if token else {}))
        pages.append([link["RepositoryLinkId"] for link in out["RepositoryLinks"]])
        token = out.get("NextToken")
        if not token:
            break
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
    assert [i for p in pages for i in p] == made
    # MaxResults 0 means the default page (all 23 here).
    assert len(client.list_repository_links(MaxResults=0)["RepositoryLinks"]) == 23
    expect("ValidationException", client.list_repository_links, NextToken="not-a-token")


def test_quota_of_100_links(client, git, expect):
    conn = git.connection()
    for i in range(100):
        git.link(conn, repo=f"r{i}")
    err = expect("LimitExceededException", client.create_repository_link, ConnectionArn=conn, OwnerId="octo", RepositoryName="one-more")
    assert "repository links" in err["Message"]


def test_validation_messages(server, service, account):
    raw = server.client(service, account=account, validate=False)
    with pytest.raises(raw.exceptions.ClientError) as e:
        raw.get_repository_link(RepositoryLinkId="nope")
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert e.value.response["Error"]["Message"] == (
        "1 validation error detected: Value 'nope' at 'repositoryLinkId' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: "
        r"^[0-9a-fA-F]{8}\b-[0-9a-fA-F]{4}\b-[0-9a-fA-F]{4}\b-[0-9a-fA-F]{4}\b-[0-9a-fA-F]{12}$"
    )
    with pytest.raises(raw.exceptions.ClientError) as e:
        raw.create_repository_link(ConnectionArn="not-an-arn", OwnerId="", RepositoryName="r" * 129)
    message = e.value.response["Error"]["Message"]
    assert message.startswith("3 validation errors detected: ")
    assert "Value '' at 'ownerId' failed to satisfy constraint: Member must have length greater than or equal to 1" in message
    assert f"Value '{'r' * 129}' at 'repositoryName' failed to satisfy constraint: Member must have length less than or equal to 128" in message
