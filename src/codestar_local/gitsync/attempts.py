"""Recording what Git sync does when a commit lands: repository and resource sync attempts, and blockers.

Both ways a commit lands use this: a real `git push` to the emulator's remote (gitsync.engine, which judges each
stack from the pushed files) and the simulated push of the control API (an outcome given by hand). Nothing is
written after the push: each attempt stores its planned events with their times, and reads show the events due.
"""

from __future__ import annotations

import posixpath
import uuid
from dataclasses import dataclass, field

from ..services.connections import CONNECTION, effective
from ..services.sync import (
    REPOSITORY_SYNC_ATTEMPT,
    RESOURCE_SYNC_ATTEMPT,
    SYNC_BLOCKER,
    SYNC_CONFIGURATION,
)

DEFAULT_SYNC_SECONDS = 0.6
BLOCKERS_KEPT = 50  # resolved blockers beyond this are dropped, oldest first


@dataclass
class Verdict:
    """How one stack's sync of a commit ends."""

    outcome: str = "SUCCEEDED"  # or FAILED
    reason: str | None = None  # the FAILED event's text and the blocker's reason
    relevant: bool = True  # False: no file of the stack changed, it is not synced
    skip_reason: str = "TriggerResourceUpdateOn is FILE_CHANGE and no file of the resource changed"
    details: list = field(default_factory=list)  # (Type, text) events before the final one


def event(time: float, type_: str, text: str, external_id: str | None = None, status: str | None = None) -> dict:
    e = {"Time": time, "Type": type_, "Event": text}
    if external_id:
        e["ExternalId"] = external_id
    if status:
        e["Status"] = status
    return e


def relevant(config: dict, changed_files) -> bool:
    """Simulated pushes: FILE_CHANGE configurations sync only when a file of their directory changed."""
    if changed_files is None or config.get("TriggerResourceUpdateOn") != "FILE_CHANGE":
        return True
    folder = posixpath.dirname(config["ConfigFile"])
    return any(f == config["ConfigFile"] or not folder or f.startswith(folder + "/") for f in changed_files)


def prune(tx, kind: str, items, now: float) -> None:
    """Drop finished attempts that can no longer be the latest or the latest successful one."""
    if not items:
        return
    keep = {items[-1].id}
    succeeded = [i for i in items if i.data["Ends"] <= now and i.data["Outcome"] == "SUCCEEDED"]
    if succeeded:
        keep.add(succeeded[-1].id)
    for i in items:
        if i.id not in keep and i.data["Ends"] <= now:
            tx.delete(kind, i.id)


def context(app, tx, link):
    """A provider context in the link's account and region, on the endpoint of the link's ARN prefix."""
    from ..app import Ctx

    arn_service = link.id.split(":")[2]
    service = next(s for s in app.services.values() if s.arn_service == arn_service)
    return Ctx(app, service, None, link.account, link.region, tx, app.clock(), str(uuid.uuid4()))


def add_blocker(tx, config, reason: str, created_at: float, contexts: list) -> dict:
    """An ACTIVE automated blocker on a resource (a failed deployment, or the control API)."""
    d = config.data
    data = {
        "Id": str(uuid.uuid4()),
        "Type": "AUTOMATED",
        "Status": "ACTIVE",
        "CreatedReason": reason,
        "CreatedAt": created_at,
        "Contexts": contexts,
        "ResourceName": d["ResourceName"],
        "ParentResourceName": d["ResourceName"],
        "SyncType": d["SyncType"],
    }
    tx.insert(SYNC_BLOCKER, data["Id"], config.account, config.region, data, parent=config.id)
    resolved = [b for b in tx.list(SYNC_BLOCKER, config.account, parent=config.id) if b.data["Status"] == "RESOLVED"]
    for old in resolved[: max(0, len(resolved) - BLOCKERS_KEPT)]:
        tx.delete(SYNC_BLOCKER, old.id)
    return data


def branch_configs(tx, link, branch: str) -> list:
    return [c for c in tx.list(SYNC_CONFIGURATION, link.account, parent=link.data["RepositoryLinkId"]) if c.data["Branch"] == branch]


