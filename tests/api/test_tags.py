"""TagResource, UntagResource, ListTagsForResource through boto3, on both services."""

from __future__ import annotations

import pytest
from spine_http import expect_error, other_account, payload


def make_connection(client, **kw):
    return client.create_connection(ProviderType="GitHub", ConnectionName="tagged", **kw)["ConnectionArn"]


def make_host(client, **kw):
    return client.create_host(Name="tagged", ProviderType="GitHubEnterpriseServer", ProviderEndpoint="https://t.example.com", **kw)["HostArn"]


MAKERS = {"connection": make_connection, "host": make_host}


def tags_of(client, arn):
    return payload(client.list_tags_for_resource(ResourceArn=arn))


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_tag_untag_list(client, service, kind):
    arn = MAKERS[kind](client, Tags=[{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "a"}])
    assert tags_of(client, arn) == {"Tags": [{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "a"}]}

    # New keys are added, existing keys get the new value.
    assert payload(client.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "prod"}, {"Key": "cost", "Value": ""}])) == {}
    listed = tags_of(client, arn)["Tags"]
    assert sorted(listed, key=lambda t: t["Key"]) == [
        {"Key": "cost", "Value": ""},
        {"Key": "env", "Value": "prod"},
        {"Key": "team", "Value": "a"},
    ]

    # Unknown keys are ignored.
    assert payload(client.untag_resource(ResourceArn=arn, TagKeys=["team", "never-set"])) == {}
    assert sorted(t["Key"] for t in tags_of(client, arn)["Tags"]) == ["cost", "env"]
    client.untag_resource(ResourceArn=arn, TagKeys=["cost", "env"])
    assert tags_of(client, arn) == {"Tags": []}
    # Tags appear nowhere else.
    described = client.get_connection(ConnectionArn=arn)["Connection"] if kind == "connection" else payload(client.get_host(HostArn=arn))
    assert "Tags" not in described


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_untagged_resource_lists_no_tags(client, kind):
    arn = MAKERS[kind](client)
    assert tags_of(client, arn) == {"Tags": []}
    client.untag_resource(ResourceArn=arn, TagKeys=["absent"])
    client.tag_resource(ResourceArn=arn, Tags=[])
    assert tags_of(client, arn) == {"Tags": []}


def test_unknown_resources_are_not_found(client, make_client, service, account):
    missing = [
        f"arn:aws:{service}:us-east-1:{account}:connection/6f1c1d0e-8f55-4a52-9f1d-0c8e2b7a1a11",
        f"arn:aws:{service}:us-east-1:{account}:host/nothere-0123abcd",
        f"arn:aws:{service}:us-east-1:{account}:widget/x",
        f"arn:aws:s3:us-east-1:{account}:bucket",
    ]
    for arn in missing:
        expect_error(service, "ResourceNotFoundException", client.list_tags_for_resource, ResourceArn=arn)
        expect_error(service, "ResourceNotFoundException", client.tag_resource, ResourceArn=arn, Tags=[{"Key": "k", "Value": "v"}])
        expect_error(service, "ResourceNotFoundException", client.untag_resource, ResourceArn=arn, TagKeys=["k"])


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_deleted_and_foreign_resources_are_not_found(client, make_client, service, account, kind):
    arn = MAKERS[kind](client, Tags=[{"Key": "k", "Value": "v"}])
    stranger = make_client(service, acct=other_account(account))
    expect_error(service, "ResourceNotFoundException", stranger.list_tags_for_resource, ResourceArn=arn)
    expect_error(service, "ResourceNotFoundException", stranger.tag_resource, ResourceArn=arn, Tags=[{"Key": "x", "Value": "y"}])
    expect_error(service, "ResourceNotFoundException", stranger.untag_resource, ResourceArn=arn, TagKeys=["k"])
    assert tags_of(client, arn) == {"Tags": [{"Key": "k", "Value": "v"}]}

    if kind == "connection":
        client.delete_connection(ConnectionArn=arn)
    else:
        client.delete_host(HostArn=arn)
    expect_error(service, "ResourceNotFoundException", client.list_tags_for_resource, ResourceArn=arn)
    expect_error(service, "ResourceNotFoundException", client.tag_resource, ResourceArn=arn, Tags=[{"Key": "x", "Value": "y"}])


def test_regions(client, make_client, service):
    """Connections are global, so they are tagged from anywhere; hosts only in their region."""
    connection = make_connection(client)
    host = make_host(client)
    west = make_client(service, region="eu-west-1")
    west.tag_resource(ResourceArn=connection, Tags=[{"Key": "from", "Value": "eu-west-1"}])
    assert tags_of(client, connection) == {"Tags": [{"Key": "from", "Value": "eu-west-1"}]}
    expect_error(service, "ResourceNotFoundException", west.list_tags_for_resource, ResourceArn=host)
    expect_error(service, "ResourceNotFoundException", west.tag_resource, ResourceArn=host, Tags=[{"Key": "a", "Value": "b"}])


def test_tags_across_services(make_client):
    old = make_client("codestar-connections")
    new = make_client("codeconnections")
    arn = make_connection(new)
    old.tag_resource(ResourceArn=arn, Tags=[{"Key": "by", "Value": "old"}])
    assert tags_of(new, arn) == {"Tags": [{"Key": "by", "Value": "old"}]}


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_fifty_tags_per_resource(make_client, service, kind):
    client = make_client(service, retries=0)
    fifty = [{"Key": f"k{i}", "Value": str(i)} for i in range(50)]
    arn = MAKERS[kind](client, Tags=fifty[:49])
    client.tag_resource(ResourceArn=arn, Tags=fifty[49:])
    assert len(tags_of(client, arn)["Tags"]) == 50
    # Overwriting existing keys does not count.
    client.tag_resource(ResourceArn=arn, Tags=[{"Key": "k0", "Value": "new"}])
    response = expect_error(service, "LimitExceededException", client.tag_resource, ResourceArn=arn, Tags=[{"Key": "k50", "Value": "x"}])
    assert response["ResponseMetadata"]["RetryAttempts"] == 0
    listed = {t["Key"]: t["Value"] for t in tags_of(client, arn)["Tags"]}
    assert len(listed) == 50 and listed["k0"] == "new" and "k50" not in listed
    # Making room allows the new key.
    client.untag_resource(ResourceArn=arn, TagKeys=["k1"])
    client.tag_resource(ResourceArn=arn, Tags=[{"Key": "k50", "Value": "x"}])

    many = fifty + [{"Key": "k50", "Value": "x"}]
    expect_error(service, "LimitExceededException", lambda **kw: MAKERS[kind](client, **kw), Tags=many)


def test_more_than_200_tags_in_one_call_is_invalid(make_client, service):
    client = make_client(service, validate=False)
    arn = make_connection(client)
    tags = [{"Key": f"k{i}", "Value": "v"} for i in range(201)]
    response = expect_error(service, "ValidationException", client.tag_resource, ResourceArn=arn, Tags=tags)
    assert "at 'tags' failed to satisfy constraint: Member must have length less than or equal to 200" in response["Error"]["Message"]
