"""CodeStar projects through boto3: create, describe, list, update, delete, the lifecycle, request tokens, resources."""

from __future__ import annotations

import re

from codestar_clients import raises, user, wait_gone, wait_state

TOOLCHAIN = {"source": {"s3": {"bucketName": "templates", "bucketKey": "toolchain.yml"}}, "stackParameters": {"ProjectId": "x"}}


def source(name="repo", github=False):
    destination = (
        {"gitHub": {"name": name, "type": "User", "owner": "octo", "privateRepository": True, "issuesEnabled": False, "token": "t"}}
        if github
        else {"codeCommit": {"name": name}}
    )
    return [{"source": {"s3": {"bucketName": "seed", "bucketKey": "seed.zip"}}, "destination": destination}]


def test_create_describe_and_lifecycle(cs, account):
    out = cs.create_project(name="My App", id="my-app", description="A test project", tags={"team": "core"})
    assert out["id"] == "my-app"
    assert out["arn"] == f"arn:aws:codestar:us-east-1:{account}:project/my-app"
    assert "clientRequestToken" not in out
    d = cs.describe_project(id="my-app")
    assert d["name"] == "My App" and d["description"] == "A test project" and d["arn"] == out["arn"]
    assert re.fullmatch(rf"arn:aws:cloudformation:us-east-1:{account}:stack/awscodestar-my-app/[0-9a-f-]{{36}}", d["stackId"])
    assert d["createdTimeStamp"].timestamp() > 0
    assert d["status"]["state"] == "CreateInProgress"
    assert wait_state(cs, "my-app", "CreateComplete") in (["CreateInProgress", "CreateComplete"], ["CreateComplete"])
    assert cs.list_projects()["projects"] == [{"projectId": "my-app", "projectArn": out["arn"]}]

    deleted = cs.delete_project(id="my-app")
    assert deleted == {"projectArn": out["arn"], **{k: v for k, v in deleted.items() if k == "ResponseMetadata"}}
    assert cs.describe_project(id="my-app")["status"]["state"] == "DeleteInProgress"
    message = wait_gone(cs, "my-app")
    assert message == "The project ID was not found: my-app. Make sure that the project ID is correct and then try again."
    assert cs.list_projects()["projects"] == []
    # The id is free again once the project is gone.
    assert cs.create_project(name="again", id="my-app")["arn"] == out["arn"]


def test_delete_stack_is_in_the_answer(cs):
    cs.create_project(name="a", id="keep-stack")
    cs.create_project(name="b", id="drop-stack")
    stack = cs.describe_project(id="drop-stack")["stackId"]
    assert "stackId" not in cs.delete_project(id="keep-stack", deleteStack=False)
    assert cs.delete_project(id="drop-stack", deleteStack=True)["stackId"] == stack
    # Deleting again while the deletion runs gives the same answer.
    assert cs.delete_project(id="drop-stack")["stackId"] == stack


def test_delete_is_idempotent_for_unknown_projects(cs, account):
    out = cs.delete_project(id="never-made")
    assert out["projectArn"] == f"arn:aws:codestar:us-east-1:{account}:project/never-made"
    assert "stackId" not in out


def test_duplicate_id(cs, make_cs):
    cs.create_project(name="one", id="dup")
    message = raises(cs.create_project, "CreateProject", "ProjectAlreadyExistsException", name="two", id="dup")
    assert message.startswith("An AWS CodeStar project with the same ID already exists in this region for the AWS account.")
    # Ids are unique in the whole account: the toolchain's IAM roles are named after them.
    raises(make_cs(region="eu-west-1").create_project, "CreateProject", "ProjectAlreadyExistsException", name="two", id="dup")
    # A project being deleted still holds its id.
    cs.delete_project(id="dup")
    raises(cs.create_project, "CreateProject", "ProjectAlreadyExistsException", name="two", id="dup")


def test_client_request_token(cs):
    first = cs.create_project(name="p", id="tok-proj", clientRequestToken="token-1")
    assert first["clientRequestToken"] == "token-1"
    again = cs.create_project(name="p", id="tok-proj", clientRequestToken="token-1")
    assert {k: v for k, v in again.items() if k != "ResponseMetadata"} == {k: v for k, v in first.items() if k != "ResponseMetadata"}
    assert len(cs.list_projects()["projects"]) == 1
    assert cs.describe_project(id="tok-proj")["clientRequestToken"] == "token-1"
    message = raises(cs.create_project, "CreateProject", "ValidationException", name="other", id="tok-proj", clientRequestToken="token-1")
    assert "token-1" in message
    raises(cs.create_project, "CreateProject", "ValidationException", name="p", id="tok-other", clientRequestToken="token-1")
    # Without the token a second create is a duplicate.
    raises(cs.create_project, "CreateProject", "ProjectAlreadyExistsException", name="p", id="tok-proj")


def test_token_is_per_account(make_cs, account):
    other = "".join(reversed(account))
    make_cs().create_project(name="p", id="per-acct", clientRequestToken="shared")
    assert make_cs(other).create_project(name="p", id="per-acct", clientRequestToken="shared")["arn"].split(":")[4] == other


def test_source_code_and_toolchain_go_together(cs):
    raises(cs.create_project, "CreateProject", "ValidationException", name="p", id="src-only", sourceCode=source())
    raises(cs.create_project, "CreateProject", "ValidationException", name="p", id="tc-only", toolchain=TOOLCHAIN)
    bad = [{"source": {"s3": {"bucketName": "seed"}}, "destination": {}}]
    raises(cs.create_project, "CreateProject", "ValidationException", name="p", id="no-dest", sourceCode=bad, toolchain=TOOLCHAIN)
    for pid in ("src-only", "tc-only", "no-dest"):
        raises(cs.describe_project, "DescribeProject", "ProjectNotFoundException", id=pid)


