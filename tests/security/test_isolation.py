"""Account isolation, for all 72 operations (issue 10).

No operation of account A reads, lists, tags, untags, updates or deletes anything of account B. Account B gets a
full set of every resource kind (per ARN prefix: a host, a connection on it, a GitHub connection made AVAILABLE,
a repository link, a synced sync configuration with an active blocker; a CodeStar project with tags, a toolchain
and a team member, and a user profile), then every operation is called from account A, naming B's resources by
ARN, id or name, over HTTP with boto3: codestar-connections and codeconnections over JSON, codeconnections again
over Smithy RPC v2 CBOR, and codestar.

The tables CONNECTION_CALLS and CODESTAR_CALLS say, per operation, how the call names B's resource and what A
gets: the operation's not-found error (one its model lists), or, where the model has none, a success that
neither shows nor touches B's resource. After every test B's whole view of its resources must be as it was
before. Every answer is also checked for anything of B's that the request did not name (a leak). The list of
operations comes from codestar_local.spec, so a new operation fails the coverage test until it has a row here.

The same tables, from B's own account in another region, check the regional resources (hosts, repository links,
sync configurations, projects); connections and user profiles are global (FACTS 1.4, docs/BEHAVIOUR.md) and get
a test of their own. The control API's account-scoped calls come last.
"""

from __future__ import annotations

import json
import random
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Callable

import boto3
import botocore.config
import botocore.session
import pytest
from botocore.exceptions import ClientError

from codestar_local import spec

HOME = "us-east-1"
AWAY = "us-west-2"
PREFIXES = ("codestar-connections", "codeconnections")
STACK_SYNC = "CFN_STACK_SYNC"
OWNER, REPO = "b-owner", "b-repo"
RNF = "ResourceNotFoundException"
PNF = "ProjectNotFoundException"
SAME, SKIP = "same", "skip"
# What another region of the same account sees: connections and user profiles belong to the account.
GLOBAL_KINDS = {"connection", "profile"}


def new_account(*not_these: str) -> str:
    while True:
        account = "".join(random.choice("0123456789") for _ in range(12))
        if account not in not_these:
            return account


def user(account: str, name: str) -> str:
    return f"arn:aws:iam::{account}:user/{name}"


def strip(answer: dict) -> dict:
    return {k: v for k, v in answer.items() if k != "ResponseMetadata"}


# -- account B's resources ---------------------------------------------------------------------------------------
@dataclass
class Side:
    """B's connection resources made through one endpoint, so with its ARN prefix."""

    prefix: str
    host: str
    host_endpoint: str
    host_connection: str  # a GitHubEnterpriseServer connection on `host`
    connection: str  # a GitHub connection, AVAILABLE
    link_arn: str
    link_id: str
    config: str  # the sync configuration's ResourceName
    blocker: str


@dataclass
class CodeStarSide:
    project: str
    member: str  # a team member's user ARN, which also has a user profile
    profile: str


