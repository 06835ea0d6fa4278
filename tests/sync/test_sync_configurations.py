"""Sync configurations through boto3, on both connection services."""

from __future__ import annotations

import uuid

import pytest

from codestar_local import spec

STACK_SYNC = "CFN_STACK_SYNC"
ROLE = "arn:aws:iam::123456789012:role/git-sync"


def test_create_get_list_update_delete(client, service, git):
    link = git.link(owner="octo", repo="infra", connection=git.connection(provider="GitLab"))
    link_id = link["RepositoryLinkId"]
    out = client.create_sync_configuration(
        Branch="main", ConfigFile="stacks/web/deployment.yaml", RepositoryLinkId=link_id, ResourceName="web-stack",
        RoleArn=ROLE, SyncType=STACK_SYNC, PublishDeploymentStatus="ENABLED", TriggerResourceUpdateOn="FILE_CHANGE",
    )
    config = out["SyncConfiguration"]
    assert config == {
        "Branch": "main",
        "ConfigFile": "stacks/web/deployment.yaml",
        "OwnerId": "octo",  # OwnerId, ProviderType and RepositoryName come from the link
        "ProviderType": "GitLab",
        "RepositoryLinkId": link_id,
        "RepositoryName": "infra",
        "ResourceName": "web-stack",
        "RoleArn": ROLE,
        "SyncType": STACK_SYNC,
        "PublishDeploymentStatus": "ENABLED",
        "TriggerResourceUpdateOn": "FILE_CHANGE",
    }
    assert client.get_sync_configuration(SyncType=STACK_SYNC, ResourceName="web-stack")["SyncConfiguration"] == config
    listed = client.list_sync_configurations(RepositoryLinkId=link_id, SyncType=STACK_SYNC)
    assert listed["SyncConfigurations"] == [config] and "NextToken" not in listed

    other_role = "arn:aws:iam::123456789012:role/other"
    updated = client.update_sync_configuration(
        SyncType=STACK_SYNC, ResourceName="web-stack", Branch="release", ConfigFile="deployment.yaml",
        RoleArn=other_role, PublishDeploymentStatus="DISABLED", TriggerResourceUpdateOn="ANY_CHANGE",
    )["SyncConfiguration"]
    assert updated == {**config, "Branch": "release", "ConfigFile": "deployment.yaml", "RoleArn": other_role,
                       "PublishDeploymentStatus": "DISABLED", "TriggerResourceUpdateOn": "ANY_CHANGE"}
    assert client.get_sync_configuration(SyncType=STACK_SYNC, ResourceName="web-stack")["SyncConfiguration"] == updated

    out = client.delete_sync_configuration(SyncType=STACK_SYNC, ResourceName="web-stack")
    assert {k: v for k, v in out.items() if k != "ResponseMetadata"} == {}
    assert client.list_sync_configurations(RepositoryLinkId=link_id, SyncType=STACK_SYNC)["SyncConfigurations"] == []


def test_optional_settings_are_omitted_when_never_set(git):
    config = git.config(git.link()["RepositoryLinkId"], "plain")
    assert not {"PublishDeploymentStatus", "TriggerResourceUpdateOn", "PullRequestComment"} & set(config)


def test_pull_request_comment_is_codeconnections_only(make_client):
    cc, csc = make_client("codeconnections"), make_client("codestar-connections")
    conn = cc.create_connection(ProviderType="GitHub", ConnectionName="c")["ConnectionArn"]
    link_id = cc.create_repository_link(ConnectionArn=conn, OwnerId="o", RepositoryName="r")["RepositoryLinkInfo"]["RepositoryLinkId"]
    made = cc.create_sync_configuration(Branch="main", ConfigFile="d.yaml", RepositoryLinkId=link_id, ResourceName="s1",
                                        RoleArn=ROLE, SyncType=STACK_SYNC, PullRequestComment="ENABLED")["SyncConfiguration"]
    assert made["PullRequestComment"] == "ENABLED"
    assert "PullRequestComment" not in spec.services()["codestar-connections"].shapes["SyncConfiguration"]["members"]
    # The older endpoint's model has no such member: it is kept but not shown there.
    seen = csc.get_sync_configuration(SyncType=STACK_SYNC, ResourceName="s1")["SyncConfiguration"]
    assert seen == {k: v for k, v in made.items() if k != "PullRequestComment"}
    csc.update_sync_configuration(SyncType=STACK_SYNC, ResourceName="s1", Branch="dev")
    again = cc.get_sync_configuration(SyncType=STACK_SYNC, ResourceName="s1")["SyncConfiguration"]
    assert again == {**made, "Branch": "dev"}
    assert cc.update_sync_configuration(SyncType=STACK_SYNC, ResourceName="s1", PullRequestComment="DISABLED")["SyncConfiguration"]["PullRequestComment"] == "DISABLED"


def test_create_errors(client, git, expect):
    link_id = git.link()["RepositoryLinkId"]
    params = dict(Branch="main", ConfigFile="d.yaml", ResourceName="stack", RoleArn=ROLE, SyncType=STACK_SYNC)
    # CreateSyncConfiguration models no ResourceNotFoundException: an unknown link is invalid input.
    expect("InvalidInputException", client.create_sync_configuration, RepositoryLinkId=str(uuid.uuid4()), **params)
    client.create_sync_configuration(RepositoryLinkId=link_id, **params)
    # One configuration per (SyncType, ResourceName), whatever the link or branch.
    other = git.link(repo="other")["RepositoryLinkId"]
    err = expect("ResourceAlreadyExistsException", client.create_sync_configuration, RepositoryLinkId=other, **{**params, "Branch": "dev"})
    assert "stack" in err["Message"]


