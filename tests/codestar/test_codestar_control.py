"""CodeStar resources under the control API: reset (one account or all) and the request log."""

from __future__ import annotations

import json
import urllib.request

import pytest
from codestar_clients import codestar_client, raises, user


def post(server, path, body):
    req = urllib.request.Request(server.endpoint_url + path, data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def populate(server, account):
    cs = codestar_client(server.endpoint_url, account)
    cs.create_project(name="p", id="kept", tags={"a": "b"})
    cs.associate_team_member(projectId="kept", userArn=user(account, "bob"), projectRole="Viewer")
    cs.create_user_profile(userArn=user(account, "bob"), displayName="Bob", emailAddress="bob@example.com")
    return cs


@pytest.mark.parametrize("scope", ["one", "all"])
def test_reset(fresh_server, scope):
    a = populate(fresh_server, "111111111111")
    b = populate(fresh_server, "222222222222")
    post(fresh_server, "/_codestar-local/reset", {"AccountId": "111111111111"} if scope == "one" else {})
    assert a.list_projects()["projects"] == [] and a.list_user_profiles()["userProfiles"] == []
    raises(a.describe_project, "DescribeProject", "ProjectNotFoundException", id="kept")
    # The id, the user's project count and the token store start afresh too.
    a.create_project(name="p", id="kept")
    if scope == "one":
        assert [p["projectId"] for p in b.list_projects()["projects"]] == ["kept"]
        assert len(b.list_team_members(projectId="kept")["teamMembers"]) == 2
        assert b.list_tags_for_project(id="kept")["tags"] == {"a": "b"}
        assert len(b.list_user_profiles()["userProfiles"]) == 1
    else:
        assert b.list_projects()["projects"] == []


def test_request_log(server, account):
    cs = codestar_client(server.endpoint_url, account)
    cs.create_project(name="p", id="logged")
    with pytest.raises(cs.exceptions.ProjectNotFoundException):
        cs.describe_project(id="missing")
    with urllib.request.urlopen(f"{server.endpoint_url}/_codestar-local/requests?account={account}&limit=5", timeout=30) as r:
        rows = json.loads(r.read())["requests"]
    assert [(r["service"], r["operation"], r["status"]) for r in rows[:2]] == [
        ("codestar", "DescribeProject", 400), ("codestar", "CreateProject", 200)]
