"""State snapshots: GET/PUT /_codestar-local/state and `codestar-local state export|import`."""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import pytest
from control_http import Server, ctl, http, own_server  # noqa: F401  (fixture)
from pg import fresh_database

X, Y = "123456789012", "210987654321"
SCOPES = [(X, "us-east-1"), (X, "eu-west-1"), (Y, "ap-southeast-2")]
SERVICES = ["codestar-connections", "codeconnections"]
VPC = {"VpcId": "vpc-0123456789abcdef0", "SubnetIds": ["subnet-0123456789abcdef0"], "SecurityGroupIds": ["sg-0123456789abcdef0"]}


def clean(answer: dict) -> dict:
    answer.pop("ResponseMetadata", None)
    return answer


def populate(server) -> None:
    """Connections, hosts, tags and statuses in two accounts and three regions, through both services."""
    for n, (account, region) in enumerate(SCOPES):
        for service in SERVICES:
            c = server.client(service, account=account, region=region)
            tag = [{"Key": "scope", "Value": f"{region}-{service}"}]
            keep = c.create_connection(ConnectionName=f"keep-{n}", ProviderType="GitHub", Tags=tag)["ConnectionArn"]
            shaken = c.create_connection(ConnectionName=f"shaken-{n}", ProviderType="Bitbucket")["ConnectionArn"]
            gone = c.create_connection(ConnectionName=f"gone-{n}", ProviderType="GitLab")["ConnectionArn"]
            c.delete_connection(ConnectionArn=gone)
            ctl(server, "connections/handshake", {"ConnectionArn": shaken})
            host = c.create_host(Name=f"h{n}", ProviderType="GitHubEnterpriseServer",
                                 ProviderEndpoint=f"https://{service}.{region}.example.com", Tags=tag)["HostArn"]
            ctl(server, "hosts/setup", {"HostArn": host})
            c.create_connection(ConnectionName=f"via-host-{n}", HostArn=host)
            vpc = c.create_host(Name=f"vpc{n}", ProviderType="GitLabSelfManaged",
                                ProviderEndpoint=f"https://gitlab.{service}.{region}.example.com", VpcConfiguration=VPC)["HostArn"]
            # An explicit status stops the VPC set-up timer, so the answers do not change with time.
            ctl(server, "hosts/status", {"HostArn": vpc, "Status": "VPC_CONFIG_FAILED_INITIALIZATION", "StatusMessage": f"no ENI {n}"})
            c.tag_resource(ResourceArn=keep, Tags=[{"Key": "extra", "Value": "yes"}])
            errored = c.create_connection(ConnectionName=f"err-{n}", ProviderType="GitHub")["ConnectionArn"]
            ctl(server, "connections/status", {"ConnectionArn": errored, "ConnectionStatus": "ERROR"})
    # Git sync in one scope: a link, a stack synced from it, a blocker.
    c = server.client("codeconnections", account=X)
    conn = c.list_connections()["Connections"][0]["ConnectionArn"]
    link = c.create_repository_link(ConnectionArn=conn, OwnerId="octo", RepositoryName="infra")["RepositoryLinkInfo"]["RepositoryLinkId"]
    c.create_sync_configuration(Branch="main", ConfigFile="stack.yaml", RepositoryLinkId=link, ResourceName="web",
                                RoleArn=f"arn:aws:iam::{X}:role/sync", SyncType="CFN_STACK_SYNC")
    assert ctl(server, "sync/push", {"RepositoryLinkId": link, "Branch": "main", "AccountId": X, "DurationSeconds": 0}).status == 200
    assert ctl(server, "sync/blockers", {"ResourceName": "web", "AccountId": X}).status == 200


