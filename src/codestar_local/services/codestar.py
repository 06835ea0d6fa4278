"""AWS CodeStar (2017-04-19): projects, team members, user profiles and project tags.

Rules and their sources: docs/CODESTAR.md, docs/BEHAVIOUR.md and ../shared/FACTS.md §2.7, §4.13, §6.

A project's state is computed from planned times (ReadyAt, DeletingAt, GoneAt)
rather than written by a timer, so every worker sees the same state. A project
past GoneAt is treated as absent by reads and purged by the next write that
meets it.
"""

from __future__ import annotations

import hashlib
import re
import uuid

import orjson

from ..errors import AwsError
from ..store.base import make_token, read_token
from .connections import list_page

PROJECT = "codestar_project"
MEMBER = "codestar_team_member"
MEMBERSHIP = "codestar_membership"  # one per (user, project): counts a user's projects by an indexed query
PROFILE = "codestar_user_profile"
REQUEST_TOKEN = "codestar_request_token"
KINDS = (PROJECT, MEMBER, MEMBERSHIP, PROFILE, REQUEST_TOKEN)

PROJECT_QUOTA = 333  # per account (FACTS 2.7)
USER_PROJECT_QUOTA = 10  # projects an IAM user may belong to
MEMBER_QUOTA = 100  # team members per project
TAG_QUOTA = 50  # tags per project
DEFAULT_PAGE_SIZE = 100
PAGING = ("nextToken", "maxResults", "InvalidNextTokenException", False)  # the model's token pattern has no '-'

ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]+")
USER_NAME_CHARS = re.compile(r"[^\w+=,.@-]")

# The model's exception texts (botocore 1.35.0 documentation).
MESSAGES = {
    "ProjectAlreadyExistsException": "An AWS CodeStar project with the same ID already exists in this region for the AWS account. "
    "AWS CodeStar project IDs must be unique within a region for the AWS account.",
    "TeamMemberAlreadyAssociatedException": "The team member is already associated with a role in this project.",
    "TeamMemberNotFoundException": "The specified team member was not found.",
    "UserProfileAlreadyExistsException": "A user profile with that name already exists in this region for the AWS account. "
    "AWS CodeStar user profile names must be unique within a region for the AWS account.",
    "UserProfileNotFoundException": "The user profile was not found.",
    "LimitExceededException": "A resource limit has been exceeded.",
    "ConcurrentModificationException": "Another modification is being made. That modification must complete before you can make your change.",
    "InvalidServiceRoleException": "The service role is not valid.",
}


def project_key(account: str, project_id: str) -> str:
    # Account-wide, not per region: the toolchain's IAM role names carry the id (docs/CODESTAR.md).
    return f"{account}/{project_id}"


def not_found(project_id: str) -> AwsError:
    # The text AWS answers (FACTS 4.13).
    return AwsError(
        "ProjectNotFoundException",
        f"The project ID was not found: {project_id}. Make sure that the project ID is correct and then try again.",
    )


def error(code: str, detail: str | None = None) -> AwsError:
    text = MESSAGES[code]
    return AwsError(code, f"{text} {detail}" if detail else text)


def state(d: dict, now: float) -> str | None:
    """The project's status.state at `now`, or None once it is gone."""
    gone = d.get("GoneAt")
    if gone is not None and now >= gone:
        return None
    deleting = d.get("DeletingAt")
    if deleting is not None and now >= deleting:
        return "DeleteInProgress"
    return "CreateInProgress" if now < d["ReadyAt"] else "CreateComplete"


def fingerprint(region: str, params: dict) -> str:
    return hashlib.sha256(region.encode() + orjson.dumps(params, option=orjson.OPT_SORT_KEYS)).hexdigest()


def creator_arn(account: str, access_key: str | None) -> str:
    """The IAM user a caller stands for: named after its access key id (there is no IAM here)."""
    name = USER_NAME_CHARS.sub("-", access_key or "anonymous")
    prefix = f"arn:aws:iam::{account}:user/"
    return prefix + name[: 95 - len(prefix)]