class World:
    """Account B in HOME with one of everything, and B's view of it."""

    def __init__(self, server):
        self.server = server
        self.account = new_account()
        self.secret = f"b-secret-{self.account}"  # in B's tag values, descriptions and names; A never sends it
        self.tags = [{"Key": "owner", "Value": self.secret}, {"Key": "team", "Value": "b"}]
        self.clients = {name: server.client(name, account=self.account, region=HOME) for name in (*PREFIXES, "codestar")}
        self.sides = {prefix: self._make_side(prefix) for prefix in PREFIXES}
        self.codestar = self._make_codestar()
        # Strings of B's that no answer to another caller may hold unless its request named them.
        self.tokens = {self.secret}
        for s in self.sides.values():
            self.tokens |= {s.host, s.host_endpoint, s.host_connection, s.connection, s.link_arn, s.link_id, s.blocker}
        described = self.clients["codestar"].describe_project(id=self.codestar.project)
        self.tokens |= {described["arn"], described["stackId"]}
        self.baseline = self.observe()

    def _make_side(self, prefix: str) -> Side:
        c = self.clients[prefix]
        short = "ccs" if prefix == "codestar-connections" else "cc"
        endpoint = f"https://ghes-{short}-{self.account}.example.com"
        host = c.create_host(Name=f"b-host-{short}", ProviderType="GitHubEnterpriseServer", ProviderEndpoint=endpoint,
                             Tags=self.tags)["HostArn"]
        host_connection = c.create_connection(ConnectionName="b-ghes", HostArn=host, Tags=self.tags)["ConnectionArn"]
        connection = c.create_connection(ConnectionName="b-conn", ProviderType="GitHub", Tags=self.tags)["ConnectionArn"]
        assert control(self.server, "connections/handshake", {"ConnectionArn": connection})[0] == 200
        link = c.create_repository_link(
            ConnectionArn=connection, OwnerId=OWNER, RepositoryName=REPO, Tags=self.tags,
            EncryptionKeyArn=f"arn:aws:kms:{HOME}:{self.account}:key/b-key",
        )["RepositoryLinkInfo"]
        config = f"b-stack-{short}"
        c.create_sync_configuration(
            Branch="main", ConfigFile="deploy/stack.yaml", RepositoryLinkId=link["RepositoryLinkId"], ResourceName=config,
            RoleArn=f"arn:aws:iam::{self.account}:role/b-sync", SyncType=STACK_SYNC, PublishDeploymentStatus="ENABLED",
        )
        status, out = control(self.server, "sync/push", {"RepositoryLinkId": link["RepositoryLinkId"], "Branch": "main",
                                                          "AccountId": self.account, "DurationSeconds": 0})
        assert status == 200 and out["Resources"][0]["Status"] == "INITIATED", out
        status, out = control(self.server, "sync/blockers", {"ResourceName": config, "AccountId": self.account, "Region": HOME,
                                                             "Reason": self.secret})
        assert status == 200, out
        return Side(prefix, host, endpoint, host_connection, connection, link["RepositoryLinkArn"], link["RepositoryLinkId"],
                    config, out["SyncBlocker"]["Id"])

    def _make_codestar(self) -> CodeStarSide:
        cs = self.clients["codestar"]
        project, member = "b-proj", user(self.account, "b-dev")
        cs.create_project(
            name="B project", id=project, description=self.secret, tags={"owner": self.secret},
            sourceCode=[{"source": {"s3": {"bucketName": "seed", "bucketKey": "seed.zip"}}, "destination": {"codeCommit": {"name": REPO}}}],
            toolchain={"source": {"s3": {"bucketName": "templates", "bucketKey": "toolchain.yml"}},
                       "roleArn": f"arn:aws:iam::{self.account}:role/b-toolchain", "stackParameters": {"ProjectId": project}},
        )
        cs.associate_team_member(projectId=project, userArn=member, projectRole="Contributor", remoteAccessAllowed=True)
        cs.create_user_profile(userArn=member, displayName=self.secret, emailAddress=f"{self.secret}@b.example.com",
                               sshPublicKey="ssh-ed25519 AAAA b-dev")
        deadline = time.monotonic() + 10
        while cs.describe_project(id=project)["status"]["state"] != "CreateComplete":
            assert time.monotonic() < deadline, "B's project never reached CreateComplete"
            time.sleep(0.05)
        return CodeStarSide(project, member, member)

    def observe(self) -> dict:
        """Everything B sees of its resources, through each endpoint."""
        seen = {}
        for prefix, s in self.sides.items():
            c = self.clients[prefix]
            sync = {"SyncType": STACK_SYNC, "ResourceName": s.config}
            link = {"RepositoryLinkId": s.link_id, "SyncType": STACK_SYNC}
            seen[prefix] = {
                "connections": [strip(c.get_connection(ConnectionArn=a)) for a in (s.connection, s.host_connection)],
                "connection list": strip(c.list_connections()),
                "host": strip(c.get_host(HostArn=s.host)),
                "host list": strip(c.list_hosts()),
                "tags": {a: strip(c.list_tags_for_resource(ResourceArn=a)) for a in (s.connection, s.host_connection, s.host, s.link_arn)},
                "link": strip(c.get_repository_link(RepositoryLinkId=s.link_id)),
                "link list": strip(c.list_repository_links()),
                "config": strip(c.get_sync_configuration(**sync)),
                "config list": strip(c.list_sync_configurations(**link)),
                "definitions": strip(c.list_repository_sync_definitions(**link)),
                "repository sync": strip(c.get_repository_sync_status(Branch="main", **link)),
                "resource sync": strip(c.get_resource_sync_status(**sync)),
                "blockers": strip(c.get_sync_blocker_summary(**sync)),
            }
        cs, p = self.clients["codestar"], self.codestar
        seen["codestar"] = {
            "project": strip(cs.describe_project(id=p.project)),
            "project list": strip(cs.list_projects()),
            "tags": strip(cs.list_tags_for_project(id=p.project)),
            "members": strip(cs.list_team_members(projectId=p.project)),
            "resources": strip(cs.list_resources(projectId=p.project)),
            "profile": strip(cs.describe_user_profile(userArn=p.profile)),
            "profile list": strip(cs.list_user_profiles()),
        }
        return seen

    def assert_unchanged(self):
        now = self.observe()
        for part in self.baseline:
            assert now[part] == self.baseline[part], f"account B's {part} resources changed"


@pytest.fixture(scope="module")
def world(server) -> World:
    return World(server)


# -- the control API -----------------------------------------------------------------------------------------------
def control(server, path: str, body=None, method: str = "POST") -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"{server.endpoint_url}/_codestar-local/{path}", data=data, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


# -- who calls -------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cbor_models(tmp_path_factory) -> str:
    """A copy of the shipped codeconnections model whose only protocol is CBOR: boto3 then speaks CBOR."""
    model = spec.load_model("codeconnections")
    model["metadata"]["protocols"] = ["smithy-rpc-v2-cbor"]
    model["metadata"]["protocol"] = "smithy-rpc-v2-cbor"
    root = tmp_path_factory.mktemp("isolation-cbor")
    folder = root / "codeconnections" / model["metadata"]["apiVersion"]
    folder.mkdir(parents=True)
    (folder / "service-2.json").write_text(json.dumps(model))
    return str(root)