def answers(server) -> dict:
    """Every List/Get answer of every scope, through both services."""
    out = {}
    for account, region in SCOPES:
        for service in SERVICES:
            c = server.client(service, account=account, region=region)
            key = f"{service} {account} {region}"
            conns = clean(c.list_connections())
            out[key + " ListConnections"] = conns
            out[key + " ListConnections page 1"] = clean(c.list_connections(MaxResults=1))
            hosts = clean(c.list_hosts())
            out[key + " ListHosts"] = hosts
            # Each endpoint's model only accepts ARNs with its own service name.
            for conn in conns["Connections"]:
                arn = conn["ConnectionArn"]
                if f":{service}:" not in arn:
                    continue
                out[key + " GetConnection " + arn] = clean(c.get_connection(ConnectionArn=arn))
                out[key + " Tags " + arn] = clean(c.list_tags_for_resource(ResourceArn=arn))
            for host in hosts["Hosts"]:
                arn = host["HostArn"]
                if f":{service}:" not in arn:
                    continue
                out[key + " GetHost " + arn] = clean(c.get_host(HostArn=arn))
                out[key + " Tags " + arn] = clean(c.list_tags_for_resource(ResourceArn=arn))
    c = server.client("codeconnections", account=X)
    links = clean(c.list_repository_links())
    out["ListRepositoryLinks"] = links
    for link in links["RepositoryLinks"]:
        link_id = link["RepositoryLinkId"]
        out["GetRepositoryLink " + link_id] = clean(c.get_repository_link(RepositoryLinkId=link_id))
        out["RepositorySyncStatus " + link_id] = clean(c.get_repository_sync_status(
            RepositoryLinkId=link_id, Branch="main", SyncType="CFN_STACK_SYNC"))
        configs = clean(c.list_sync_configurations(RepositoryLinkId=link_id, SyncType="CFN_STACK_SYNC"))
        out["ListSyncConfigurations " + link_id] = configs
        for config in configs["SyncConfigurations"]:
            name = config["ResourceName"]
            out["GetSyncConfiguration " + name] = clean(c.get_sync_configuration(SyncType="CFN_STACK_SYNC", ResourceName=name))
            out["ResourceSyncStatus " + name] = clean(c.get_resource_sync_status(SyncType="CFN_STACK_SYNC", ResourceName=name))
            out["SyncBlockerSummary " + name] = clean(c.get_sync_blocker_summary(SyncType="CFN_STACK_SYNC", ResourceName=name))
    return out


def export(server) -> dict:
    answer = ctl(server, "state", method="GET")
    assert answer.status == 200
    return answer.json


def same_state(a: dict, b: dict) -> bool:
    return {k: v for k, v in a.items() if k != "exported_at"} == {k: v for k, v in b.items() if k != "exported_at"}


def test_round_trip_through_the_api(own_server):
    ctl(own_server, "reset")
    populate(own_server)
    before = answers(own_server)
    assert len(before) > 40
    assert before["ListRepositoryLinks"]["RepositoryLinks"]
    assert before["SyncBlockerSummary web"]["SyncBlockerSummary"]["LatestBlockers"]
    # A page token handed out before the export keeps working after the import.
    paging = own_server.client("codestar-connections", account=X)
    first_page = paging.list_connections(MaxResults=2)
    snapshot = export(own_server)
    assert snapshot["format"] == "codestar-local-state"
    assert snapshot["version"] == 1
    assert {i["account"] for i in snapshot["items"]} == {X, Y}
    assert {i["region"] for i in snapshot["items"]} == {"us-east-1", "eu-west-1", "ap-southeast-2"}
    assert snapshot["retired"]

    assert ctl(own_server, "reset").status == 200
    assert answers(own_server) != before

    loaded = http(own_server, "PUT", "/_codestar-local/state", body=snapshot)
    assert loaded.status == 200
    assert loaded.json == {"imported": True, "items": len(snapshot["items"])}
    assert answers(own_server) == before
    second_page = paging.list_connections(MaxResults=2, NextToken=first_page["NextToken"])
    names = [c["ConnectionName"] for c in first_page["Connections"] + second_page["Connections"]]
    assert len(set(names)) == 4
    assert same_state(export(own_server), snapshot)

    # The emulator carries on from the imported state.
    c = own_server.client("codeconnections", account=X)
    arn = c.create_connection(ConnectionName="after", ProviderType="GitHub")["ConnectionArn"]
    assert arn not in snapshot["retired"]
    assert c.get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"] == "PENDING"


def cli(*args, check=True):
    proc = subprocess.run([sys.executable, "-m", "codestar_local.cli", *args], capture_output=True, text=True, timeout=120)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_round_trip_through_the_cli(own_server, tmp_path):
    ctl(own_server, "reset")
    populate(own_server)
    before = answers(own_server)
    file = tmp_path / "state.json"
    endpoint = ("--endpoint", own_server.endpoint_url)
    cli("state", "export", str(file), *endpoint)
    assert json.loads(file.read_text())["format"] == "codestar-local-state"
    cli("reset", *endpoint)
    assert answers(own_server) != before
    out = cli("state", "import", str(file), *endpoint)
    assert json.loads(out.stdout)["imported"] is True
    assert answers(own_server) == before