def test_toolchain_role_must_be_an_iam_role_of_the_account(cs, account):
    raises(cs.create_project, "CreateProject", "InvalidServiceRoleException", name="p", id="bad-role",
           sourceCode=source(), toolchain={**TOOLCHAIN, "roleArn": "not-a-role"})
    raises(cs.create_project, "CreateProject", "InvalidServiceRoleException", name="p", id="bad-role",
           sourceCode=source(), toolchain={**TOOLCHAIN, "roleArn": "arn:aws:iam::999999999999:role/CodeStarWorker"})
    cs.create_project(name="p", id="good-role", sourceCode=source(), toolchain={**TOOLCHAIN, "roleArn": f"arn:aws:iam::{account}:role/cs"})


def test_list_resources(cs, account):
    cs.create_project(name="p", id="with-tc", sourceCode=source("app-repo"), toolchain=TOOLCHAIN)
    cs.create_project(name="p", id="gh-tc", sourceCode=source("gh-repo", github=True), toolchain=TOOLCHAIN)
    cs.create_project(name="p", id="empty")
    arns = [r["id"] for r in cs.list_resources(projectId="with-tc")["resources"]]
    stack = cs.describe_project(id="with-tc")["stackId"]
    assert arns[0] == stack
    assert f"arn:aws:codecommit:us-east-1:{account}:app-repo" in arns
    assert f"arn:aws:codepipeline:us-east-1:{account}:with-tc-Pipeline" in arns
    assert f"arn:aws:iam::{account}:role/CodeStarWorker-with-tc-ToolChain" in arns
    assert all(re.match(r"^arn:aws:\S.*:.*", a) for a in arns) and len(set(arns)) == len(arns)
    gh = [r["id"] for r in cs.list_resources(projectId="gh-tc")["resources"]]
    assert not any(":codecommit:" in a for a in gh) and len(gh) == len(arns) - 1
    assert cs.list_resources(projectId="empty")["resources"] == []
    # Paging walks the same list.
    seen, token = [], None
    while True:
        page = cs.list_resources(projectId="with-tc", maxResults=3, **({"nextToken": token} if token else {}))
        assert len(page["resources"]) <= 3
        seen += [r["id"] for r in page["resources"]]
        token = page.get("nextToken")
        if not token:
            break
    assert seen == arns
    raises(cs.list_resources, "ListResources", "ProjectNotFoundException", projectId="nope")
    raises(cs.list_resources, "ListResources", "InvalidNextTokenException", projectId="with-tc", nextToken="bogus")


def test_update_project(cs):
    cs.create_project(name="before", id="upd", description="old")
    cs.update_project(id="upd", name="after")
    d = cs.describe_project(id="upd")
    assert (d["name"], d["description"]) == ("after", "old")
    cs.update_project(id="upd", description="")
    assert "description" not in cs.describe_project(id="upd")
    raises(cs.update_project, "UpdateProject", "ProjectNotFoundException", id="nope", name="x")
    cs.delete_project(id="upd")
    # UpdateProject models no ConcurrentModificationException: a project being deleted is not found.
    raises(cs.update_project, "UpdateProject", "ProjectNotFoundException", id="upd", name="x")


def test_projects_are_regional_and_per_account(make_cs, account):
    home = make_cs()
    home.create_project(name="p", id="regional")
    away = make_cs(region="eu-west-1")
    assert away.list_projects()["projects"] == []
    raises(away.describe_project, "DescribeProject", "ProjectNotFoundException", id="regional")
    stranger = make_cs("".join(reversed(account)))
    raises(stranger.describe_project, "DescribeProject", "ProjectNotFoundException", id="regional")
    assert stranger.list_projects()["projects"] == []
    raises(stranger.tag_project, "TagProject", "ProjectNotFoundException", id="regional", tags={"a": "b"})
    raises(stranger.list_team_members, "ListTeamMembers", "ProjectNotFoundException", projectId="regional")
    raises(stranger.associate_team_member, "AssociateTeamMember", "ProjectNotFoundException",
           projectId="regional", userArn=user(account, "mallory"), projectRole="Owner")
    stranger.delete_project(id="regional")  # succeeds, and deletes nothing of the owner's
    assert home.describe_project(id="regional")["status"]["state"] in ("CreateInProgress", "CreateComplete")


def test_list_projects_pages(cs):
    ids = [f"page-{n:02d}" for n in range(9)]  # one user belongs to at most 10 projects
    for pid in ids:
        cs.create_project(name=pid, id=pid)
    seen, token, sizes = [], None, []
    while True:
        page = cs.list_projects(maxResults=4, **({"nextToken": token} if token else {}))
        sizes.append(len(page["projects"]))
        seen += [p["projectId"] for p in page["projects"]]
        token = page.get("nextToken")
        if not token:
            break
        assert re.fullmatch(r"[\w/+=]+", token)
    assert sizes == [4, 4, 1] and seen == ids
    # A deleted project drops out of the pages.
    cs.delete_project(id="page-03")
    wait_gone(cs, "page-03")
    assert [p["projectId"] for p in cs.list_projects()["projects"]] == [i for i in ids if i != "page-03"]
    for token in ("bogus", "eyJ2IjoxLCJrIjoiY29kZXN0YXJfdXNlcl9wcm9maWxlIiwicyI6MX0=", "e30="):
        raises(cs.list_projects, "ListProjects", "InvalidNextTokenException", nextToken=token)