_CBOR_SESSIONS: dict = {}


def cbor_client(server, models: str, account: str, region: str):
    if models not in _CBOR_SESSIONS:
        session = botocore.session.Session()
        session.get_component("data_loader").search_paths.insert(0, models)
        _CBOR_SESSIONS[models] = boto3.Session(botocore_session=session)
    client = _CBOR_SESSIONS[models].client(
        "codeconnections", endpoint_url=server.endpoint_url, region_name=region, aws_access_key_id=account,
        aws_secret_access_key="secret", config=botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"}),
    )
    assert client.meta.service_model.resolved_protocol == "smithy-rpc-v2-cbor"
    return client


class Caller:
    """An account and region calling one service through one wire protocol."""

    def __init__(self, server, transport: str, service: str, account: str, region: str, models: str):
        self.service, self.account, self.region = service, account, region
        if transport == "cbor":
            self.client = cbor_client(server, models, account, region)
        else:
            self.client = server.client(service, account=account, region=region)


class Own:
    """The caller's own look-alikes of B's resources (same names), for calls that need one; removed afterwards."""

    def __init__(self, caller: Caller, b):
        self.caller, self.b = caller, b
        self.undo: list[Callable] = []

    def make(self, kinds: tuple) -> Own:
        c, b = self.caller.client, self.b
        if "host" in kinds:
            self.host = c.create_host(Name="a-host", ProviderType="GitHubEnterpriseServer",
                                      ProviderEndpoint=f"https://a-{uuid.uuid4().hex[:8]}.example.com")["HostArn"]
            self.undo.append(lambda: c.delete_host(HostArn=self.host))
        if "link" in kinds or "config" in kinds:
            self.connection = c.create_connection(ProviderType="GitHub", ConnectionName="a-conn")["ConnectionArn"]
            self.undo.append(lambda: c.delete_connection(ConnectionArn=self.connection))
            link = c.create_repository_link(ConnectionArn=self.connection, OwnerId=OWNER, RepositoryName=REPO)["RepositoryLinkInfo"]
            self.link_id = link["RepositoryLinkId"]
            self.undo.append(lambda: c.delete_repository_link(RepositoryLinkId=self.link_id))
        if "config" in kinds:
            self.config = b.config
            c.create_sync_configuration(**sync_configuration(self.caller.account, self.link_id, b.config))
            self.undo.append(lambda: c.delete_sync_configuration(SyncType=STACK_SYNC, ResourceName=self.config))
        if "project" in kinds:
            c.create_project(name="A look-alike", id=b.project)
        return self

    def remove(self):
        for undo in reversed(self.undo):
            undo()


def sync_configuration(account: str, link_id: str, resource: str) -> dict:
    return {"Branch": "main", "ConfigFile": "a/stack.yaml", "RepositoryLinkId": link_id, "ResourceName": resource,
            "RoleArn": f"arn:aws:iam::{account}:role/a-sync", "SyncType": STACK_SYNC}


# -- the tables ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Call:
    """One way an operation names a resource of B's, and what the caller must get back.

    `names` is the kind of B's resource named (or listed). `params(b, own)` builds the request from B's resources
    and the caller's own look-alikes (`own`, made first). `error` is the answer from another account: an error
    code, or None for a success that neither shows nor touches B's resource. `away` is the answer from B's own
    account in another region: SAME, another code (or None), or SKIP for a global resource.
    """

    names: str
    params: Callable
    error: str | None
    own: tuple = ()
    away: str | None = SAME
    check: Callable | None = None  # (answer, caller) -> None, on a success
    undo: Callable | None = None  # (client, params) -> None: removes what a success made

    def away_answer(self):
        if self.away == SAME:
            return SKIP if self.names in GLOBAL_KINDS else self.error
        return self.away


def empty(key: str) -> Callable:
    def check(answer, caller):
        assert answer[key] == [], f"{key}: {answer[key]}"

    return check


def no_blockers(answer, caller):
    assert answer["SyncBlockerSummary"]["LatestBlockers"] == []


def only_the_caller_is_a_member(answer, caller):
    assert [m["userArn"] for m in answer["teamMembers"]] == [user(caller.account, caller.account)]


def drop_sync_configuration(client, params):
    client.delete_sync_configuration(SyncType=STACK_SYNC, ResourceName=params["ResourceName"])


def kms_key(caller: Caller) -> str:
    return f"arn:aws:kms:{caller.region}:{caller.account}:key/a-key"


def sync_target(b, **extra) -> dict:
    return {"SyncType": STACK_SYNC, "ResourceName": b.config, **extra}


# (kind named, attribute of Side) for the tagging operations
TAGGED = (("connection", "connection"), ("connection", "host_connection"), ("host", "host"), ("link", "link_arn"))