def test_round_trip_through_state_files(tmp_path):
    """--state PATH: export a stopped server's file, import it into another file, serve that."""
    first = Server(state=str(tmp_path / "a.db"))
    try:
        populate(first)
        before = answers(first)
    finally:
        first.stop()
    file = tmp_path / "state.json"
    cli("state", "export", str(file), "--state", str(tmp_path / "a.db"))
    cli("state", "import", str(file), "--state", str(tmp_path / "b.db"))
    second = Server(state=str(tmp_path / "b.db"))
    try:
        assert answers(second) == before
    finally:
        second.stop()


def test_round_trip_on_postgresql(tmp_path):
    """A snapshot taken from SQLite loads into PostgreSQL, and the sequence carries on after it."""
    first = Server(state=str(tmp_path / "a.db"))
    try:
        populate(first)
        before = answers(first)
        snapshot = export(first)
    finally:
        first.stop()
    with fresh_database() as url:
        second = Server(state=url)
        try:
            assert http(second, "PUT", "/_codestar-local/state", body=snapshot).status == 200
            assert answers(second) == before
            c = second.client("codeconnections", account=X)
            arn = c.create_connection(ConnectionName="after", ProviderType="GitHub")["ConnectionArn"]
            seqs = [i["seq"] for i in export(second)["items"]]
            assert len(seqs) == len(set(seqs)) == len(snapshot["items"]) + 1
            assert max(seqs) > max(i["seq"] for i in snapshot["items"])
            assert arn in [c["ConnectionArn"] for c in c.list_connections()["Connections"]]
        finally:
            second.stop()


def test_cli_state_errors(tmp_path, own_server):
    missing = cli("state", "export", str(tmp_path / "x.json"), "--state", str(tmp_path / "none.db"), check=False)
    assert missing.returncode == 1
    assert "no state at" in missing.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    parsed = cli("state", "import", str(bad), "--endpoint", own_server.endpoint_url, check=False)
    assert parsed.returncode == 1
    assert "is not JSON" in parsed.stderr
    bad.write_text(json.dumps({"format": "codestar-local-state", "version": 9, "items": []}))
    refused = cli("state", "import", str(bad), "--endpoint", own_server.endpoint_url, check=False)
    assert refused.returncode == 1
    assert "InvalidSnapshot" in refused.stderr


# -- invalid snapshots change nothing ----------------------------------------------------
def _first(snap, kind):
    return next(i for i in snap["items"] if i["kind"] == kind)


def _conn_with_host(snap):
    return next(i for i in snap["items"] if i["kind"] == "connection" and i["parent"])


BREAKERS = {
    "format": lambda s: {**s, "format": "something-else"},
    "no format": lambda s: {k: v for k, v in s.items() if k != "format"},
    "version 2": lambda s: {**s, "version": 2},
    "version string": lambda s: {**s, "version": "1"},
    "items missing": lambda s: {k: v for k, v in s.items() if k != "items"},
    "items not a list": lambda s: {**s, "items": {}},
    "retired not strings": lambda s: {**s, "retired": [1]},
    "item not an object": lambda s: {**s, "items": s["items"] + ["x"]},
    "duplicate seq": lambda s: {**s, "items": s["items"] + [{**s["items"][0], "id": s["items"][0]["id"] + "-2"}]},
    "duplicate id": lambda s: {**s, "items": s["items"] + [{**s["items"][0], "seq": 10**9}]},
    "seq zero": lambda s: _edit(s, 0, seq=0),
    "seq string": lambda s: _edit(s, 0, seq="1"),
    "bad account": lambda s: _edit(s, 0, account="12"),
    "bad region": lambda s: _edit(s, 0, region="US EAST"),
    "bad kind": lambda s: _edit(s, 0, kind="Connection!"),
    "empty id": lambda s: _edit(s, 0, id=""),
    "data not object": lambda s: _edit(s, 0, data=[]),
    "unknown item field": lambda s: _edit(s, 0, extra=1),
    "connection status": lambda s: _data(s, "connection", ConnectionStatus="READY"),
    "connection name missing": lambda s: _data(s, "connection", ConnectionName=None),
    "connection arn mismatch": lambda s: _data(s, "connection", ConnectionArn="arn:aws:codestar-connections:us-east-1:123456789012:connection/x"),
    "host status": lambda s: _data(s, "host", Status="ERROR"),
    "host endpoint": lambda s: _data(s, "host", ProviderEndpoint=5),
    "tags": lambda s: _data(s, "host", Tags=[{"Key": 1}]),
    "timer": lambda s: _data(s, "host", _next=["Status", "AVAILABLE"]),
    "connection in another account": lambda s: _edit_item(s, _first(s, "connection"), account="999999999999"),
    "missing host": lambda s: {**s, "items": [i for i in s["items"] if i["id"] != _conn_with_host(s)["parent"]]},
}