def unreadable(ctx, ld: dict, connection, needs_available: bool) -> str | None:
    """Why Git sync cannot read the repository through the link's connection, or None."""
    if connection is None or connection.account != ctx.account:
        return f"Connection {ld['ConnectionArn']} does not exist; the repository cannot be read"
    status = effective(connection, ctx.now)["ConnectionStatus"]
    if needs_available and status != "AVAILABLE":
        return (f"Connection {ld['ConnectionArn']} is {status}; Git sync reads the repository only through an AVAILABLE "
                "connection (complete its handshake)")
    return None


def record_push(ctx, link, branch: str, sha: str, judge, duration: float = DEFAULT_SYNC_SECONDS,
                outcome: str | None = None, reason: str | None = None, needs_available: bool = False) -> dict:
    """What Git sync does when `sha` lands on `branch` of the linked repository.

    `judge(config) -> Verdict` says how each stack's sync ends. `outcome`/`reason` (the simulated push) fix the
    repository sync's end; without them it fails when a stack's sync fails. A real push `needs_available`: the
    link's connection must be AVAILABLE (the simulated push predates that rule and keeps working on a PENDING
    one). ctx.account/ctx.region are the link's. Returns a summary for the control API.
    """
    now = ctx.now
    ld = link.data
    link_id = ld["RepositoryLinkId"]
    configs = branch_configs(ctx.tx, link, branch)
    summary = {"RepositoryLinkId": link_id, "Branch": branch, "CommitId": sha, "AccountId": ctx.account,
               "Region": ctx.region, "RepositorySyncs": [], "Resources": []}
    connection = ctx.tx.get(CONNECTION, ld["ConnectionArn"])
    short = sha[:7]
    for sync_type in sorted({c.data["SyncType"] for c in configs}):
        group = [c for c in configs if c.data["SyncType"] == sync_type]
        repo_attempts = [
            a for a in ctx.tx.list(REPOSITORY_SYNC_ATTEMPT, ctx.account, parent=link_id)
            if a.data["Branch"] == branch and a.data["SyncType"] == sync_type
        ]
        resource_attempts = {c.id: ctx.tx.list(RESOURCE_SYNC_ATTEMPT, ctx.account, parent=c.id) for c in group}
        # A sync waits for the previous one of the same branch or resource (QUEUED).
        start = max([now] + [a.data["Ends"] for a in repo_attempts] + [a.data["Ends"] for v in resource_attempts.values() for a in v])
        ends = start + duration
        step = start + duration / 3
        repo_events = []
        if start > now:
            repo_events.append(event(now, "QUEUED", f"Commit {short} queued behind the running sync of branch {branch}", sha, "QUEUED"))
        repo_events.append(event(start, "INITIATED", f"Commit {short} detected on branch {branch}; repository sync initiated", sha, "INITIATED"))
        repo_events.append(event(step, "IN_PROGRESS", f"Reading the deployment files of branch {branch} at {short}", sha, "IN_PROGRESS"))
        resources = []
        text = unreadable(ctx, ld, connection, needs_available)
        if text:
            # The connection was deleted (or is not AVAILABLE): Git sync cannot read the repository.
            repo_outcome = "FAILED"
            repo_events.append(event(ends, "FAILED", text, sha, "FAILED"))
            resources = [{"ResourceName": c.data["ResourceName"], "Status": "NOT_SYNCED", "Reason": text} for c in group]
        else:
            failed = []
            for c in group:
                verdict = judge(c)
                resources.append(sync_resource(ctx, c, ld, sha, verdict, start, duration, resource_attempts[c.id], repo_events))
                if resources[-1]["Status"] == "INITIATED" and verdict.outcome == "FAILED":
                    failed.append(c.data["ResourceName"])
            repo_outcome = outcome or ("FAILED" if failed else "SUCCEEDED")
            if repo_outcome == "FAILED":
                if reason or outcome:
                    text = reason or f"Sync of commit {short} failed"
                else:
                    text = f"Sync of commit {short} failed for stack{'s' if len(failed) > 1 else ''} {', '.join(failed)}"
                repo_events.append(event(ends, "FAILED", text, sha, "FAILED"))
            else:
                repo_events.append(event(ends, "SUCCEEDED", f"Branch {branch} synced at commit {short}", sha, "SUCCEEDED"))
        data = {"RepositoryLinkId": link_id, "Branch": branch, "SyncType": sync_type, "CommitId": sha,
                "StartedAt": now, "Ends": ends, "Outcome": repo_outcome, "Events": sorted(repo_events, key=lambda e: e["Time"])}
        ctx.tx.insert(REPOSITORY_SYNC_ATTEMPT, str(uuid.uuid4()), ctx.account, ctx.region, data, parent=link_id)
        prune(ctx.tx, REPOSITORY_SYNC_ATTEMPT, repo_attempts, now)
        summary["RepositorySyncs"].append({"SyncType": sync_type, "Outcome": repo_outcome, "StartsAt": start, "EndsAt": ends})
        summary["Resources"].extend(resources)
    return summary