def tag_calls(params: Callable) -> list[Call]:
    return [Call(kind, lambda b, o, a=attr: params(getattr(b, a)), RNF) for kind, attr in TAGGED]


CONNECTION_CALLS: dict[str, list[Call]] = {
    # CreateConnection's answer for a host it cannot use is ResourceUnavailableException (FACTS 3.7).
    "CreateConnection": [Call("host", lambda b, o: {"ConnectionName": "a-conn", "HostArn": b.host}, "ResourceUnavailableException")],
    # These two model no ResourceNotFoundException: a connection or link the caller does not have is bad input.
    "CreateRepositoryLink": [
        Call("connection", lambda b, o: {"ConnectionArn": b.connection, "OwnerId": OWNER, "RepositoryName": REPO}, "InvalidInputException"),
    ],
    "CreateSyncConfiguration": [
        Call("link", lambda b, o: sync_configuration(o.caller.account, b.link_id, "a-stack"), "InvalidInputException"),
        # B's stack name is free in A's account: no ResourceAlreadyExistsException gives B's configuration away.
        Call("config", lambda b, o: sync_configuration(o.caller.account, o.link_id, b.config), None, own=("link",),
             undo=drop_sync_configuration),
    ],
    "DeleteConnection": [
        Call("connection", lambda b, o: {"ConnectionArn": b.connection}, RNF),
        Call("connection", lambda b, o: {"ConnectionArn": b.host_connection}, RNF),
    ],
    "DeleteHost": [Call("host", lambda b, o: {"HostArn": b.host}, RNF)],
    "DeleteRepositoryLink": [Call("link", lambda b, o: {"RepositoryLinkId": b.link_id}, RNF)],
    # DeleteSyncConfiguration models no ResourceNotFoundException (docs/BEHAVIOUR.md, Git sync).
    "DeleteSyncConfiguration": [Call("config", lambda b, o: sync_target(b), "InvalidInputException")],
    "GetConnection": [
        Call("connection", lambda b, o: {"ConnectionArn": b.connection}, RNF),
        Call("connection", lambda b, o: {"ConnectionArn": b.host_connection}, RNF),
    ],
    "GetHost": [Call("host", lambda b, o: {"HostArn": b.host}, RNF)],
    "GetRepositoryLink": [Call("link", lambda b, o: {"RepositoryLinkId": b.link_id}, RNF)],
    "GetRepositorySyncStatus": [Call("link", lambda b, o: {"Branch": "main", "RepositoryLinkId": b.link_id, "SyncType": STACK_SYNC}, RNF)],
    "GetResourceSyncStatus": [
        Call("config", lambda b, o: sync_target(b), RNF),
        # A's own, never synced, configuration of the same name: not B's sync status.
        Call("config", lambda b, o: sync_target(b), RNF, own=("config",)),
    ],
    "GetSyncBlockerSummary": [
        Call("config", lambda b, o: sync_target(b), RNF),
        Call("config", lambda b, o: sync_target(b), None, own=("config",), check=no_blockers),
    ],
    "GetSyncConfiguration": [Call("config", lambda b, o: sync_target(b), RNF)],
    # A HostArnFilter naming a host the caller does not have lists nothing, as for any unknown host.
    "ListConnections": [
        Call("connection", lambda b, o: {}, None, check=empty("Connections")),
        Call("connection", lambda b, o: {"HostArnFilter": b.host}, None, check=empty("Connections")),
    ],
    "ListHosts": [Call("host", lambda b, o: {}, None, check=empty("Hosts"))],
    "ListRepositoryLinks": [Call("link", lambda b, o: {}, None, check=empty("RepositoryLinks"))],
    "ListRepositorySyncDefinitions": [Call("link", lambda b, o: {"RepositoryLinkId": b.link_id, "SyncType": STACK_SYNC}, RNF)],
    "ListSyncConfigurations": [Call("link", lambda b, o: {"RepositoryLinkId": b.link_id, "SyncType": STACK_SYNC}, RNF)],
    "ListTagsForResource": tag_calls(lambda arn: {"ResourceArn": arn}),
    "TagResource": tag_calls(lambda arn: {"ResourceArn": arn, "Tags": [{"Key": "owner", "Value": "mallory"}]}),
    "UntagResource": tag_calls(lambda arn: {"ResourceArn": arn, "TagKeys": ["owner", "team"]}),
    "UpdateHost": [
        Call("host", lambda b, o: {"HostArn": b.host, "ProviderEndpoint": "https://mallory.example.com"}, RNF),
        # B's endpoint is free in A's account: no ConflictException gives B's host away.
        Call("host", lambda b, o: {"HostArn": o.host, "ProviderEndpoint": b.host_endpoint}, None, own=("host",)),
    ],
    "UpdateRepositoryLink": [
        Call("link", lambda b, o: {"RepositoryLinkId": b.link_id, "EncryptionKeyArn": kms_key(o.caller)}, RNF),
        # A's own link moved onto B's connection.
        Call("connection", lambda b, o: {"RepositoryLinkId": o.link_id, "ConnectionArn": b.connection}, RNF, own=("link",)),
    ],
    "UpdateSyncBlocker": [
        Call("config", lambda b, o: sync_target(b, Id=b.blocker, ResolvedReason="mallory"), RNF),
        # A's own configuration of the same name does not make B's blocker A's.
        Call("config", lambda b, o: sync_target(b, Id=b.blocker, ResolvedReason="mallory"), "SyncBlockerDoesNotExistException",
             own=("config",)),
    ],
    "UpdateSyncConfiguration": [
        Call("config", lambda b, o: sync_target(b, Branch="mallory"), RNF),
        # A's own configuration moved onto B's link.
        Call("link", lambda b, o: sync_target(b, RepositoryLinkId=b.link_id), RNF, own=("config",)),
    ],
}
CONNECTION_EXEMPT = {
    "CreateHost": "names nothing of anyone's: a host is made from a name, a provider type and an endpoint",
}