def _edit(snap, n, **changes):
    snap = copy.deepcopy(snap)
    for k, v in changes.items():
        snap["items"][n][k] = v
    return snap


def _edit_item(snap, item, **changes):
    return _edit(snap, snap["items"].index(item), **changes)


def _data(snap, kind, **changes):
    snap = copy.deepcopy(snap)
    data = _first(snap, kind)["data"]
    for k, v in changes.items():
        if v is None:
            data.pop(k, None)
        else:
            data[k] = v
    return snap


@pytest.fixture(scope="module")
def good_snapshot(own_server):
    ctl(own_server, "reset")
    populate(own_server)
    return export(own_server)


@pytest.mark.parametrize("breaker", list(BREAKERS), ids=list(BREAKERS))
def test_bad_snapshot_is_400_and_changes_nothing(own_server, good_snapshot, breaker):
    http(own_server, "PUT", "/_codestar-local/state", body=good_snapshot)
    before = export(own_server)
    # The bad part comes after valid items: nothing may be written before the check ends.
    answer = http(own_server, "PUT", "/_codestar-local/state", body=BREAKERS[breaker](copy.deepcopy(good_snapshot)))
    assert answer.status == 400, answer.text
    assert answer.error == "InvalidSnapshot"
    assert answer.json["error"]["message"].startswith("The snapshot is not valid: ")
    assert same_state(export(own_server), before)


def test_snapshot_body_must_be_json(own_server):
    answer = http(own_server, "PUT", "/_codestar-local/state", raw=b"\x00garbage")
    assert answer.status == 400
    assert answer.error == "InvalidJson"
    assert http(own_server, "PUT", "/_codestar-local/state", body=[]).error == "InvalidJson"
    assert http(own_server, "POST", "/_codestar-local/state", body={}).status == 405


def test_empty_snapshot_clears_the_state(own_server):
    populate_one = own_server.client("codestar-connections", account=X)
    populate_one.create_connection(ConnectionName="x", ProviderType="GitHub")
    answer = http(own_server, "PUT", "/_codestar-local/state", body={"format": "codestar-local-state", "version": 1, "items": []})
    assert answer.json == {"imported": True, "items": 0}
    assert populate_one.list_connections()["Connections"] == []


# -- CodeStar projects, team members and user profiles ----------------------------------
CODESTAR_SCOPES = [(X, "us-east-1"), (X, "eu-west-1"), (Y, "ap-southeast-2")]


def codestar_client(server, account, region):
    """botocore no longer ships the codestar model: codestar-local does. AWS_DATA_PATH is set only
    while the client is made (the suite's boto_session is keyed by it; the client keeps its model),
    since other test modules check that `codestar` is unknown without it."""
    from codestar_local import spec

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_DATA_PATH", str(spec.models_path()))
        return server.client("codestar", account=account, region=region)


def _wait(check, timeout=10.0):
    import time

    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def populate_codestar(server) -> None:
    """Projects with tags and members in two accounts and three regions, user profiles, a deleted project."""
    for n, (account, region) in enumerate(CODESTAR_SCOPES):
        cs = codestar_client(server, account, region)
        alice, bob = f"arn:aws:iam::{account}:user/alice", f"arn:aws:iam::{account}:user/team/bob"
        main = f"main-{n}"
        cs.create_project(name=f"Main {n}", id=main, description=f"project {n} in {region}", tags={"scope": region, "n": str(n)},
                          clientRequestToken=f"token-{n}")
        cs.create_project(name=f"Side {n}", id=f"side-{n}")
        cs.associate_team_member(projectId=main, userArn=alice, projectRole="Contributor", remoteAccessAllowed=True)
        cs.associate_team_member(projectId=main, userArn=bob, projectRole="Viewer")
        cs.associate_team_member(projectId=f"side-{n}", userArn=alice, projectRole="Owner")
        cs.update_team_member(projectId=main, userArn=bob, projectRole="Contributor")
        cs.tag_project(id=main, tags={"extra": "yes", "gone": "soon"})
        cs.untag_project(id=main, tags=["gone"])
        cs.update_project(id=f"side-{n}", description="updated")
        doomed = f"doomed-{n}"
        cs.create_project(name="Doomed", id=doomed, tags={"a": "b"})
        cs.delete_project(id=doomed)
        if n != 1:  # profiles are per account: one set each
            cs.create_user_profile(userArn=alice, displayName=f"Alice {account}", emailAddress="alice@example.com",
                                   sshPublicKey="ssh-ed25519 AAAA alice")
            cs.create_user_profile(userArn=bob, displayName="Bob", emailAddress="bob@example.com")
            cs.update_user_profile(userArn=bob, emailAddress="bob@example.org")
    # Let every planned change happen first (0.5 s creating, 0.5 s deleting), so the answers stand still.
    for n, (account, region) in enumerate(CODESTAR_SCOPES):
        cs = codestar_client(server, account, region)
        _wait(lambda: all(cs.describe_project(id=p)["status"]["state"] == "CreateComplete" for p in (f"main-{n}", f"side-{n}")))
        _wait(lambda: f"doomed-{n}" not in [p["projectId"] for p in cs.list_projects()["projects"]])


