"""A commit lands (control API) -> repository and resource sync status, sync blockers; through boto3."""

from __future__ import annotations

import datetime
import time
import uuid

import pytest

STACK_SYNC = "CFN_STACK_SYNC"
LONG = 600  # seconds: a sync that stays in flight for the whole test


def wait_for(fn, done, timeout=30.0):
    """Poll fn() until done(value); the deadline only guards against a hang."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def revision(link: dict, sha: str, branch="main", directory="deploy") -> dict:
    return {"Branch": branch, "Directory": directory, "OwnerId": link["OwnerId"], "RepositoryName": link["RepositoryName"],
            "ProviderType": link["ProviderType"], "Sha": sha}


def test_push_status_blocker_resolve_push(client, git, control):
    link = git.link()
    link_id = link["RepositoryLinkId"]
    git.config(link_id, "app-stack")
    bad, blocked, good = "a" * 40, "b" * 40, "c" * 40

    # 1. A commit whose deployment fails.
    out = control.push(link_id, CommitId=bad, Outcome="FAILED", Reason="Template format error", DurationSeconds=0)
    assert out["CommitId"] == bad and out["AccountId"] == git.account and out["Region"] == "us-east-1"
    [resource] = out["Resources"]
    assert resource["ResourceName"] == "app-stack" and resource["Status"] == "INITIATED"
    repo = git.repository_status(link_id)
    assert repo["Status"] == "FAILED"
    assert [e["Type"] for e in repo["Events"]] == ["INITIATED", "IN_PROGRESS", "FAILED"]
    assert all(e["ExternalId"] == bad for e in repo["Events"])
    assert isinstance(repo["StartedAt"], datetime.datetime)
    status = git.resource_status("app-stack")
    latest = status["LatestSync"]
    assert latest["Status"] == "FAILED" and latest["Target"] == "app-stack"
    assert latest["TargetRevision"] == revision(link, bad)
    assert latest["Events"][-1]["Event"] == "Template format error"
    assert "LatestSuccessfulSync" not in status
    assert status["DesiredState"] == revision(link, bad)

    # 2. The failure left an ACTIVE automated blocker.
    [blocker] = git.blockers("app-stack")
    assert blocker["Id"] == resource["BlockerId"]
    assert (blocker["Type"], blocker["Status"], blocker["CreatedReason"]) == ("AUTOMATED", "ACTIVE", "Template format error")
    assert {"Key": "CommitId", "Value": bad} in blocker["Contexts"]
    assert "ResolvedReason" not in blocker

    # 3. While it is active a commit is recorded but the stack does not sync.
    out = control.push(link_id, CommitId=blocked, DurationSeconds=0)
    assert out["Resources"] == [{"ResourceName": "app-stack", "Status": "BLOCKED", "BlockerId": blocker["Id"]}]
    repo = git.repository_status(link_id)
    assert repo["Status"] == "SUCCEEDED"
    assert any(e["Type"] == "BLOCKED" and e["ExternalId"] == blocker["Id"] for e in repo["Events"])
    status = git.resource_status("app-stack")
    assert status["LatestSync"]["TargetRevision"]["Sha"] == bad  # still the failed attempt
    assert status["DesiredState"]["Sha"] == blocked

    # 4. Resolve it.
    out = client.update_sync_blocker(Id=blocker["Id"], SyncType=STACK_SYNC, ResourceName="app-stack", ResolvedReason="Fixed the template")
    assert out["ResourceName"] == "app-stack" and out["ParentResourceName"] == "app-stack"
    resolved = out["SyncBlocker"]
    assert resolved["Status"] == "RESOLVED" and resolved["ResolvedReason"] == "Fixed the template"
    assert resolved["ResolvedAt"] >= resolved["CreatedAt"]
    assert git.blockers("app-stack") == [resolved]

    # 5. The next commit syncs again.
    out = control.push(link_id, CommitId=good, DurationSeconds=0)
    assert out["Resources"] == [{"ResourceName": "app-stack", "Status": "INITIATED"}]
    status = wait_for(lambda: git.resource_status("app-stack"), lambda s: s["LatestSync"]["TargetRevision"]["Sha"] == good)
    latest = status["LatestSync"]
    assert latest["Status"] == "SUCCEEDED"
    assert [e["Type"] for e in latest["Events"]] == ["INITIATED", "IN_PROGRESS", "SUCCEEDED"]
    assert latest["InitialRevision"]["Sha"] == good  # nothing ever succeeded: no known earlier state
    assert status["LatestSuccessfulSync"] == latest
    assert status["DesiredState"]["Sha"] == good
    assert git.repository_status(link_id)["Status"] == "SUCCEEDED"

    # A later success starts from the revision of the last successful one.
    control.push(link_id, CommitId="d" * 40, DurationSeconds=0)
    status = wait_for(lambda: git.resource_status("app-stack"), lambda s: s["LatestSync"]["TargetRevision"]["Sha"] == "d" * 40)
    assert status["LatestSync"]["InitialRevision"]["Sha"] == good


def test_default_sync_reaches_its_final_state(git, control):
    link_id = git.link()["RepositoryLinkId"]
    git.config(link_id, "quick")
    control.push(link_id)
    repo = wait_for(lambda: git.repository_status(link_id), lambda r: r["Status"] == "SUCCEEDED")
    assert [e["Type"] for e in repo["Events"]] == ["INITIATED", "IN_PROGRESS", "SUCCEEDED"]
    times = [e["Time"] for e in repo["Events"]]
    assert times == sorted(times) and times[0] == repo["StartedAt"]
    res = wait_for(lambda: git.resource_status("quick"), lambda s: s["LatestSync"]["Status"] == "SUCCEEDED")
    assert res["LatestSync"]["Status"] == "SUCCEEDED"
    assert len(res["LatestSync"]["TargetRevision"]["Sha"]) == 40


def test_a_sync_in_flight(client, git, control, expect):
    link = git.link()
    link_id = link["RepositoryLinkId"]
    git.config(link_id, "slow")
    control.push(link_id, CommitId="1" * 40, DurationSeconds=LONG)
    repo = git.repository_status(link_id)
    assert repo["Status"] == "INITIATED" and [e["Type"] for e in repo["Events"]] == ["INITIATED"]
    status = git.resource_status("slow")
    assert status["LatestSync"]["Status"] == "INITIATED"
    assert "LatestSuccessfulSync" not in status
    # Changing what a running sync works on is refused.
    expect("UpdateOutOfSyncException", client.update_sync_configuration, SyncType=STACK_SYNC, ResourceName="slow", Branch="dev")
    expect("UpdateOutOfSyncException", client.update_repository_link, RepositoryLinkId=link_id, ConnectionArn=git.connection())
    expect("ConcurrentModificationException", client.delete_sync_configuration, SyncType=STACK_SYNC, ResourceName="slow")
    # A second commit waits for the first.
    control.push(link_id, CommitId="2" * 40, DurationSeconds=0)
    queued = git.repository_status(link_id)
    assert queued["Status"] == "QUEUED" and [e["Type"] for e in queued["Events"]] == ["QUEUED"]
    assert git.resource_status("slow")["LatestSync"]["TargetRevision"]["Sha"] == "1" * 40
    # Nothing changed.
    assert client.get_sync_configuration(SyncType=STACK_SYNC, ResourceName="slow")["SyncConfiguration"]["Branch"] == "main"
    assert client.get_repository_link(RepositoryLinkId=link_id)["RepositoryLinkInfo"] == link


def test_not_found_before_anything_synced(client, git, expect):
    link_id = git.link()["RepositoryLinkId"]
    expect("ResourceNotFoundException", client.get_repository_sync_status, Branch="main", RepositoryLinkId=link_id, SyncType=STACK_SYNC)
    expect("ResourceNotFoundException", client.get_repository_sync_status, Branch="main", RepositoryLinkId=str(uuid.uuid4()), SyncType=STACK_SYNC)
    expect("ResourceNotFoundException", client.get_resource_sync_status, ResourceName="nothing", SyncType=STACK_SYNC)
    expect("ResourceNotFoundException", client.get_sync_blocker_summary, ResourceName="nothing", SyncType=STACK_SYNC)
    expect("ResourceNotFoundException", client.list_repository_sync_definitions, RepositoryLinkId=str(uuid.uuid4()), SyncType=STACK_SYNC)
    git.config(link_id, "fresh")
    expect("ResourceNotFoundException", client.get_resource_sync_status, ResourceName="fresh", SyncType=STACK_SYNC)
    summary = client.get_sync_blocker_summary(ResourceName="fresh", SyncType=STACK_SYNC)["SyncBlockerSummary"]
    assert summary == {"ResourceName": "fresh", "ParentResourceName": "fresh", "LatestBlockers": []}


def test_update_sync_blocker_errors(client, git, control, expect):
    link_id = git.link()["RepositoryLinkId"]
    git.config(link_id, "one")
    git.config(link_id, "two", config_file="two.yaml")
    blocker = control.blocker(ResourceName="one", AccountId=git.account, Reason="hold")["SyncBlocker"]
    assert (blocker["Status"], blocker["Type"], blocker["CreatedReason"]) == ("ACTIVE", "AUTOMATED", "hold")
    missing = str(uuid.uuid4())
    err = expect("SyncBlockerDoesNotExistException", client.update_sync_blocker, Id=missing, SyncType=STACK_SYNC, ResourceName="one", ResolvedReason="x")
    assert missing in err["Message"]
    # Another resource's blocker does not exist for this one.
    expect("SyncBlockerDoesNotExistException", client.update_sync_blocker, Id=blocker["Id"], SyncType=STACK_SYNC, ResourceName="two", ResolvedReason="x")
    expect("ResourceNotFoundException", client.update_sync_blocker, Id=blocker["Id"], SyncType=STACK_SYNC, ResourceName="three", ResolvedReason="x")
    client.update_sync_blocker(Id=blocker["Id"], SyncType=STACK_SYNC, ResourceName="one", ResolvedReason="ok")
    expect("InvalidInputException", client.update_sync_blocker, Id=blocker["Id"], SyncType=STACK_SYNC, ResourceName="one", ResolvedReason="again")


def test_blockers_newest_first(git, control):
    link_id = git.link()["RepositoryLinkId"]
    git.config(link_id, "stack")
    ids = [control.blocker(ResourceName="stack", AccountId=git.account)["SyncBlocker"]["Id"] for _ in range(3)]
    assert [b["Id"] for b in git.blockers("stack")] == ids[::-1]


def test_sync_definitions(client, git):
    link_id = git.link()["RepositoryLinkId"]
    git.config(link_id, "web", branch="main", config_file="stacks/web/deployment.yaml")
    git.config(link_id, "db", branch="release", config_file="deployment.yaml")
    git.config(git.link(repo="elsewhere")["RepositoryLinkId"], "other")
    out = client.list_repository_sync_definitions(RepositoryLinkId=link_id, SyncType=STACK_SYNC)
    assert out["RepositorySyncDefinitions"] == [
        {"Branch": "main", "Directory": "stacks/web", "Parent": "web", "Target": "web"},
        {"Branch": "release", "Directory": "", "Parent": "db", "Target": "db"},
    ]
    assert "NextToken" not in out
    empty = git.link(repo="empty")["RepositoryLinkId"]
    assert client.list_repository_sync_definitions(RepositoryLinkId=empty, SyncType=STACK_SYNC)["RepositorySyncDefinitions"] == []


def test_a_push_syncs_only_the_configurations_of_its_branch(git, control, expect, client):
    link_id = git.link()["RepositoryLinkId"]
    git.config(link_id, "on-main", branch="main")
    git.config(link_id, "on-dev", branch="dev")
    out = control.push(link_id, branch="dev", DurationSeconds=0)
    assert [r["ResourceName"] for r in out["Resources"]] == ["on-dev"]
    assert git.resource_status("on-dev")["LatestSync"]["TargetRevision"]["Branch"] == "dev"
    expect("ResourceNotFoundException", client.get_resource_sync_status, ResourceName="on-main", SyncType=STACK_SYNC)
    expect("ResourceNotFoundException", client.get_repository_sync_status, Branch="main", RepositoryLinkId=link_id, SyncType=STACK_SYNC)
    # A branch nothing syncs from leaves no trace.
    out = control.push(link_id, branch="feature", DurationSeconds=0)
    assert out["RepositorySyncs"] == [] and out["Resources"] == []
    expect("ResourceNotFoundException", client.get_repository_sync_status, Branch="feature", RepositoryLinkId=link_id, SyncType=STACK_SYNC)


def test_file_change_trigger(git, control):
    link_id = git.link()["RepositoryLinkId"]
    git.config(link_id, "picky", config_file="stacks/picky/deployment.yaml", TriggerResourceUpdateOn="FILE_CHANGE")
    git.config(link_id, "eager", config_file="stacks/eager/deployment.yaml")
    out = control.push(link_id, ChangedFiles=["README.md"], DurationSeconds=0)
    assert {r["ResourceName"]: r["Status"] for r in out["Resources"]} == {"picky": "SKIPPED", "eager": "INITIATED"}
    out = control.push(link_id, ChangedFiles=["stacks/picky/template.yaml"], DurationSeconds=0)
    assert {r["ResourceName"]: r["Status"] for r in out["Resources"]} == {"picky": "INITIATED", "eager": "INITIATED"}


def test_publish_deployment_status_adds_an_event(git, control):
    link_id = git.link()["RepositoryLinkId"]
    git.config(link_id, "published", PublishDeploymentStatus="ENABLED")
    git.config(link_id, "quiet", config_file="q.yaml", PublishDeploymentStatus="DISABLED")
    control.push(link_id, DurationSeconds=0)
    assert git.resource_status("published")["LatestSync"]["Events"][-1]["Type"] == "DEPLOYMENT_STATUS_PUBLISHED"
    assert "DEPLOYMENT_STATUS_PUBLISHED" not in [e["Type"] for e in git.resource_status("quiet")["LatestSync"]["Events"]]


def test_deleting_a_configuration_drops_its_status_and_blockers(client, git, control, expect):
    link_id = git.link()["RepositoryLinkId"]
    git.config(link_id, "temp")
    control.push(link_id, Outcome="FAILED", DurationSeconds=0)
    assert len(git.blockers("temp")) == 1
    client.delete_sync_configuration(SyncType=STACK_SYNC, ResourceName="temp")
    git.config(link_id, "temp")
    expect("ResourceNotFoundException", client.get_resource_sync_status, ResourceName="temp", SyncType=STACK_SYNC)
    assert git.blockers("temp") == []


def test_a_deleted_connection_fails_the_repository_sync(client, git, control):
    conn = git.connection()
    link = git.link(conn)
    link_id = link["RepositoryLinkId"]
    git.config(link_id, "orphan")
    # DeleteConnection models no "in use" error: the link stays, pointing at nothing.
    client.delete_connection(ConnectionArn=conn)
    assert client.get_repository_link(RepositoryLinkId=link_id)["RepositoryLinkInfo"] == link
    out = control.push(link_id, DurationSeconds=0)
    assert out["Resources"][0]["Status"] == "NOT_SYNCED"
    repo = git.repository_status(link_id)
    assert repo["Status"] == "FAILED" and conn in repo["Events"][-1]["Event"]
    # Pointing the link at a new connection repairs it.
    client.update_repository_link(RepositoryLinkId=link_id, ConnectionArn=git.connection(name="new"))
    control.push(link_id, DurationSeconds=0)
    status = wait_for(lambda: git.resource_status("orphan"), lambda s: s["LatestSync"]["Status"] == "SUCCEEDED")
    assert status["LatestSync"]["Status"] == "SUCCEEDED"


@pytest.mark.parametrize("body, status, code", [
    ({"Branch": "main"}, 400, "InvalidParameter"),
    ({"RepositoryLinkId": "not-an-id", "Branch": "main"}, 400, "InvalidParameter"),
    ({"RepositoryLinkId": str(uuid.uuid4())}, 400, "InvalidParameter"),
    ({"RepositoryLinkId": str(uuid.uuid4()), "Branch": "main"}, 404, "NotFound"),
    ({"RepositoryLinkId": str(uuid.uuid4()), "Branch": "main", "Outcome": "MAYBE"}, 400, "InvalidParameter"),
    ({"RepositoryLinkId": str(uuid.uuid4()), "Branch": "main", "DurationSeconds": -1}, 400, "InvalidParameter"),
    ({"RepositoryLinkId": str(uuid.uuid4()), "Branch": "main", "ChangedFiles": "a.txt"}, 400, "InvalidParameter"),
    ({"RepositoryLinkId": str(uuid.uuid4()), "Branch": "main", "AccountId": "12"}, 400, "InvalidParameter"),
    (b"{not json", 400, "InvalidJson"),
])
def test_push_control_errors(control, body, status, code):
    got, out = control.post("push", body)
    assert (got, out["error"]["code"]) == (status, code), out


def test_blocker_control_errors(control, git):
    assert control.post("blockers", {})[1]["error"]["code"] == "InvalidParameter"
    assert control.post("blockers", {"ResourceName": "x", "SyncType": "OTHER"})[1]["error"]["code"] == "InvalidParameter"
    got, out = control.post("blockers", {"ResourceName": "nothing-here", "AccountId": git.account})
    assert got == 404 and out["error"]["code"] == "NotFound"


def test_push_finds_the_link_in_any_account(server, service, account, make_client, control):
    # The link id alone is enough; AccountId/Region only narrow the search.
    west = make_client(service, region="ap-south-1")
    conn = west.create_connection(ProviderType="GitHub", ConnectionName="c")["ConnectionArn"]
    link_id = west.create_repository_link(ConnectionArn=conn, OwnerId="o", RepositoryName="r")["RepositoryLinkInfo"]["RepositoryLinkId"]
    west.create_sync_configuration(Branch="main", ConfigFile="d.yaml", RepositoryLinkId=link_id, ResourceName="s",
                                   RoleArn="arn:aws:iam::123456789012:role/r", SyncType=STACK_SYNC)
    out = control.push(link_id, DurationSeconds=0)
    assert (out["AccountId"], out["Region"]) == (account, "ap-south-1")
    assert west.get_resource_sync_status(ResourceName="s", SyncType=STACK_SYNC)["LatestSync"]["Status"] == "SUCCEEDED"
    status, _ = control.post("push", {"RepositoryLinkId": link_id, "Branch": "main", "Region": "us-east-1"})
    assert status == 404
