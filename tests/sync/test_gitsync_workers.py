"""Git sync under `serve --workers 2`: the store and the Git directory are shared, so a push answered by one
process is visible from every process within 2 seconds. SQLite file and PostgreSQL."""

from __future__ import annotations

import time

import pytest

from servers import Server

from .gitwork import TEMPLATE, UNKNOWN_TYPE, Work, deployment, handshake, remote_url

STACK_SYNC = "CFN_STACK_SYNC"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def two_workers(request, tmp_path_factory):
    from pg import fresh_database

    root = tmp_path_factory.mktemp("git-workers")
    if request.param == "sqlite":
        s = Server(state=str(root / "state.db"), extra=["--workers", "2"])
        yield s
        s.stop()
    else:
        with fresh_database() as url:
            s = Server(state=url, extra=["--workers", "2", "--git-dir", str(root / "repos")])
            yield s
            s.stop()


def seen_by_every_process(server, account: str, resource: str, sha: str, status: str, within: float = 2.0) -> int:
    """Fresh clients (new connections, either process) until 10 in a row show the sync of `sha` ended in `status`."""
    deadline = time.monotonic() + within
    streak = reads = 0
    while streak < 10:
        reader = server.client("codeconnections", account=account)
        latest = reader.get_resource_sync_status(ResourceName=resource, SyncType=STACK_SYNC)["LatestSync"]
        reads += 1
        streak = streak + 1 if latest["TargetRevision"]["Sha"] == sha and latest["Status"] == status else 0
        assert time.monotonic() < deadline or streak, f"not {status} at {sha[:7]} within {within} s: {latest}"
        if streak == 0:
            time.sleep(0.05)
    return reads


def test_pushes_are_seen_by_every_worker(two_workers, account, tmp_path):
    c = two_workers.client("codeconnections", account=account)
    conn = c.create_connection(ProviderType="GitHub", ConnectionName="w")["ConnectionArn"]
    handshake(two_workers.endpoint_url, conn)
    link_id = c.create_repository_link(ConnectionArn=conn, OwnerId="o", RepositoryName="r")["RepositoryLinkInfo"]["RepositoryLinkId"]
    for name in ("w-web", "w-db"):
        c.create_sync_configuration(Branch="main", ConfigFile=f"{name}/deployment.yaml", RepositoryLinkId=link_id, ResourceName=name,
                                    RoleArn="arn:aws:iam::123456789012:role/r", SyncType=STACK_SYNC)
    url = remote_url(two_workers.endpoint_url, link_id)
    work = Work(tmp_path / "work", tmp_path / "home").init()
    for name in ("w-web", "w-db"):
        work.write(f"{name}/deployment.yaml", deployment(f"{name}/template.yaml", Env="dev"))
        work.write(f"{name}/template.yaml", TEMPLATE)
    # Several pushes: each git command opens new connections, so the ref advertisement and the pack may reach
    # different processes; the repository is the same.
    for n in range(3):
        work.write("w-web/template.yaml", TEMPLATE + f"# change {n}\n")
        sha = work.commit(f"change {n}")
        work.push(url)
        seen_by_every_process(two_workers, account, "w-web", sha, "SUCCEEDED")
    work.write("w-db/template.yaml", UNKNOWN_TYPE)
    bad = work.commit("break db")
    work.push(url)
    seen_by_every_process(two_workers, account, "w-db", bad, "FAILED")
    [blocker] = c.get_sync_blocker_summary(ResourceName="w-db", SyncType=STACK_SYNC)["SyncBlockerSummary"]["LatestBlockers"]
    assert blocker["Status"] == "ACTIVE"
    clone = Work(tmp_path / "clone", tmp_path / "home")
    work.git("clone", "-q", url, clone.path, cwd=str(tmp_path))
    assert clone.head() == bad