def codestar_answers(server) -> dict:
    """DescribeProject, ListTeamMembers, ListTagsForProject, ListUserProfiles, ... of every scope (errors by code)."""
    import botocore.exceptions

    out = {}

    def ask(key, call, **params):
        try:
            out[key] = clean(call(**params))
        except botocore.exceptions.ClientError as e:
            out[key] = e.response["Error"]["Code"]

    for n, (account, region) in enumerate(CODESTAR_SCOPES):
        cs = codestar_client(server, account, region)
        key = f"{account} {region}"
        ask(key + " ListProjects", cs.list_projects)
        ask(key + " ListUserProfiles", cs.list_user_profiles)
        for pid in (f"main-{n}", f"side-{n}", f"doomed-{n}"):
            ask(f"{key} DescribeProject {pid}", cs.describe_project, id=pid)
            ask(f"{key} ListTeamMembers {pid}", cs.list_team_members, projectId=pid)
            ask(f"{key} ListTagsForProject {pid}", cs.list_tags_for_project, id=pid)
            ask(f"{key} ListResources {pid}", cs.list_resources, projectId=pid)
        for user in ("alice", "team/bob"):
            ask(f"{key} DescribeUserProfile {user}", cs.describe_user_profile, userArn=f"arn:aws:iam::{account}:user/{user}")
    return out


def test_codestar_round_trip(own_server):
    ctl(own_server, "reset")
    populate_codestar(own_server)
    before = codestar_answers(own_server)
    x = f"{X} us-east-1"
    assert before[x + " DescribeProject main-0"]["status"] == {"state": "CreateComplete"}
    assert before[x + " DescribeProject main-0"]["clientRequestToken"] == "token-0"
    assert before[x + " DescribeProject doomed-0"] == "ProjectNotFoundException"
    assert before[x + " ListTagsForProject main-0"]["tags"] == {"scope": "us-east-1", "n": "0", "extra": "yes"}
    assert [(m["projectRole"], m["remoteAccessAllowed"]) for m in before[x + " ListTeamMembers main-0"]["teamMembers"]] == [
        ("Owner", False), ("Contributor", True), ("Contributor", False)]
    assert len(before[x + " ListUserProfiles"]["userProfiles"]) == 2
    # Profiles are per account: another region of the account lists the same ones.
    assert before[f"{X} eu-west-1 ListUserProfiles"] == before[x + " ListUserProfiles"]
    # A page token handed out before the export keeps working after the import.
    paging = codestar_client(own_server, X, "us-east-1")
    first_page = paging.list_team_members(projectId="main-0", maxResults=2)
    assert "nextToken" in first_page

    snapshot = export(own_server)
    kinds = {i["kind"] for i in snapshot["items"]}
    assert {"codestar_project", "codestar_team_member", "codestar_membership", "codestar_user_profile",
            "codestar_request_token"} <= kinds
    assert ctl(own_server, "reset").status == 200
    assert codestar_answers(own_server) != before
    loaded = http(own_server, "PUT", "/_codestar-local/state", body=snapshot)
    assert loaded.status == 200, loaded.text
    assert codestar_answers(own_server) == before
    second_page = paging.list_team_members(projectId="main-0", maxResults=2, nextToken=first_page["nextToken"])
    assert len(first_page["teamMembers"] + second_page["teamMembers"]) == 3
    assert same_state(export(own_server), snapshot)

    # The emulator carries on from the imported state: quotas, tokens and memberships came along.
    cs = codestar_client(own_server, X, "us-east-1")
    assert cs.create_project(name="Main 0", id="main-0", description="project 0 in us-east-1",
                             tags={"scope": "us-east-1", "n": "0"}, clientRequestToken="token-0")["id"] == "main-0"
    with pytest.raises(cs.exceptions.ProjectAlreadyExistsException):
        cs.create_project(name="again", id="main-0")
    with pytest.raises(cs.exceptions.TeamMemberAlreadyAssociatedException):
        cs.associate_team_member(projectId="main-0", userArn=f"arn:aws:iam::{X}:user/alice", projectRole="Viewer")
    with pytest.raises(cs.exceptions.UserProfileAlreadyExistsException):
        cs.create_user_profile(userArn=f"arn:aws:iam::{X}:user/alice", displayName="A", emailAddress="a@example.com")
    cs.create_project(name="After", id="after")
    cs.delete_project(id="main-0")
    assert cs.describe_project(id="main-0")["status"]["state"] == "DeleteInProgress"


