"""CodeStar rules across two server processes over one SQLite file or PostgreSQL database, under concurrent calls."""

from __future__ import annotations

import concurrent.futures

import botocore.exceptions
from codestar_clients import codestar_client, user, wait_gone, wait_state


def outcome(call, **params):
    try:
        call(**params)
        return "ok"
    except botocore.exceptions.ClientError as err:
        return err.response["Error"]["Code"]


def fan_out(n, fn):
    with concurrent.futures.ThreadPoolExecutor(n) as pool:
        return list(pool.map(fn, range(n)))


def test_one_of_sixteen_creates_wins(workers, account):
    # A client per call: each has its own connections, which land on either process.
    results = fan_out(16, lambda n: outcome(codestar_client(workers.endpoint_url, account).create_project, name=f"n{n}", id="race"))
    assert sorted(results) == ["ProjectAlreadyExistsException"] * 15 + ["ok"]
    cs = codestar_client(workers.endpoint_url, account)
    assert [p["projectId"] for p in cs.list_projects()["projects"]] == ["race"]
    assert len(cs.list_team_members(projectId="race")["teamMembers"]) == 1


def test_one_token_one_project(workers, account):
    results = fan_out(8, lambda n: outcome(codestar_client(workers.endpoint_url, account).create_project,
                                           name="same", id="tokened", clientRequestToken="one-token"))
    assert results == ["ok"] * 8
    assert len(codestar_client(workers.endpoint_url, account).list_projects()["projects"]) == 1


def test_ten_projects_per_user_under_concurrency(workers, account):
    results = fan_out(14, lambda n: outcome(codestar_client(workers.endpoint_url, account).create_project, name="p", id=f"c-{n}"))
    assert results.count("ok") == 10 and results.count("LimitExceededException") == 4


def test_member_quota_under_concurrency(workers, account):
    cs = codestar_client(workers.endpoint_url, account)
    cs.create_project(name="p", id="crowd")
    for n in range(90):
        cs.associate_team_member(projectId="crowd", userArn=user(account, f"m{n}"), projectRole="Viewer")
    results = fan_out(16, lambda n: outcome(codestar_client(workers.endpoint_url, account).associate_team_member,
                                            projectId="crowd", userArn=user(account, f"late{n}"), projectRole="Viewer"))
    assert results.count("ok") == 9 and results.count("LimitExceededException") == 7
    assert len(cs.list_team_members(projectId="crowd")["teamMembers"]) == 100


def test_lifecycle_is_the_same_from_every_process(workers, account):
    cs = codestar_client(workers.endpoint_url, account)
    cs.create_project(name="p", id="life")
    seen = wait_state(codestar_client(workers.endpoint_url, account), "life", "CreateComplete")
    assert seen[-1] == "CreateComplete"
    # Fresh clients may reach the other process: it agrees.
    for _ in range(6):
        assert codestar_client(workers.endpoint_url, account).describe_project(id="life")["status"]["state"] == "CreateComplete"
    cs.delete_project(id="life")
    wait_gone(codestar_client(workers.endpoint_url, account), "life")
    for _ in range(6):
        assert codestar_client(workers.endpoint_url, account).list_projects()["projects"] == []