CODESTAR_CALLS: dict[str, list[Call]] = {
    "AssociateTeamMember": [
        Call("project", lambda b, o: {"projectId": b.project, "userArn": user(o.caller.account, "mallory"), "projectRole": "Owner"}, PNF),
    ],
    # Project ids are unique per account, across its regions (docs/BEHAVIOUR.md, CodeStar).
    "CreateProject": [Call("project", lambda b, o: {"name": "mallory", "id": b.project}, None, away="ProjectAlreadyExistsException")],
    # A user profile is the calling account's record: A may keep one for the same user ARN (docs/BEHAVIOUR.md).
    "CreateUserProfile": [
        Call("profile", lambda b, o: {"userArn": b.profile, "displayName": "mallory", "emailAddress": "m@a.example.com"}, None),
    ],
    # These two model no not-found error: deleting what the caller does not have succeeds and deletes nothing (FACTS 6.5, 6.8).
    "DeleteProject": [Call("project", lambda b, o: {"id": b.project, "deleteStack": True}, None)],
    "DeleteUserProfile": [Call("profile", lambda b, o: {"userArn": b.profile}, None)],
    "DescribeProject": [Call("project", lambda b, o: {"id": b.project}, PNF)],
    "DescribeUserProfile": [Call("profile", lambda b, o: {"userArn": b.profile}, "UserProfileNotFoundException")],
    "DisassociateTeamMember": [
        Call("member", lambda b, o: {"projectId": b.project, "userArn": b.member}, PNF),
        # In A's own project of the same id, B's member is no member; DisassociateTeamMember models no TeamMemberNotFound.
        Call("member", lambda b, o: {"projectId": b.project, "userArn": b.member}, None, own=("project",), away=SKIP),
    ],
    "ListProjects": [Call("project", lambda b, o: {}, None, check=empty("projects"))],
    "ListResources": [Call("project", lambda b, o: {"projectId": b.project}, PNF)],
    "ListTagsForProject": [Call("project", lambda b, o: {"id": b.project}, PNF)],
    "ListTeamMembers": [
        Call("member", lambda b, o: {"projectId": b.project}, PNF),
        Call("member", lambda b, o: {"projectId": b.project}, None, own=("project",), away=SKIP, check=only_the_caller_is_a_member),
    ],
    "ListUserProfiles": [Call("profile", lambda b, o: {}, None, check=empty("userProfiles"))],
    "TagProject": [Call("project", lambda b, o: {"id": b.project, "tags": {"owner": "mallory"}}, PNF)],
    "UntagProject": [Call("project", lambda b, o: {"id": b.project, "tags": ["owner"]}, PNF)],
    "UpdateProject": [Call("project", lambda b, o: {"id": b.project, "name": "mallory", "description": "mallory"}, PNF)],
    "UpdateTeamMember": [
        Call("member", lambda b, o: {"projectId": b.project, "userArn": b.member, "projectRole": "Owner"}, PNF),
        Call("member", lambda b, o: {"projectId": b.project, "userArn": b.member, "projectRole": "Owner"}, "TeamMemberNotFoundException",
             own=("project",), away=SKIP),
    ],
    "UpdateUserProfile": [Call("profile", lambda b, o: {"userArn": b.profile, "displayName": "mallory"}, "UserProfileNotFoundException")],
}
CODESTAR_EXEMPT: dict[str, str] = {}

# Operations none of whose calls names a regional resource: from another region of B's account they see B's
# resources, as they should (test_global_resources_from_another_region).
AWAY_GLOBAL = {
    "GetConnection": "connections are global (FACTS 1.4)",
    "DeleteConnection": "connections are global; writes go to the connection's home region",
    "ListConnections": "lists the account's connections of every region",
    "CreateRepositoryLink": "a link in any region may use any connection of the account",
    "CreateUserProfile": "user profiles belong to the account (IAM users are global)",
    "DeleteUserProfile": "user profiles belong to the account",
    "DescribeUserProfile": "user profiles belong to the account",
    "UpdateUserProfile": "user profiles belong to the account",
    "ListUserProfiles": "user profiles belong to the account",
}


