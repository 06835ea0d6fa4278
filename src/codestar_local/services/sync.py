"""Git sync: repository links, sync configurations, sync status and sync blockers.

`SyncMixin` adds the 15 Git sync operations to ConnectionsProvider (both
connection endpoints, one store). Rules and their sources: docs/GITSYNC.md,
docs/BEHAVIOUR.md and ../shared/FACTS.md §1.7-1.8, §2, §5.

A sync starts when a commit lands: a `git push` to the emulator's remote or the
control API's simulated push; gitsync/ records its attempts and blockers. Each
attempt stores its planned events with their times and a read shows the events
that are due, so it also works with several server processes.
"""

from __future__ import annotations

import posixpath
import uuid

from ..errors import AwsError
from .connections import CONNECTION, REPOSITORY_LINK, check_tag_quota, list_page, merge_tags

SYNC_CONFIGURATION = "sync_configuration"
SYNC_BLOCKER = "sync_blocker"
REPOSITORY_SYNC_ATTEMPT = "repository_sync_attempt"
RESOURCE_SYNC_ATTEMPT = "resource_sync_attempt"

LINK_QUOTA = 100  # per account and region (FACTS 2.2)
STACK_SYNC_QUOTA = 100  # CFN_STACK_SYNC configurations per account and region
PER_LINK_QUOTA = 100
PER_BRANCH_QUOTA = 50  # per repository link and branch
# Git sync providers (FACTS 5.7); AzureDevOps connections exist but do not sync.
GIT_SYNC_PROVIDERS = ("Bitbucket", "GitHub", "GitHubEnterpriseServer", "GitLab", "GitLabSelfManaged")
ARN_SERVICES = ("codestar-connections", "codeconnections")
OPTIONAL_SETTINGS = ("PublishDeploymentStatus", "TriggerResourceUpdateOn", "PullRequestComment")
LINK_FIELDS = ("ConnectionArn", "EncryptionKeyArn", "OwnerId", "ProviderType", "RepositoryLinkArn", "RepositoryLinkId", "RepositoryName")
CONFIG_FIELDS = ("Branch", "ConfigFile", "OwnerId", "ProviderType", "RepositoryLinkId", "RepositoryName", "ResourceName", "RoleArn", "SyncType")
BLOCKER_FIELDS = ("Id", "Type", "Status", "CreatedReason", "CreatedAt", "Contexts", "ResolvedReason", "ResolvedAt")
EVENT_FIELDS = ("Event", "ExternalId", "Time", "Type")


def config_key(account: str, region: str, sync_type: str, resource: str) -> str:
    return f"{account}/{region}/{sync_type}/{resource}"


def link_view(d: dict) -> dict:
    return {k: d[k] for k in LINK_FIELDS if d.get(k) is not None}


def has_member(service, shape: str, member: str) -> bool:
    return member in service.shapes[shape]["members"]


def config_view(service, d: dict) -> dict:
    view = {k: d[k] for k in CONFIG_FIELDS if d.get(k) is not None}
    for k in OPTIONAL_SETTINGS:
        # PullRequestComment is only in the codeconnections model.
        if d.get(k) is not None and has_member(service, "SyncConfiguration", k):
            view[k] = d[k]
    return view


def blocker_view(d: dict) -> dict:
    return {k: d[k] for k in BLOCKER_FIELDS if d.get(k) is not None}


def attempt_state(d: dict, now: float) -> tuple[str | None, list]:
    """The status and the events of an attempt as they are at `now`."""
    status = None
    events = []
    for e in d["Events"]:
        if e["Time"] > now:
            break
        status = e.get("Status", status)
        events.append({k: e[k] for k in EVENT_FIELDS if k in e})
    return status, events


def in_flight(items, now: float) -> bool:
    return any(i.data["Ends"] > now for i in items)