def toolchain_resources(d: dict) -> list[str]:
    """The ARNs a CodeStar toolchain stack makes for a project (docs/CODESTAR.md)."""
    pid, region, account = d["id"], d["Region"], d["Account"]
    arns = [
        d["stackId"],
        f"arn:aws:codepipeline:{region}:{account}:{pid}-Pipeline",
        f"arn:aws:codebuild:{region}:{account}:project/{pid}",
        f"arn:aws:s3:::aws-codestar-{region}-{account}-{pid}-pipe",
        f"arn:aws:iam::{account}:role/CodeStarWorker-{pid}-ToolChain",
        f"arn:aws:iam::{account}:role/CodeStarWorker-{pid}-CloudFormation",
        f"arn:aws:iam::{account}:policy/CodeStar_{pid}_PermissionsBoundary",
    ]
    for repo in d.get("Repositories", []):
        if repo["type"] == "codeCommit":
            arns.append(f"arn:aws:codecommit:{region}:{account}:{repo['name']}")
    return arns


def page(items: list, params: dict, kind: str) -> tuple[list, str | None]:
    """An offset page of a small list held in one item (tags, resources)."""
    start = read_token(kind, params.get("nextToken"), PAGING[2], PAGING[3])
    if start > len(items):
        raise AwsError("InvalidNextTokenException", "The next token is not valid.")
    limit = params.get("maxResults") or DEFAULT_PAGE_SIZE
    chosen = items[start : start + limit]
    end = start + len(chosen)
    return chosen, (make_token(kind, end, PAGING[3]) if end < len(items) else None)