def table(service: str) -> tuple[dict, dict]:
    return (CODESTAR_CALLS, CODESTAR_EXEMPT) if service == "codestar" else (CONNECTION_CALLS, CONNECTION_EXEMPT)


TRANSPORTS = (("json", "codestar-connections"), ("json", "codeconnections"), ("cbor", "codeconnections"), ("json", "codestar"))


def sweep(away: bool = False) -> list:
    out = []
    for transport, service in TRANSPORTS:
        calls, exempt = table(service)
        for op in sorted(spec.services()[service].operations):
            if op in exempt or (away and op in AWAY_GLOBAL):
                continue
            out.append(pytest.param(transport, service, op, id=f"{transport}-{service}-{op}"))
    return out


# -- running one call --------------------------------------------------------------------------------------------------
ARN = re.compile(r'arn:aws[^"\s,;]*')


def assert_nothing_of_b(answer, params: dict, caller: Caller, world: World) -> None:
    """The answer (or error) holds nothing of B's that the request did not name, and only the caller's ARNs."""
    sent = json.dumps(params)
    text = json.dumps(answer, default=str)
    for token in world.tokens:
        if token not in sent:
            assert token not in text, f"the answer shows {token!r} of account B: {text}"
    for arn in ARN.findall(text):
        arn = arn.rstrip(".)")
        parts = arn.split(":")
        if arn in sent or len(parts) < 6:
            continue
        assert parts[4] in ("", caller.account) and parts[3] in ("", caller.region), f"the answer shows {arn}: {text}"


def perform(caller: Caller, op: str, call: Call, b, world: World, expected) -> None:
    own = Own(caller, b)
    try:
        own.make(call.own)
        params = call.params(b, own)
        if caller.service == "codestar-connections" and any(
            k in ("HostArn", "HostArnFilter") and ":codeconnections:" in v for k, v in params.items()
        ):
            return  # that endpoint's HostArn pattern takes only its own prefix (FACTS 1.9): a ValidationException
        method = getattr(caller.client, spec.xform_name(op))
        try:
            answer = method(**params)
        except ClientError as e:
            error = e.response["Error"]
            assert expected is not None, f"{op}({params}) failed: {error}"
            assert error["Code"] == expected, f"{op}({params}): {error}"
            svc = spec.services()[caller.service]
            assert expected in svc.operations[op].errors, f"{op} does not model {expected}"
            assert e.response["ResponseMetadata"]["HTTPStatusCode"] == svc.status_for(expected)
            assert error["Message"]
            assert_nothing_of_b(error, params, caller, world)
        else:
            assert expected is None, f"{op}({params}) succeeded: {answer}"
            answer = strip(answer)
            assert_nothing_of_b(answer, params, caller, world)
            if call.check is not None:
                call.check(answer, caller)
            if call.undo is not None:
                call.undo(caller.client, params)
    finally:
        own.remove()


def resources_of(world: World, service: str) -> list:
    return [world.codestar] if service == "codestar" else list(world.sides.values())


# -- the sweeps --------------------------------------------------------------------------------------------------------
def test_the_sweep_covers_every_operation():
    total = 0
    for name, svc in spec.services().items():
        calls, exempt = table(name)
        ops = set(svc.operations)
        assert set(calls) | set(exempt) == ops, f"{name}: no row for {sorted(ops - set(calls) - set(exempt))}"
        assert not set(calls) & set(exempt)
        assert all(calls[op] for op in calls)
        total += len(ops)
        # From another region: every operation either names a regional resource or is listed as global.
        regional = {op for op, cs in calls.items() if any(c.away_answer() != SKIP for c in cs)}
        assert regional | (set(AWAY_GLOBAL) & ops) | set(exempt) == ops
        assert not regional & set(AWAY_GLOBAL)
    assert total == 72
    assert len(sweep()) == 27 + 27 + 27 + 18 - 3  # CreateHost on each connection endpoint


@pytest.mark.parametrize(("transport", "service", "op"), sweep())
def test_another_account_gets_nothing(server, world, cbor_models, transport, service, op):
    calls, _ = table(service)
    assert op in calls, f"{service}.{op} has no row in the isolation table"
    caller = Caller(server, transport, service, new_account(world.account), HOME, cbor_models)
    for b in resources_of(world, service):
        for call in calls[op]:
            perform(caller, op, call, b, world, call.error)
    world.assert_unchanged()


@pytest.mark.parametrize(("transport", "service", "op"), sweep(away=True))
def test_another_region_gets_no_regional_resource(server, world, cbor_models, transport, service, op):
    """B's own account in another region: hosts, repository links, sync configurations and projects are regional."""
    calls, _ = table(service)
    caller = Caller(server, transport, service, world.account, AWAY, cbor_models)
    for b in resources_of(world, service):
        for call in calls[op]:
            expected = call.away_answer()
            if expected != SKIP:
                perform(caller, op, call, b, world, expected)
    world.assert_unchanged()