def test_unknown_configuration(client, git, expect):
    expect("ResourceNotFoundException", client.get_sync_configuration, SyncType=STACK_SYNC, ResourceName="nothing")
    expect("ResourceNotFoundException", client.update_sync_configuration, SyncType=STACK_SYNC, ResourceName="nothing", Branch="x")
    # DeleteSyncConfiguration models no ResourceNotFoundException either.
    expect("InvalidInputException", client.delete_sync_configuration, SyncType=STACK_SYNC, ResourceName="nothing")
    expect("ResourceNotFoundException", client.list_sync_configurations, RepositoryLinkId=str(uuid.uuid4()), SyncType=STACK_SYNC)


def test_configurations_are_per_account_and_region(client, service, account, git, make_client, expect):
    git.config(git.link()["RepositoryLinkId"], "mine")
    west = make_client(service, region="eu-west-1")
    expect("ResourceNotFoundException", west.get_sync_configuration, SyncType=STACK_SYNC, ResourceName="mine")
    stranger = make_client(service, acct="000000000001" if account != "000000000001" else "000000000002")
    expect("ResourceNotFoundException", stranger.get_sync_configuration, SyncType=STACK_SYNC, ResourceName="mine")


def test_move_to_another_link(client, git, expect):
    first = git.link(repo="first")["RepositoryLinkId"]
    second_link = git.link(git.connection(provider="Bitbucket"), owner="team", repo="second")
    second = second_link["RepositoryLinkId"]
    config = git.config(first, "mover")
    moved = client.update_sync_configuration(SyncType=STACK_SYNC, ResourceName="mover", RepositoryLinkId=second)["SyncConfiguration"]
    assert moved == {**config, "RepositoryLinkId": second, "OwnerId": "team", "RepositoryName": "second", "ProviderType": "Bitbucket"}
    assert client.list_sync_configurations(RepositoryLinkId=first, SyncType=STACK_SYNC)["SyncConfigurations"] == []
    assert client.list_sync_configurations(RepositoryLinkId=second, SyncType=STACK_SYNC)["SyncConfigurations"] == [moved]
    expect("ResourceNotFoundException", client.update_sync_configuration, SyncType=STACK_SYNC, ResourceName="mover",
           RepositoryLinkId=str(uuid.uuid4()))
    # The first link has no configuration left, so it can go.
    client.delete_repository_link(RepositoryLinkId=first)


def test_pagination(client, git, expect):
    link_id = git.link()["RepositoryLinkId"]
    made = [git.config(link_id, f"stack-{i:02d}", branch=f"b{i % 3}")["ResourceName"] for i in range(23)]
    git.config(git.link(repo="elsewhere")["RepositoryLinkId"], "not-listed")
    pages, token = [], None
    while True:
        extra = {"NextToken": token} if token else {}
        out = client.list_sync_configurations(RepositoryLinkId=link_id, SyncType=STACK_SYNC, MaxResults=5, **extra)
        pages.append([c["ResourceName"] for c in out["SyncConfigurations"]])
        token = out.get("NextToken")
        if not token:
            break
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
    assert [name for p in pages for name in p] == made
    expect("ValidationException", client.list_sync_configurations, RepositoryLinkId=link_id, SyncType=STACK_SYNC, NextToken="bogus")


def test_quota_per_branch_and_per_account(client, git, expect):
    link_id = git.link()["RepositoryLinkId"]
    for i in range(50):
        git.config(link_id, f"main-{i}", branch="main")
    err = expect("LimitExceededException", git.config, link_id=link_id, resource="main-50", branch="main")
    assert "per branch" in err["Message"]
    for i in range(50):
        git.config(link_id, f"dev-{i}", branch="dev")
    # 100 CloudFormation stack sync configurations in the account and region.
    other = git.link(repo="other")["RepositoryLinkId"]
    err = expect("LimitExceededException", git.config, link_id=other, resource="one-more", branch="feature")
    assert "CloudFormation stack sync configurations" in err["Message"]
    # Moving onto a full branch is refused too (UpdateSyncConfiguration models no LimitExceededException).
    client.delete_sync_configuration(SyncType=STACK_SYNC, ResourceName="dev-0")
    expect("InvalidInputException", client.update_sync_configuration, SyncType=STACK_SYNC, ResourceName="dev-1", Branch="main")
    client.update_sync_configuration(SyncType=STACK_SYNC, ResourceName="dev-1", Branch="feature")


@pytest.mark.parametrize("member, value, rule", [
    ("ResourceName", "-bad", r"Member must satisfy regular expression pattern: ^[0-9A-Za-z]+[0-9A-Za-z_\\-]*$"),
    ("RoleArn", "arn:aws:iam::123:user/x", r"Member must satisfy regular expression pattern: arn:aws(-[\w]+)*:iam::\d{12}:role/[a-zA-Z_0-9+=,.@\-_/]+"),
    ("SyncType", "LAMBDA_SYNC", "Member must satisfy enum value set: [CFN_STACK_SYNC]"),
])
def test_validation_messages(server, service, account, member, value, rule):
    raw = server.client(service, account=account, validate=False)
    params = dict(Branch="main", ConfigFile="d.yaml", RepositoryLinkId=str(uuid.uuid4()), ResourceName="ok",
                  RoleArn=ROLE, SyncType=STACK_SYNC)
    params[member] = value
    with pytest.raises(raw.exceptions.ClientError) as e:
        raw.create_sync_configuration(**params)
    path = member[0].lower() + member[1:]
    assert e.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": f"1 validation error detected: Value '{value}' at '{path}' failed to satisfy constraint: {rule}",
    } | {k: v for k, v in e.value.response["Error"].items() if k not in ("Code", "Message")}