class SyncMixin:
    # -- lookups -----------------------------------------------------------
    def _link(self, ctx, link_id: str, code: str = "ResourceNotFoundException"):
        # Links are regional; either ARN prefix may hold the id (one product, two prefixes).
        for svc in ARN_SERVICES:
            item = ctx.tx.get(REPOSITORY_LINK, f"arn:aws:{svc}:{ctx.region}:{ctx.account}:repository-link/{link_id}")
            if item is not None:
                return item
        raise AwsError(code, f"Repository link {link_id} does not exist")

    def _link_connection(self, ctx, arn: str, code: str):
        item = ctx.tx.get(CONNECTION, arn)
        if item is None or item.account != ctx.account:
            raise AwsError(code, f"Connection {arn} does not exist")
        return item

    def _config(self, ctx, sync_type: str, resource: str):
        item = ctx.tx.get(SYNC_CONFIGURATION, config_key(ctx.account, ctx.region, sync_type, resource))
        if item is None:
            raise AwsError("ResourceNotFoundException", f"Sync configuration for resource {resource} of type {sync_type} does not exist")
        return item

    def _branch_count(self, ctx, link_id: str, branch: str) -> int:
        return sum(1 for c in ctx.tx.list(SYNC_CONFIGURATION, ctx.account, parent=link_id) if c.data["Branch"] == branch)

    # -- repository links --------------------------------------------------
    def create_repository_link(self, ctx, p):
        # CreateRepositoryLink models no ResourceNotFoundException: a bad connection is bad input.
        conn = self._link_connection(ctx, p["ConnectionArn"], "InvalidInputException")
        provider_type = conn.data["ProviderType"]
        if provider_type not in GIT_SYNC_PROVIDERS:
            raise AwsError("InvalidInputException", f"Provider type {provider_type} is not supported for repository links")
        owner, repo = p["OwnerId"], p["RepositoryName"]
        for other in ctx.tx.list(REPOSITORY_LINK, ctx.account, ctx.region, parent=conn.id):
            if other.data["OwnerId"] == owner and other.data["RepositoryName"] == repo:
                raise AwsError(
                    "ResourceAlreadyExistsException",
                    f"Repository link {other.data['RepositoryLinkId']} already links {owner}/{repo} through this connection",
                )
        if ctx.tx.count(REPOSITORY_LINK, ctx.account, ctx.region) >= LINK_QUOTA:
            raise AwsError("LimitExceededException", f"Exceeded the maximum limit for repository links ({LINK_QUOTA})")
        tags = merge_tags([], p.get("Tags") or [])
        check_tag_quota(tags)
        arn = ctx.arn(f"repository-link/{uuid.uuid4()}")  # uuid4 ids do not repeat
        data = {
            "ConnectionArn": conn.id,
            "OwnerId": owner,
            "ProviderType": provider_type,
            "RepositoryLinkArn": arn,
            "RepositoryLinkId": arn.rsplit("/", 1)[1],
            "RepositoryName": repo,
            "Tags": tags,
            "CreatedAt": ctx.now,
        }
        if p.get("EncryptionKeyArn"):
            data["EncryptionKeyArn"] = p["EncryptionKeyArn"]
        ctx.tx.insert(REPOSITORY_LINK, arn, ctx.account, ctx.region, data, parent=conn.id)
        return {"RepositoryLinkInfo": link_view(data)}

    def get_repository_link(self, ctx, p):
        return {"RepositoryLinkInfo": link_view(self._link(ctx, p["RepositoryLinkId"]).data)}

    def list_repository_links(self, ctx, p):
        return list_page(ctx, p, REPOSITORY_LINK, "RepositoryLinks", lambda i: link_view(i.data), region=ctx.region)

    def update_repository_link(self, ctx, p):
        item = self._link(ctx, p["RepositoryLinkId"])
        d = item.data
        if in_flight(ctx.tx.list(REPOSITORY_SYNC_ATTEMPT, ctx.account, parent=d["RepositoryLinkId"]), ctx.now):
            raise AwsError(
                "UpdateOutOfSyncException",
                f"A sync of repository link {d['RepositoryLinkId']} is in progress. Try again when it has finished",
            )
        arn = p.get("ConnectionArn")
        if arn and arn != d["ConnectionArn"]:
            conn = self._link_connection(ctx, arn, "ResourceNotFoundException")
            if conn.data["ProviderType"] != d["ProviderType"]:
                raise AwsError(
                    "InvalidInputException",
                    f"Connection {arn} is of provider type {conn.data['ProviderType']}; the repository link needs {d['ProviderType']}",
                )
            for other in ctx.tx.list(REPOSITORY_LINK, ctx.account, ctx.region, parent=conn.id):
                if other.data["OwnerId"] == d["OwnerId"] and other.data["RepositoryName"] == d["RepositoryName"]:
                    raise AwsError(
                        "ConditionalCheckFailedException",
                        f"Repository link {other.data['RepositoryLinkId']} already links this repository through connection {arn}",
                    )
            d["ConnectionArn"] = conn.id
            item.parent = conn.id
        if p.get("EncryptionKeyArn"):
            d["EncryptionKeyArn"] = p["EncryptionKeyArn"]
        ctx.tx.update(item)
        return {"RepositoryLinkInfo": link_view(d)}

    def delete_repository_link(self, ctx, p):
        item = self._link(ctx, p["RepositoryLinkId"])
        link_id = item.data["RepositoryLinkId"]
        if ctx.tx.count(SYNC_CONFIGURATION, ctx.account, parent=link_id):
            raise AwsError(
                "SyncConfigurationStillExistsException",
                f"Repository link {link_id} still has sync configurations. Delete them first",
            )
        for attempt in ctx.tx.list(REPOSITORY_SYNC_ATTEMPT, ctx.account, parent=link_id):
            ctx.tx.delete(REPOSITORY_SYNC_ATTEMPT, attempt.id)
        ctx.tx.delete(REPOSITORY_LINK, item.id)
        ctx.tx.retire(item.id)
        ctx.app.git.forget(link_id)  # its Git repository (gitremote/)
        return {}

    # -- sync configurations -----------------------------------------------
    def _settings(self, ctx, shape: str, p: dict, data: dict) -> None:
        for k in OPTIONAL_SETTINGS:
            if p.get(k) is not None and has_member(ctx.service, shape, k):
                data[k] = p[k]

    def create_sync_configuration(self, ctx, p):
        sync_type, resource, branch = p["SyncType"], p["ResourceName"], p["Branch"]
        # CreateSyncConfiguration models no ResourceNotFoundException either.
        link = self._link(ctx, p["RepositoryLinkId"], "InvalidInputException").data
        link_id = link["RepositoryLinkId"]
        key = config_key(ctx.account, ctx.region, sync_type, resource)
        if ctx.tx.get(SYNC_CONFIGURATION, key) is not None:
            raise AwsError("ResourceAlreadyExistsException", f"A sync configuration of type {sync_type} already exists for resource {resource}")
        if ctx.tx.count(SYNC_CONFIGURATION, ctx.account, ctx.region) >= STACK_SYNC_QUOTA:
            raise AwsError("LimitExceededException", f"Exceeded the maximum limit for CloudFormation stack sync configurations ({STACK_SYNC_QUOTA})")
        if ctx.tx.count(SYNC_CONFIGURATION, ctx.account, parent=link_id) >= PER_LINK_QUOTA:
            raise AwsError("LimitExceededException", f"Exceeded the maximum limit for sync configurations per repository link ({PER_LINK_QUOTA})")
        if self._branch_count(ctx, link_id, branch) >= PER_BRANCH_QUOTA:
            raise AwsError("LimitExceededException", f"Exceeded the maximum limit for sync configurations per branch ({PER_BRANCH_QUOTA})")
        data = {
            "Branch": branch,
            "ConfigFile": p["ConfigFile"],
            "OwnerId": link["OwnerId"],
            "ProviderType": link["ProviderType"],
            "RepositoryLinkId": link_id,
            "RepositoryName": link["RepositoryName"],
            "ResourceName": resource,
            "RoleArn": p["RoleArn"],
            "SyncType": sync_type,
        }
        self._settings(ctx, "CreateSyncConfigurationInput", p, data)
        data["CreatedAt"] = ctx.now
        ctx.tx.insert(SYNC_CONFIGURATION, key, ctx.account, ctx.region, data, parent=link_id)
        return {"SyncConfiguration": config_view(ctx.service, data)}

    def get_sync_configuration(self, ctx, p):
        return {"SyncConfiguration": config_view(ctx.service, self._config(ctx, p["SyncType"], p["ResourceName"]).data)}

    def list_sync_configurations(self, ctx, p):
        link_id = self._link(ctx, p["RepositoryLinkId"]).data["RepositoryLinkId"]
        sync_type = p["SyncType"]
        return list_page(
            ctx, p, SYNC_CONFIGURATION, "SyncConfigurations", lambda i: config_view(ctx.service, i.data),
            keep=lambda i: i.data["SyncType"] == sync_type, region=ctx.region, parent=link_id,
        )

    def update_sync_configuration(self, ctx, p):
        item = self._config(ctx, p["SyncType"], p["ResourceName"])
        d = item.data
        if in_flight(ctx.tx.list(RESOURCE_SYNC_ATTEMPT, ctx.account, parent=item.id), ctx.now):
            raise AwsError(
                "UpdateOutOfSyncException",
                f"A sync of resource {d['ResourceName']} is in progress. Try again when it has finished",
            )
        link_id = d["RepositoryLinkId"]
        if p.get("RepositoryLinkId") and p["RepositoryLinkId"] != link_id:
            link = self._link(ctx, p["RepositoryLinkId"]).data
            link_id = link["RepositoryLinkId"]
            if ctx.tx.count(SYNC_CONFIGURATION, ctx.account, parent=link_id) >= PER_LINK_QUOTA:
                # UpdateSyncConfiguration models no LimitExceededException.
                raise AwsError("InvalidInputException", f"Repository link {link_id} already has {PER_LINK_QUOTA} sync configurations")
            d.update(RepositoryLinkId=link_id, OwnerId=link["OwnerId"], ProviderType=link["ProviderType"], RepositoryName=link["RepositoryName"])
            item.parent = link_id
            moved = True
        else:
            moved = False
        branch = p.get("Branch") or d["Branch"]
        if (moved or branch != d["Branch"]) and self._branch_count(ctx, link_id, branch) >= PER_BRANCH_QUOTA:
            raise AwsError("InvalidInputException", f"Branch {branch} already has {PER_BRANCH_QUOTA} sync configurations")
        d["Branch"] = branch
        for k in ("ConfigFile", "RoleArn"):
            if p.get(k):
                d[k] = p[k]
        self._settings(ctx, "UpdateSyncConfigurationInput", p, d)
        ctx.tx.update(item)
        return {"SyncConfiguration": config_view(ctx.service, d)}

    def delete_sync_configuration(self, ctx, p):
        key = config_key(ctx.account, ctx.region, p["SyncType"], p["ResourceName"])
        item = ctx.tx.get(SYNC_CONFIGURATION, key)
        if item is None:
            # DeleteSyncConfiguration models no ResourceNotFoundException.
            raise AwsError("InvalidInputException", f"Sync configuration for resource {p['ResourceName']} of type {p['SyncType']} does not exist")
        attempts = ctx.tx.list(RESOURCE_SYNC_ATTEMPT, ctx.account, parent=key)
        if in_flight(attempts, ctx.now):
            raise AwsError(
                "ConcurrentModificationException",
                f"A sync of resource {p['ResourceName']} is in progress. Try again when it has finished",
            )
        # Its sync status and blockers go with it (FACTS 5.13).
        for attempt in attempts:
            ctx.tx.delete(RESOURCE_SYNC_ATTEMPT, attempt.id)
        for blocker in ctx.tx.list(SYNC_BLOCKER, ctx.account, parent=key):
            ctx.tx.delete(SYNC_BLOCKER, blocker.id)
        ctx.tx.delete(SYNC_CONFIGURATION, key)
        return {}

    # -- sync status -------------------------------------------------------
    def list_repository_sync_definitions(self, ctx, p):
        link_id = self._link(ctx, p["RepositoryLinkId"]).data["RepositoryLinkId"]
        definitions = []
        for c in ctx.tx.list(SYNC_CONFIGURATION, ctx.account, ctx.region, parent=link_id):
            d = c.data
            if d["SyncType"] == p["SyncType"]:
                # For a stack sync the parent and the target are the same stack (FACTS 5.6).
                definitions.append(
                    {"Branch": d["Branch"], "Directory": posixpath.dirname(d["ConfigFile"]), "Parent": d["ResourceName"], "Target": d["ResourceName"]}
                )
        return {"RepositorySyncDefinitions": definitions}

    def get_repository_sync_status(self, ctx, p):
        link_id = self._link(ctx, p["RepositoryLinkId"]).data["RepositoryLinkId"]
        branch, sync_type = p["Branch"], p["SyncType"]
        attempts = [
            a for a in ctx.tx.list(REPOSITORY_SYNC_ATTEMPT, ctx.account, parent=link_id)
            if a.data["Branch"] == branch and a.data["SyncType"] == sync_type
        ]
        if not attempts:
            raise AwsError("ResourceNotFoundException", f"No sync of branch {branch} of repository link {link_id} has been recorded")
        d = attempts[-1].data
        status, events = attempt_state(d, ctx.now)
        return {"LatestSync": {"StartedAt": d["StartedAt"], "Status": status, "Events": events}}

    @staticmethod
    def _resource_attempt_view(d: dict, now: float) -> dict:
        status, events = attempt_state(d, now)
        return {
            "Events": events,
            "InitialRevision": d["InitialRevision"],
            "StartedAt": d["StartedAt"],
            "Status": status,
            "TargetRevision": d["TargetRevision"],
            "Target": d["Target"],
        }

    def get_resource_sync_status(self, ctx, p):
        item = self._config(ctx, p["SyncType"], p["ResourceName"])
        # A queued attempt shows only from its start; until then the previous one is the latest.
        started = [a for a in ctx.tx.list(RESOURCE_SYNC_ATTEMPT, ctx.account, parent=item.id) if a.data["StartedAt"] <= ctx.now]
        if not started:
            raise AwsError("ResourceNotFoundException", f"Resource {p['ResourceName']} has not been synced yet")
        out = {"LatestSync": self._resource_attempt_view(started[-1].data, ctx.now)}
        for a in reversed(started):
            view = self._resource_attempt_view(a.data, ctx.now)
            if view["Status"] == "SUCCEEDED":
                out["LatestSuccessfulSync"] = view
                break
        if item.data.get("DesiredState"):
            out["DesiredState"] = item.data["DesiredState"]
        return out

    # -- sync blockers -----------------------------------------------------
    def _blockers(self, ctx, key: str) -> list:
        """Blockers of a resource that exist at ctx.now, newest first."""
        items = [b for b in ctx.tx.list(SYNC_BLOCKER, ctx.account, parent=key) if b.data["CreatedAt"] <= ctx.now]
        return items[::-1]

    def get_sync_blocker_summary(self, ctx, p):
        item = self._config(ctx, p["SyncType"], p["ResourceName"])
        resource = item.data["ResourceName"]
        return {
            "SyncBlockerSummary": {
                "ResourceName": resource,
                "ParentResourceName": resource,
                "LatestBlockers": [blocker_view(b.data) for b in self._blockers(ctx, item.id)],
            }
        }

    def update_sync_blocker(self, ctx, p):
        config = self._config(ctx, p["SyncType"], p["ResourceName"])
        blocker = ctx.tx.get(SYNC_BLOCKER, p["Id"])
        if blocker is None or blocker.parent != config.id or blocker.data["CreatedAt"] > ctx.now:
            raise AwsError("SyncBlockerDoesNotExistException", f"Sync blocker {p['Id']} does not exist for resource {p['ResourceName']}")
        d = blocker.data
        if d["Status"] != "ACTIVE":
            raise AwsError("InvalidInputException", f"Sync blocker {p['Id']} is already resolved")
        d.update(Status="RESOLVED", ResolvedReason=p["ResolvedReason"], ResolvedAt=ctx.now)
        ctx.tx.update(blocker)
        return {"ResourceName": d["ResourceName"], "ParentResourceName": d["ParentResourceName"], "SyncBlocker": blocker_view(d)}