@pytest.mark.parametrize(("transport", "service"), [p for p in TRANSPORTS if p[1] != "codestar"], ids=lambda v: v)
def test_global_resources_from_another_region(server, world, cbor_models, transport, service):
    """Connections are global: B reads, lists, tags and deletes them from any region (AWS forwards writes to the
    home region); a link in another region may use them."""
    away = Caller(server, transport, service, world.account, AWAY, cbor_models).client
    home = world.clients[service]
    assert strip(away.list_connections()) == strip(home.list_connections())
    for s in world.sides.values():
        for arn in (s.connection, s.host_connection):
            assert strip(away.get_connection(ConnectionArn=arn)) == strip(home.get_connection(ConnectionArn=arn))
            assert strip(away.list_tags_for_resource(ResourceArn=arn)) == strip(home.list_tags_for_resource(ResourceArn=arn))
        if service == "codeconnections" or s.prefix == service:
            listed = away.list_connections(HostArnFilter=s.host)["Connections"]
            assert [c["ConnectionArn"] for c in listed] == [s.host_connection]
        link = away.create_repository_link(ConnectionArn=s.connection, OwnerId=OWNER, RepositoryName=REPO)["RepositoryLinkInfo"]
        assert link["RepositoryLinkArn"].split(":")[3] == AWAY
        away.delete_repository_link(RepositoryLinkId=link["RepositoryLinkId"])
    # Writes from another region, on a connection of B's made for this test.
    arn = home.create_connection(ProviderType="GitLab", ConnectionName="b-extra")["ConnectionArn"]
    away.tag_resource(ResourceArn=arn, Tags=[{"Key": "from", "Value": AWAY}])
    assert home.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "from", "Value": AWAY}]
    away.untag_resource(ResourceArn=arn, TagKeys=["from"])
    assert home.list_tags_for_resource(ResourceArn=arn)["Tags"] == []
    away.delete_connection(ConnectionArn=arn)
    with pytest.raises(ClientError) as e:
        home.get_connection(ConnectionArn=arn)
    assert e.value.response["Error"]["Code"] == RNF
    world.assert_unchanged()


def test_user_profiles_from_another_region(server, world):
    away = server.client("codestar", account=world.account, region=AWAY)
    home = world.clients["codestar"]
    profile = world.codestar.profile
    assert strip(away.describe_user_profile(userArn=profile)) == strip(home.describe_user_profile(userArn=profile))
    assert strip(away.list_user_profiles()) == strip(home.list_user_profiles())
    with pytest.raises(ClientError) as e:
        away.create_user_profile(userArn=profile, displayName="again", emailAddress="again@b.example.com")
    assert e.value.response["Error"]["Code"] == "UserProfileAlreadyExistsException"
    world.assert_unchanged()


def test_team_members_of_another_account_are_not_counted(server, world):
    """A user's projects in B's account do not count towards the 10 it may belong to in A's."""
    a = server.client("codestar", account=new_account(world.account))
    for n in range(10):
        a.create_project(name="p", id=f"a-proj-{n}")
        if n:
            a.associate_team_member(projectId=f"a-proj-{n}", userArn=world.codestar.member, projectRole="Viewer")
    a.associate_team_member(projectId="a-proj-0", userArn=world.codestar.member, projectRole="Viewer")
    world.assert_unchanged()


# -- the control API ---------------------------------------------------------------------------------------------------
@pytest.fixture
def fresh_world(server) -> World:
    """A world of the test's own, for control calls that may change B's resources when they are wrong."""
    return World(server)


def own_things(server, account: str) -> dict:
    """A few resources of account A in HOME, named like B's."""
    c = server.client("codeconnections", account=account)
    connection = c.create_connection(ProviderType="GitHub", ConnectionName="b-conn")["ConnectionArn"]
    host = c.create_host(Name="b-host-cc", ProviderType="GitHubEnterpriseServer", ProviderEndpoint="https://a.example.com")["HostArn"]
    link = c.create_repository_link(ConnectionArn=connection, OwnerId=OWNER, RepositoryName=REPO)["RepositoryLinkInfo"]
    c.create_sync_configuration(**sync_configuration(account, link["RepositoryLinkId"], "b-stack-cc"))
    cs = server.client("codestar", account=account)
    cs.create_project(name="A", id="b-proj")
    cs.create_user_profile(userArn=user(account, "b-dev"), displayName="A", emailAddress="a@a.example.com")
    return {"client": c, "codestar": cs, "connection": connection, "host": host, "link": link["RepositoryLinkId"]}


def items_of(server, account: str) -> list:
    status, snapshot = control(server, "state", method="GET")
    assert status == 200
    return sorted((i for i in snapshot["items"] if i["account"] == account), key=lambda i: (i["kind"], i["id"]))


