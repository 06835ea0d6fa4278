"""What the console shows for one account and region, as plain JSON-able data."""

from __future__ import annotations

import collections

from ...services.codestar import MEMBER, PROFILE, PROJECT, state
from ...services.connections import CONNECTION, HOST, effective

REPOSITORY_LINK = "repository_link"
SYNC_CONFIGURATION = "sync_configuration"
SYNC_BLOCKER = "sync_blocker"
REPOSITORY_SYNC_ATTEMPT = "repository_sync_attempt"
RESOURCE_SYNC_ATTEMPT = "resource_sync_attempt"
KINDS = (CONNECTION, HOST, REPOSITORY_LINK, SYNC_CONFIGURATION, SYNC_BLOCKER, PROJECT, PROFILE)
PROJECT_STATES = ("CreateInProgress", "CreateComplete", "DeleteInProgress")


def public(data: dict) -> dict:
    """Item data without internal fields (those starting with '_')."""
    return {k: v for k, v in data.items() if not k.startswith("_")}


def scopes(tx, account: str, region: str, now: float) -> list[dict]:
    """Accounts and regions that hold resources, plus the one being viewed.

    CodeStar projects count until they are gone; user profiles count in the region that created them.
    """
    counts: collections.Counter = collections.Counter()
    for kind in KINDS:
        for item in tx.list(kind, None):
            if kind == PROJECT and state(item.data, now) is None:
                continue
            counts[(item.account, item.region)] += 1
    counts.setdefault((account, region), 0)
    accounts: dict = {}
    for (acct, reg), n in sorted(counts.items()):
        entry = accounts.setdefault(acct, {"account": acct, "count": 0, "regions": []})
        entry["count"] += n
        entry["regions"].append({"region": reg, "count": n})
    return list(accounts.values())


def connection_row(item, now: float) -> dict:
    d = effective(item, now)
    return {
        "arn": item.id,
        "name": d["ConnectionName"],
        "provider": d["ProviderType"],
        "status": d["ConnectionStatus"],
        "host": d.get("HostArn"),
        "region": item.region,
        "created": d.get("CreatedAt"),
        "tags": d.get("Tags", []),
        "installation": d.get("_installation"),
        "pendingChange": d.get("_next"),
    }


def host_row(item, now: float) -> dict:
    d = effective(item, now)
    return {
        "arn": item.id,
        "name": d["Name"],
        "provider": d["ProviderType"],
        "endpoint": d["ProviderEndpoint"],
        "status": d["Status"],
        "message": d.get("StatusMessage"),
        "vpc": d.get("VpcConfiguration"),
        "region": item.region,
        "created": d.get("CreatedAt"),
        "tags": d.get("Tags", []),
    }


def member_row(item) -> dict:
    d = item.data
    return {"userArn": d.get("userArn"), "projectRole": d.get("projectRole"), "remoteAccessAllowed": bool(d.get("remoteAccessAllowed"))}


def project_rows(tx, account: str, region: str, now: float) -> list[dict]:
    """The projects of one account and region that are not gone, each with its team members."""
    members: dict = collections.defaultdict(list)
    for item in tx.list(MEMBER, account, region):
        members[item.parent].append(member_row(item))
    rows = []
    for item in tx.list(PROJECT, account, region):
        d = item.data
        current = state(d, now)
        if current is None:
            continue
        rows.append({
            "id": d.get("id"),
            "name": d.get("name"),
            "arn": d.get("arn"),
            "description": d.get("description"),
            "state": current,
            "created": d.get("createdTimeStamp"),
            "tags": dict(d.get("Tags") or {}),
            "creator": d.get("Creator"),
            "teamMembers": members.get(item.id, []),
        })
    return rows


def profile_row(item) -> dict:
    d = item.data
    return {
        "userArn": d.get("userArn"),
        "displayName": d.get("displayName"),
        "emailAddress": d.get("emailAddress"),
        "sshPublicKey": bool(d.get("sshPublicKey")),
        "created": d.get("createdTimestamp"),
        "modified": d.get("lastModifiedTimestamp"),
    }


def generic_row(item) -> dict:
    return {"id": item.id, "parent": item.parent, "data": public(item.data)}


def latest_syncs(tx, kind: str, account: str, region: str, now: float) -> dict:
    """parent id -> the newest started sync attempt as {status, startedAt, commit}.

    An attempt stores its planned events with their times; the status is the one
    of the last event that is due.
    """
    latest: dict = {}
    for item in tx.list(kind, account, region):
        d = item.data
        started = d.get("StartedAt")
        if type(started) not in (int, float) or started > now:
            continue
        status = None
        for event in d.get("Events") or []:
            if type(event) is dict and type(event.get("Time")) in (int, float) and event["Time"] <= now:
                status = event.get("Status", status)
        if item.parent not in latest or started >= latest[item.parent]["startedAt"]:
            latest[item.parent] = {"status": status, "startedAt": started, "commit": d.get("CommitId"), "branch": d.get("Branch")}
    return latest


def scope_model(tx, account: str, region: str, now: float) -> dict:
    """The resources of one account and region (not `scopes`: that scans everything)."""
    # Connections are global to the account (every region lists them); the rest is regional.
    connections = [connection_row(i, now) for i in tx.list(CONNECTION, account)]
    all_hosts = [host_row(i, now) for i in tx.list(HOST, account)]
    hosts = [h for h in all_hosts if h["region"] == region]
    links = [generic_row(i) for i in tx.list(REPOSITORY_LINK, account, region)]
    link_syncs = latest_syncs(tx, REPOSITORY_SYNC_ATTEMPT, account, region, now)
    for link in links:
        link["lastSync"] = link_syncs.get(link["data"].get("RepositoryLinkId"))
    configs = [generic_row(i) for i in tx.list(SYNC_CONFIGURATION, account, region)]
    resource_syncs = latest_syncs(tx, RESOURCE_SYNC_ATTEMPT, account, region, now)
    for config in configs:
        config["lastSync"] = resource_syncs.get(config["id"])
    blockers = [generic_row(i) for i in tx.list(SYNC_BLOCKER, account, region)]
    by_status = collections.Counter(c["status"] for c in connections)
    # CodeStar projects are regional; user profiles belong to the account (every region shows them).
    projects = project_rows(tx, account, region, now)
    profiles = [profile_row(i) for i in tx.list(PROFILE, account)]
    by_state = collections.Counter(p["state"] for p in projects)
    return {
        "account": account,
        "region": region,
        "connections": connections,
        "hosts": hosts,
        "all_hosts": all_hosts,
        "repositoryLinks": links,
        "syncConfigurations": configs,
        "syncBlockers": blockers,
        "projects": projects,
        "userProfiles": profiles,
        "counts": {
            "connections": len(connections),
            "connectionsByStatus": dict(by_status),
            "hosts": len(hosts),
            "hostsAvailable": sum(1 for h in hosts if h["status"] == "AVAILABLE"),
            "repositoryLinks": len(links),
            "syncConfigurations": len(configs),
            "activeBlockers": sum(1 for b in blockers if b["data"].get("Status", "ACTIVE") == "ACTIVE"),
            "projects": len(projects),
            "projectsByState": {s: by_state.get(s, 0) for s in PROJECT_STATES},
            "userProfiles": len(profiles),
        },
    }
