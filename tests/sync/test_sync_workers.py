"""A sync advances with no background work: two server processes over one SQLite file or PostgreSQL database."""

from __future__ import annotations

import json
import time
import urllib.request


STACK_SYNC = "CFN_STACK_SYNC"


def test_push_then_read_from_any_process(workers, account):
    c = workers.client("codeconnections", account=account)
    conn = c.create_connection(ProviderType="GitHub", ConnectionName="w")["ConnectionArn"]
    link_id = c.create_repository_link(ConnectionArn=conn, OwnerId="o", RepositoryName="r")["RepositoryLinkInfo"]["RepositoryLinkId"]
    for name in ("w-one", "w-two"):
        c.create_sync_configuration(Branch="main", ConfigFile="d.yaml", RepositoryLinkId=link_id, ResourceName=name,
                                    RoleArn="arn:aws:iam::123456789012:role/r", SyncType=STACK_SYNC)
    body = json.dumps({"RepositoryLinkId": link_id, "Branch": "main", "Outcome": "FAILED", "DurationSeconds": 0.5}).encode()
    req = urllib.request.Request(f"{workers.endpoint_url}/_codestar-local/sync/push", data=body, method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        assert [x["Status"] for x in json.loads(r.read())["Resources"]] == ["INITIATED", "INITIATED"]
    # Fresh clients (new connections) land on either process; every read sees the same planned progress.
    seen = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        reader = workers.client("codeconnections", account=account)
        seen.append(reader.get_repository_sync_status(Branch="main", RepositoryLinkId=link_id, SyncType=STACK_SYNC)["LatestSync"]["Status"])
        if seen[-1] == "FAILED":
            break
        time.sleep(0.05)
    assert seen[-1] == "FAILED"
    order = ["INITIATED", "IN_PROGRESS", "FAILED"]
    assert [order.index(s) for s in seen] == sorted(order.index(s) for s in seen)  # never goes back
    for name in ("w-one", "w-two"):
        assert c.get_resource_sync_status(ResourceName=name, SyncType=STACK_SYNC)["LatestSync"]["Status"] == "FAILED"
        [blocker] = c.get_sync_blocker_summary(ResourceName=name, SyncType=STACK_SYNC)["SyncBlockerSummary"]["LatestBlockers"]
        assert blocker["Status"] == "ACTIVE"