def test_reset_of_one_account_leaves_the_other(server, fresh_world):
    b = fresh_world
    a = new_account(b.account)
    mine = own_things(server, a)
    before = items_of(server, b.account)
    assert control(server, "reset", {"AccountId": a}) == (200, {"reset": True, "AccountId": a})
    assert mine["client"].list_connections()["Connections"] == []
    assert mine["codestar"].list_projects()["projects"] == []
    assert items_of(server, a) == []
    # B's items are all there, as they were: every kind, sync history and memberships included.
    assert items_of(server, b.account) == before
    b.assert_unchanged()


def test_sync_push_and_blockers_stay_in_the_named_account(server, fresh_world):
    b = fresh_world
    a = new_account(b.account)
    s = b.sides["codeconnections"]
    # B's link and stack named with A's account, or with B's account and another region: not found.
    for scope in ({"AccountId": a}, {"AccountId": b.account, "Region": AWAY}, {"AccountId": a, "Region": HOME}):
        status, out = control(server, "sync/push", {"RepositoryLinkId": s.link_id, "Branch": "main", "DurationSeconds": 0, **scope})
        assert (status, out["error"]["code"]) == (404, "NotFound"), out
        status, out = control(server, "sync/blockers", {"ResourceName": s.config, "Reason": "mallory", "Region": HOME, **scope})
        assert (status, out["error"]["code"]) == (404, "NotFound"), out
    b.assert_unchanged()
    # A push to A's own link, and a blocker on A's own configuration of B's stack name, stay in A.
    mine = own_things(server, a)
    status, out = control(server, "sync/push", {"RepositoryLinkId": mine["link"], "Branch": "main", "DurationSeconds": 0, "AccountId": a})
    assert status == 200 and out["AccountId"] == a and [r["ResourceName"] for r in out["Resources"]] == [s.config]
    status, out = control(server, "sync/blockers", {"ResourceName": s.config, "AccountId": a, "Region": HOME})
    assert status == 200
    summary = mine["client"].get_sync_blocker_summary(ResourceName=s.config, SyncType=STACK_SYNC)["SyncBlockerSummary"]
    assert [x["Id"] for x in summary["LatestBlockers"]] == [out["SyncBlocker"]["Id"]]
    b.assert_unchanged()


def test_request_log_per_account(server, world):
    a = new_account(world.account)
    client = server.client("codeconnections", account=a)
    client.list_connections()
    with pytest.raises(ClientError):
        client.get_connection(ConnectionArn=world.sides["codeconnections"].connection)
    status, out = control(server, "requests?" + urllib.parse.urlencode({"account": a, "limit": 200}), method="GET")
    assert status == 200
    assert [(r["operation"], r["status"]) for r in out["requests"]] == [("GetConnection", 404), ("ListConnections", 200)]
    world.clients["codeconnections"].list_hosts()
    status, out = control(server, "requests?" + urllib.parse.urlencode({"account": world.account, "limit": 200}), method="GET")
    assert status == 200 and out["requests"] and {r["account"] for r in out["requests"]} == {world.account}


# Each action on a resource of B's that it would change (a handshake needs the connection's host set up first).
ACTIONS = {
    "connections/handshake": lambda s: {"ConnectionArn": s.host_connection},
    "connections/status": lambda s: {"ConnectionArn": s.connection, "ConnectionStatus": "ERROR"},
    "hosts/setup": lambda s: {"HostArn": s.host},
    "hosts/status": lambda s: {"HostArn": s.host, "Status": "VPC_CONFIG_DELETING", "StatusMessage": "mallory"},
}


def prepare(server, b: World, action: str) -> Side:
    s = b.sides["codeconnections"]
    if action == "connections/handshake":
        assert control(server, "hosts/setup", {"HostArn": s.host})[0] == 200
        b.baseline = b.observe()
    return s


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_console_actions_change_only_the_named_resource(server, fresh_world, action):
    """The connection and host actions find a resource by its ARN, in any account (docs/CONSOLE.md): A's look-alikes
    of B's resources stay as they are, and so do B's other resources."""
    b = fresh_world
    a = new_account(b.account)
    mine = own_things(server, a)
    c = mine["client"]
    before = (strip(c.get_connection(ConnectionArn=mine["connection"])), strip(c.get_host(HostArn=mine["host"])))
    s = prepare(server, b, action)
    status, out = control(server, action, ACTIONS[action](s))
    assert status == 200, out
    assert (strip(c.get_connection(ConnectionArn=mine["connection"])), strip(c.get_host(HostArn=mine["host"]))) == before
    # B's resources of the other prefix are untouched (the account-wide lists show the named one, changed on purpose).
    after = b.observe()
    lists = ("connection list", "host list")
    assert {k: v for k, v in after["codestar-connections"].items() if k not in lists} == \
        {k: v for k, v in b.baseline["codestar-connections"].items() if k not in lists}
    assert after["codestar"] == b.baseline["codestar"]


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_console_actions_with_another_account_id_change_nothing(server, fresh_world, action):
    b = fresh_world
    a = new_account(b.account)
    status, out = control(server, action, {**ACTIONS[action](prepare(server, b, action)), "AccountId": a})
    assert status == 404 and out["error"]["code"] == "ResourceNotFound", out
    b.assert_unchanged()