def _codestar_item(snap, kind):
    return next(i for i in snap["items"] if i["kind"] == kind)


def _codestar_data(kind, **changes):
    def breaker(snap):
        snap = copy.deepcopy(snap)
        data = _codestar_item(snap, kind)["data"]
        for k, v in changes.items():
            if v is None:
                data.pop(k, None)
            else:
                data[k] = v
        return snap

    return breaker


def _codestar_edit(kind, **changes):
    def breaker(snap):
        snap = copy.deepcopy(snap)
        _codestar_item(snap, kind).update(changes)
        return snap

    return breaker


CODESTAR_BREAKERS = {
    "project name missing": _codestar_data("codestar_project", name=None),
    "project id empty": _codestar_data("codestar_project", id=""),
    "project arn of another region": _codestar_data("codestar_project", arn=f"arn:aws:codestar:eu-north-1:{X}:project/main-0"),
    "project arn of another service": _codestar_data("codestar_project", arn=f"arn:aws:codecommit:us-east-1:{X}:main-0"),
    "project in another account": _codestar_edit("codestar_project", account="999999999999"),
    "project created not a number": _codestar_data("codestar_project", createdTimeStamp="yesterday"),
    "project ReadyAt missing": _codestar_data("codestar_project", ReadyAt=None),
    "project ReadyAt bool": _codestar_data("codestar_project", ReadyAt=True),
    "project tags a list": _codestar_data("codestar_project", Tags=[{"Key": "a", "Value": "b"}]),
    "project tag value a number": _codestar_data("codestar_project", Tags={"a": 1}),
    "profile email missing": _codestar_data("codestar_user_profile", emailAddress=None),
    "profile display name a number": _codestar_data("codestar_user_profile", displayName=5),
    "profile timestamp a string": _codestar_data("codestar_user_profile", lastModifiedTimestamp="now"),
    "profile id of another user": _codestar_edit("codestar_user_profile", id=f"{X}/arn:aws:iam::{X}:user/mallory"),
    "member role unknown": _codestar_data("codestar_team_member", projectRole="Admin"),
    "member user missing": _codestar_data("codestar_team_member", userArn=None),
    "member remote access a string": _codestar_data("codestar_team_member", remoteAccessAllowed="yes"),
    "membership project missing": _codestar_data("codestar_membership", projectId=None),
}


@pytest.fixture(scope="module")
def codestar_snapshot(own_server):
    ctl(own_server, "reset")
    populate_codestar(own_server)
    return export(own_server)


@pytest.mark.parametrize("breaker", list(CODESTAR_BREAKERS), ids=list(CODESTAR_BREAKERS))
def test_bad_codestar_item_is_400_and_changes_nothing(own_server, codestar_snapshot, breaker):
    assert http(own_server, "PUT", "/_codestar-local/state", body=codestar_snapshot).status == 200
    before = export(own_server)
    answers_before = codestar_answers(own_server)
    broken = CODESTAR_BREAKERS[breaker](copy.deepcopy(codestar_snapshot))
    assert broken != codestar_snapshot
    answer = http(own_server, "PUT", "/_codestar-local/state", body=broken)
    assert answer.status == 400, answer.text
    assert answer.error == "InvalidSnapshot"
    # The message names the broken item.
    assert "items[" in answer.json["error"]["message"]
    assert same_state(export(own_server), before)
    assert codestar_answers(own_server) == answers_before