def sync_resource(ctx, config, ld, sha, verdict: Verdict, start, duration, attempts, repo_events) -> dict:
    d = config.data
    name = d["ResourceName"]
    if not verdict.relevant:
        return {"ResourceName": name, "Status": "SKIPPED", "Reason": verdict.skip_reason}
    revision = {
        "Branch": d["Branch"],
        "Directory": posixpath.dirname(d["ConfigFile"]),
        "OwnerId": ld["OwnerId"],
        "RepositoryName": ld["RepositoryName"],
        "ProviderType": ld["ProviderType"],
        "Sha": sha,
    }
    d["DesiredState"] = revision
    ctx.tx.update(config)
    active = [b for b in ctx.tx.list(SYNC_BLOCKER, ctx.account, parent=config.id) if b.data["Status"] == "ACTIVE"]
    if active:
        # The commit is recorded (DesiredState) but the resource stays where it is.
        blocker_id = active[-1].data["Id"]
        repo_events.append(event(start + duration / 3, "BLOCKED", f"Sync of {name} skipped: sync blocker {blocker_id} is active", blocker_id))
        return {"ResourceName": name, "Status": "BLOCKED", "BlockerId": blocker_id}
    succeeded = [a for a in attempts if a.data["Outcome"] == "SUCCEEDED"]
    initial = succeeded[-1].data["TargetRevision"] if succeeded else revision
    ends = start + duration
    deployment = f"git-sync-{uuid.uuid4().hex[:12]}"
    events = [
        event(start, "INITIATED", f"Sync of stack {name} to commit {sha[:7]} initiated", sha, "INITIATED"),
        event(start + duration / 3, "IN_PROGRESS", f"Deploying stack {name} from {d['ConfigFile']}", deployment, "IN_PROGRESS"),
    ]
    events.extend(event(ends, type_, text, deployment) for type_, text in verdict.details)
    if verdict.outcome == "FAILED":
        text = verdict.reason or f"Deployment of stack {name} failed for commit {sha[:7]}"
        events.append(event(ends, "FAILED", text, deployment, "FAILED"))
    else:
        events.append(event(ends, "SUCCEEDED", f"Stack {name} is in sync with commit {sha[:7]}", deployment, "SUCCEEDED"))
    if d.get("PublishDeploymentStatus") == "ENABLED":
        events.append(event(ends, "DEPLOYMENT_STATUS_PUBLISHED", f"Deployment status published to {ld['ProviderType']} for commit {sha[:7]}", sha))
    data = {"ResourceName": name, "SyncType": d["SyncType"], "Target": name, "CommitId": sha, "StartedAt": start,
            "Ends": ends, "Outcome": verdict.outcome, "InitialRevision": initial, "TargetRevision": revision, "Events": events}
    ctx.tx.insert(RESOURCE_SYNC_ATTEMPT, str(uuid.uuid4()), ctx.account, ctx.region, data, parent=config.id)
    prune(ctx.tx, RESOURCE_SYNC_ATTEMPT, attempts, ctx.now)
    out = {"ResourceName": name, "Status": "INITIATED"}
    if verdict.outcome == "FAILED":
        # A failed deployment stops Git sync on the resource until the blocker is resolved.
        contexts = [{"Key": "CommitId", "Value": sha}, {"Key": "Branch", "Value": d["Branch"]}, {"Key": "DeploymentId", "Value": deployment}]
        blocker = add_blocker(ctx.tx, config, text, ends, contexts)
        out["BlockerId"] = blocker["Id"]
    return out