class CodeStarProvider:
    def __init__(self, app):
        self.app = app

    # -- lookups -----------------------------------------------------------
    def _live(self, ctx, project_id: str):
        """(item, state) of a project of the caller's account, or (None, None). Gone projects are purged."""
        item = ctx.tx.get(PROJECT, project_key(ctx.account, project_id))
        if item is None:
            return None, None
        current = state(item.data, ctx.now)
        if current is None:
            if not ctx.operation.readonly:
                self._purge(ctx, item)
            return None, None
        return item, current

    def _project(self, ctx, project_id: str, changing: bool = False):
        """A project of the caller's account and region; `changing` refuses one being deleted."""
        item, current = self._live(ctx, project_id)
        # Projects are regional: another region's project is not found here.
        if item is None or item.region != ctx.region:
            raise not_found(project_id)
        if changing and current == "DeleteInProgress":
            if "ConcurrentModificationException" in ctx.operation.errors:
                raise error("ConcurrentModificationException", f"Project {project_id} is being deleted.")
            raise not_found(project_id)
        return item

    def _purge(self, ctx, item) -> None:
        self._drop_memberships(ctx, item)
        for kind in (MEMBER, REQUEST_TOKEN):
            for child in ctx.tx.list(kind, item.account, parent=item.id):
                ctx.tx.delete(kind, child.id)
        ctx.tx.delete(PROJECT, item.id)

    def _drop_memberships(self, ctx, item) -> None:
        for member in ctx.tx.list(MEMBER, item.account, parent=item.id):
            ctx.tx.delete(MEMBERSHIP, self._membership_key(item.account, member.data["userArn"], item.data["id"]))

    @staticmethod
    def _membership_key(account: str, user_arn: str, project_id: str) -> str:
        return f"{account}/{user_arn}/{project_id}"

    def _user_project_count(self, ctx, user_arn: str) -> int:
        return ctx.tx.count(MEMBERSHIP, ctx.account, parent=f"{ctx.account}/{user_arn}")

    def _add_member(self, ctx, project, user_arn: str, role: str, remote: bool, token: str | None = None) -> None:
        pid = project.data["id"]
        data = {"userArn": user_arn, "projectRole": role, "remoteAccessAllowed": remote}
        if token:
            data["clientRequestToken"] = token
        ctx.tx.insert(MEMBER, f"{project.id}/{user_arn}", ctx.account, project.region, data, parent=project.id)
        ctx.tx.insert(MEMBERSHIP, self._membership_key(ctx.account, user_arn, pid), ctx.account, project.region,
                      {"userArn": user_arn, "projectId": pid}, parent=f"{ctx.account}/{user_arn}")

    # -- request tokens ------------------------------------------------------
    def _replay(self, ctx, token: str | None, params: dict):
        """The stored answer of an earlier request with this token, or None; another request with it is refused."""
        if not token:
            return None
        item = ctx.tx.get(REQUEST_TOKEN, self._token_key(ctx, token))
        if item is None:
            return None
        if item.parent is not None:
            project = ctx.tx.get(PROJECT, item.parent)
            if project is None or state(project.data, ctx.now) is None:
                if project is not None:
                    self._purge(ctx, project)
                else:
                    ctx.tx.delete(REQUEST_TOKEN, item.id)
                return None
        if item.data["fingerprint"] != fingerprint(ctx.region, params):
            raise AwsError(
                "ValidationException",
                f"The client request token {token} was already used with a different {ctx.operation.name} request.",
            )
        return item.data["answer"]

    @staticmethod
    def _token_key(ctx, token: str) -> str:
        # Per account and region: each regional endpoint keeps its own tokens.
        return f"{ctx.account}/{ctx.region}/{ctx.operation.name}/{token}"

    def _remember(self, ctx, token: str | None, params: dict, answer: dict, project_id: str) -> None:
        if token:
            data = {"fingerprint": fingerprint(ctx.region, params), "answer": answer}
            ctx.tx.insert(REQUEST_TOKEN, self._token_key(ctx, token), ctx.account, ctx.region, data,
                          parent=project_key(ctx.account, project_id))

    # -- projects ------------------------------------------------------------
    def create_project(self, ctx, p):
        token = p.get("clientRequestToken")
        replayed = self._replay(ctx, token, p)
        if replayed is not None:
            return replayed
        pid = p["id"]
        source, toolchain = p.get("sourceCode"), p.get("toolchain")
        if (source is None) != (toolchain is None):
            raise AwsError("ValidationException", "sourceCode and toolchain must be specified together: give both or neither.")
        repositories = []
        for n, code in enumerate(source or [], 1):
            destination = code["destination"]
            kinds = [k for k in ("codeCommit", "gitHub") if destination.get(k) is not None]
            if len(kinds) != 1:
                raise AwsError("ValidationException", f"sourceCode.{n}.destination must name exactly one of codeCommit and gitHub.")
            repositories.append({"type": kinds[0], "name": destination[kinds[0]]["name"]})
        role = (toolchain or {}).get("roleArn")
        if role is not None and (not ROLE_ARN.fullmatch(role) or role.split(":")[4] != ctx.account):
            raise error("InvalidServiceRoleException", f"{role} is not an IAM role of account {ctx.account}.")
        tags = dict(p.get("tags") or {})
        if len(tags) > TAG_QUOTA:
            raise error("LimitExceededException", f"A project can have at most {TAG_QUOTA} tags.")
        key = project_key(ctx.account, pid)
        existing, _ = self._live(ctx, pid)
        if existing is not None:
            raise error("ProjectAlreadyExistsException")
        if ctx.tx.count(PROJECT, ctx.account) >= PROJECT_QUOTA:
            # Projects past their deletion no longer count: drop them, only when it matters.
            for item in ctx.tx.list(PROJECT, ctx.account):
                if state(item.data, ctx.now) is None:
                    self._purge(ctx, item)
        if ctx.tx.count(PROJECT, ctx.account) >= PROJECT_QUOTA:
            raise error("LimitExceededException", f"An account can have at most {PROJECT_QUOTA} projects.")
        creator = creator_arn(ctx.account, ctx.access_key)
        if self._user_project_count(ctx, creator) >= USER_PROJECT_QUOTA:
            raise error("LimitExceededException", f"{creator} already belongs to {USER_PROJECT_QUOTA} projects.")
        arn = ctx.arn(f"project/{pid}")
        data = {
            "id": pid,
            "name": p["name"],
            "arn": arn,
            "stackId": f"arn:aws:cloudformation:{ctx.region}:{ctx.account}:stack/awscodestar-{pid}/{uuid.uuid4()}",
            "createdTimeStamp": ctx.now,
            "ReadyAt": ctx.now + ctx.app.config.project_create_seconds,
            "Tags": tags,
            "Toolchain": toolchain is not None,
            "Repositories": repositories,
            "Creator": creator,
            "Account": ctx.account,
            "Region": ctx.region,
        }
        if p.get("description"):
            data["description"] = p["description"]
        if token:
            data["clientRequestToken"] = token
        project = ctx.tx.insert(PROJECT, key, ctx.account, ctx.region, data)
        self._add_member(ctx, project, creator, "Owner", False)
        answer = {"id": pid, "arn": arn}
        if token:
            answer["clientRequestToken"] = token
        self._remember(ctx, token, p, answer, pid)
        return answer

    def describe_project(self, ctx, p):
        item = self._project(ctx, p["id"])
        d = item.data
        out = {k: d[k] for k in ("name", "id", "arn", "description", "clientRequestToken", "createdTimeStamp", "stackId",
                                 "projectTemplateId") if d.get(k) is not None}
        out["status"] = {"state": state(d, ctx.now)}
        return out

    def list_projects(self, ctx, p):
        return list_page(ctx, p, PROJECT, "projects", lambda i: {"projectId": i.data["id"], "projectArn": i.data["arn"]},
                         keep=lambda i: state(i.data, ctx.now) is not None, region=ctx.region, paging=PAGING)

    def update_project(self, ctx, p):
        item = self._project(ctx, p["id"], changing=True)
        if p.get("name") is not None:
            item.data["name"] = p["name"]
        if p.get("description") is not None:
            # An empty description clears it.
            if p["description"]:
                item.data["description"] = p["description"]
            else:
                item.data.pop("description", None)
        ctx.tx.update(item)
        return {}

    def delete_project(self, ctx, p):
        token = p.get("clientRequestToken")
        replayed = self._replay(ctx, token, p)
        if replayed is not None:
            return replayed
        pid = p["id"]
        item, current = self._live(ctx, pid)
        if item is None or item.region != ctx.region:
            # DeleteProject models no ProjectNotFoundException: deleting what is not there succeeds (FACTS 6.5).
            # Nothing is remembered for the token: there is no project to tie it to, and the answer is the same anyway.
            return {"projectArn": ctx.arn(f"project/{pid}")}
        d = item.data
        if current != "DeleteInProgress":
            d["DeletingAt"] = ctx.now
            d["GoneAt"] = ctx.now + ctx.app.config.project_delete_seconds
            d["DeleteStack"] = bool(p.get("deleteStack"))
            # Its team members lose their place in the project at once (the project roles go first).
            self._drop_memberships(ctx, item)
            ctx.tx.update(item)
        answer = {"projectArn": d["arn"]}
        if d.get("DeleteStack"):
            answer["stackId"] = d["stackId"]
        self._remember(ctx, token, p, answer, pid)
        return answer

    def list_resources(self, ctx, p):
        d = self._project(ctx, p["projectId"]).data
        arns = toolchain_resources(d) if d.get("Toolchain") else []
        chosen, token = page(arns, p, "resources")
        out = {"resources": [{"id": a} for a in chosen]}
        if token:
            out["nextToken"] = token
        return out

    # -- tags ----------------------------------------------------------------
    def tag_project(self, ctx, p):
        item = self._project(ctx, p["id"], changing=True)
        tags = {**item.data.get("Tags", {}), **p["tags"]}
        if len(tags) > TAG_QUOTA:
            raise error("LimitExceededException", f"A project can have at most {TAG_QUOTA} tags.")
        item.data["Tags"] = tags
        ctx.tx.update(item)
        return {"tags": tags}

    def untag_project(self, ctx, p):
        item = self._project(ctx, p["id"], changing=True)
        drop = set(p["tags"])
        item.data["Tags"] = {k: v for k, v in item.data.get("Tags", {}).items() if k not in drop}
        ctx.tx.update(item)
        return {}

    def list_tags_for_project(self, ctx, p):
        tags = self._project(ctx, p["id"]).data.get("Tags", {})
        chosen, token = page(list(tags.items()), p, "tags")
        out = {"tags": dict(chosen)}
        if token:
            out["nextToken"] = token
        return out

    # -- team members ----------------------------------------------------------
    def _member(self, ctx, project, user_arn: str):
        return ctx.tx.get(MEMBER, f"{project.id}/{user_arn}")

    def associate_team_member(self, ctx, p):
        token = p.get("clientRequestToken")
        replayed = self._replay(ctx, token, p)
        if replayed is not None:
            return replayed
        project = self._project(ctx, p["projectId"], changing=True)
        user = p["userArn"]
        if self._member(ctx, project, user) is not None:
            raise error("TeamMemberAlreadyAssociatedException")
        if ctx.tx.count(MEMBER, ctx.account, parent=project.id) >= MEMBER_QUOTA:
            raise error("LimitExceededException", f"A project can have at most {MEMBER_QUOTA} team members.")
        if self._user_project_count(ctx, user) >= USER_PROJECT_QUOTA:
            raise error("LimitExceededException", f"{user} already belongs to {USER_PROJECT_QUOTA} projects.")
        self._add_member(ctx, project, user, p["projectRole"], bool(p.get("remoteAccessAllowed", False)), token)
        answer = {"clientRequestToken": token} if token else {}
        self._remember(ctx, token, p, answer, project.data["id"])
        return answer

    def update_team_member(self, ctx, p):
        project = self._project(ctx, p["projectId"], changing=True)
        member = self._member(ctx, project, p["userArn"])
        if member is None:
            raise error("TeamMemberNotFoundException")
        d = member.data
        if p.get("projectRole") is not None:
            d["projectRole"] = p["projectRole"]
        if p.get("remoteAccessAllowed") is not None:
            d["remoteAccessAllowed"] = p["remoteAccessAllowed"]
        ctx.tx.update(member)
        return {"userArn": d["userArn"], "projectRole": d["projectRole"], "remoteAccessAllowed": d["remoteAccessAllowed"]}

    def disassociate_team_member(self, ctx, p):
        project = self._project(ctx, p["projectId"], changing=True)
        user = p["userArn"]
        member = self._member(ctx, project, user)
        # DisassociateTeamMember models no TeamMemberNotFoundException: removing a non-member succeeds.
        if member is not None:
            ctx.tx.delete(MEMBER, member.id)
            ctx.tx.delete(MEMBERSHIP, self._membership_key(ctx.account, user, project.data["id"]))
        return {}

    def list_team_members(self, ctx, p):
        project = self._project(ctx, p["projectId"])
        return list_page(ctx, p, MEMBER, "teamMembers",
                         lambda i: {k: i.data[k] for k in ("userArn", "projectRole", "remoteAccessAllowed")},
                         parent=project.id, paging=PAGING)

    # -- user profiles ---------------------------------------------------------
    def _profile(self, ctx, user_arn: str):
        item = ctx.tx.get(PROFILE, f"{ctx.account}/{user_arn}")
        if item is None:
            raise error("UserProfileNotFoundException", f"No user profile for {user_arn}.")
        return item

    @staticmethod
    def profile_view(d: dict, timestamps: bool = True) -> dict:
        out = {k: d[k] for k in ("userArn", "displayName", "emailAddress", "sshPublicKey") if k in d}
        if timestamps:
            out["createdTimestamp"] = d["createdTimestamp"]
            out["lastModifiedTimestamp"] = d["lastModifiedTimestamp"]
        return out

    def create_user_profile(self, ctx, p):
        key = f"{ctx.account}/{p['userArn']}"
        if ctx.tx.get(PROFILE, key) is not None:
            raise error("UserProfileAlreadyExistsException")
        data = {
            "userArn": p["userArn"],
            "displayName": p["displayName"],
            "emailAddress": p["emailAddress"],
            "sshPublicKey": p.get("sshPublicKey") or "",
            "createdTimestamp": ctx.now,
            "lastModifiedTimestamp": ctx.now,
        }
        ctx.tx.insert(PROFILE, key, ctx.account, ctx.region, data)
        return self.profile_view(data)

    def describe_user_profile(self, ctx, p):
        return self.profile_view(self._profile(ctx, p["userArn"]).data)

    def update_user_profile(self, ctx, p):
        item = self._profile(ctx, p["userArn"])
        d = item.data
        for k in ("displayName", "emailAddress", "sshPublicKey"):
            if p.get(k) is not None:
                d[k] = p[k]
        d["lastModifiedTimestamp"] = ctx.now
        ctx.tx.update(item)
        return self.profile_view(d)

    def delete_user_profile(self, ctx, p):
        # Only ValidationException is modelled: deleting a missing profile succeeds (FACTS 6.8).
        ctx.tx.delete(PROFILE, f"{ctx.account}/{p['userArn']}")
        return {"userArn": p["userArn"]}

    def list_user_profiles(self, ctx, p):
        return list_page(ctx, p, PROFILE, "userProfiles", lambda i: self.profile_view(i.data, timestamps=False), paging=PAGING)
