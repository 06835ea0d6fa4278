"""Make a state-file fixture with this release, for tests/store/test_fixture_state.py.

    python tools/make_state_fixture.py tests/data/state-v1.db

Runs a real `codestar-local serve` on a new SQLite file, fills it through boto3 (connections of both connection
services, a host, tags, a repository link, a sync configuration, a deleted connection, a CodeStar user profile and
project), and writes next to the file a JSON list of reads with the answers this release gave (FILE.json). The test
replays the reads against a copy of the file served by the current code.

Never regenerate a committed fixture: that would hide a migration that no longer works. After a schema change, add
a new one (state-vN.db) and keep the old ones.
"""

from __future__ import annotations

import json
import os
import pathlib
import sqlite3
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from servers import Server  # noqa: E402

ACCOUNTS = ("111122223333", "444455556666")
ROLE = "arn:aws:iam::111122223333:role/fixture-sync"


def plain(value):
    """A boto3 answer as JSON (timestamps as ISO text), without ResponseMetadata."""
    if isinstance(value, dict):
        value = {k: v for k, v in value.items() if k != "ResponseMetadata"}
    return json.loads(json.dumps(value, default=lambda d: d.isoformat()))


def fill(server: Server) -> list[dict]:
    """Make the state; return the reads to replay: (service, account, region, operation, params)."""
    reads = []

    def read(service, account, operation, params=None, region="us-east-1"):
        reads.append({"service": service, "account": account, "region": region, "operation": operation, "params": params or {}})

    a, b = ACCOUNTS
    conn = server.client("codestar-connections", account=a)
    cc = server.client("codeconnections", account=a)
    cc_west = server.client("codeconnections", account=a, region="eu-west-1")
    other = server.client("codestar-connections", account=b)

    github = conn.create_connection(ProviderType="GitHub", ConnectionName="fixture-github",
                                    Tags=[{"Key": "team", "Value": "platform"}, {"Key": "env", "Value": "ci"}])["ConnectionArn"]
    bitbucket = cc.create_connection(ProviderType="Bitbucket", ConnectionName="fixture-bitbucket")["ConnectionArn"]
    gone = conn.create_connection(ProviderType="GitLab", ConnectionName="fixture-deleted")["ConnectionArn"]
    conn.delete_connection(ConnectionArn=gone)
    host = cc_west.create_host(Name="fixture-ghe", ProviderType="GitHubEnterpriseServer",
                               ProviderEndpoint="https://ghe.example.com", Tags=[{"Key": "site", "Value": "dublin"}])["HostArn"]
    on_host = cc_west.create_connection(HostArn=host, ConnectionName="fixture-on-host")["ConnectionArn"]
    cc.tag_resource(ResourceArn=bitbucket, Tags=[{"Key": "owner", "Value": "fixture"}])
    conn.untag_resource(ResourceArn=github, TagKeys=["env"])
    link = cc.create_repository_link(ConnectionArn=github, OwnerId="fixture-org", RepositoryName="infra",
                                     Tags=[{"Key": "repo", "Value": "infra"}])["RepositoryLinkInfo"]
    cc.create_sync_configuration(Branch="main", ConfigFile="deploy.yaml", RepositoryLinkId=link["RepositoryLinkId"],
                                 ResourceName="fixture-stack", RoleArn=ROLE, SyncType="CFN_STACK_SYNC")
    theirs = other.create_connection(ProviderType="GitHub", ConnectionName="fixture-other-account")["ConnectionArn"]

    star = server.client("codestar", account=a)
    user = f"arn:aws:iam::{a}:user/fixture"
    star.create_user_profile(userArn=user, displayName="Fixture User", emailAddress="fixture@example.com")
    star.create_project(name="Fixture project", id="fixture-project", description="made by tools/make_state_fixture.py")
    deadline = time.time() + 10
    while star.describe_project(id="fixture-project")["status"]["state"] != "CreateComplete":
        if time.time() > deadline:
            raise RuntimeError("the fixture project did not finish creating")
        time.sleep(0.1)

    for service in ("codestar-connections", "codeconnections"):
        read(service, a, "ListConnections")
        read(service, a, "ListHosts", region="eu-west-1")
        for arn in (github, bitbucket):
            read(service, a, "GetConnection", {"ConnectionArn": arn})
            read(service, a, "ListTagsForResource", {"ResourceArn": arn})
    read("codeconnections", a, "GetConnection", {"ConnectionArn": on_host}, region="eu-west-1")
    read("codeconnections", a, "GetHost", {"HostArn": host}, region="eu-west-1")
    read("codeconnections", a, "ListTagsForResource", {"ResourceArn": host}, region="eu-west-1")
    read("codeconnections", a, "ListRepositoryLinks")
    read("codeconnections", a, "GetRepositoryLink", {"RepositoryLinkId": link["RepositoryLinkId"]})
    read("codeconnections", a, "ListTagsForResource", {"ResourceArn": link["RepositoryLinkArn"]})
    read("codeconnections", a, "ListSyncConfigurations", {"RepositoryLinkId": link["RepositoryLinkId"], "SyncType": "CFN_STACK_SYNC"})
    read("codeconnections", a, "GetSyncConfiguration", {"ResourceName": "fixture-stack", "SyncType": "CFN_STACK_SYNC"})
    read("codestar-connections", b, "ListConnections")
    read("codestar-connections", b, "GetConnection", {"ConnectionArn": theirs})
    read("codestar", a, "DescribeUserProfile", {"userArn": user})
    read("codestar", a, "ListProjects")
    read("codestar", a, "DescribeProject", {"id": "fixture-project"})
    read("codestar", a, "ListTeamMembers", {"projectId": "fixture-project"})
    return reads


def answer(server: Server, r: dict) -> dict:
    from botocore import xform_name

    client = server.client(r["service"], account=r["account"], region=r["region"])
    return plain(getattr(client, xform_name(r["operation"]))(**r["params"]))


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    path = pathlib.Path(sys.argv[1]).resolve()
    if path.exists():
        print(f"{path} exists: fixtures are never regenerated (see the docstring)", file=sys.stderr)
        return 2
    server = Server(state=str(path), extra=["--project-seconds", "0.2"])
    try:
        reads = fill(server)
        for r in reads:
            r["answer"] = answer(server, r)
    finally:
        server.stop()
    # One self-contained file: fold the WAL in, so the copy in git is the whole state.
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("PRAGMA journal_mode=DELETE")
    version = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    db.close()
    for suffix in ("-wal", "-shm"):
        if os.path.exists(str(path) + suffix):
            os.unlink(str(path) + suffix)
    out = path.with_suffix(".json")
    out.write_text(json.dumps({"schema_version": int(version), "reads": reads}, indent=1, sort_keys=True) + "\n")
    print(f"{path} (schema version {version}) and {out}: {len(reads)} reads")
    return 0


if __name__ == "__main__":
    sys.exit(main())
