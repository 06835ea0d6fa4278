"""Every operation of the three models, fuzzed over raw HTTP with inputs drawn from the models (issue 10).

For each of the 72 operations (codeconnections over JSON 1.0 and over CBOR), two properties:

- valid inputs (shapes.Shapes.valid): the answer is a 200 whose body fits the output shape, or an error the
  operation models; never a SerializationException nor a model-constraint ValidationException
  ("N validation errors detected"), since the input satisfies the model;
- mutated inputs (shapes.Shapes.mutations): wrong types, lengths and values out of range, broken patterns and
  enums, nulls, unknown members, nesting 100+ deep, random bytes, other encodings and content types; where the
  breakage decides the answer (a wrong type is a SerializationException, a broken constraint a ValidationException)
  it must be that one.

Always: no 5xx (a 501 NotImplementedException included), the content type of the protocol and a body it decodes,
an error code the operation models or one of FRAMEWORK_ERRORS, with its status and (JSON) x-amzn-ErrorType.

Ids are realistic: each example runs in an account of its own, and id members are drawn from the model, from a
small world of that account (a host, two connections, a repository link, a sync configuration with an ACTIVE
blocker after a failed sync; a CodeStar project, profile and team member; made on first use), or from the same
world of another account. A request naming another account's resource must not succeed (but for a List filter),
and no answer may carry that account's ids.
"""

from __future__ import annotations

import itertools
import json
import re
import urllib.request

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapes import Hint, Shapes, conforms, hints_in, resolve
from spine_http import CBOR_PATH, JSON_10, JSON_11, TARGET_PREFIX, authorization, call, send

from codestar_local import spec
from codestar_local.errors import FRAMEWORK

SERVICES = spec.services()
# Framework errors an answer may carry whatever the operation models. The requests always name a valid target and
# a SigV4 scope of the right service, so routing and signature errors (UnknownOperationException,
# InvalidSignatureException, IncompleteSignatureException) would be bugs here; tests/api/test_hostile.py covers them.
FRAMEWORK_ERRORS = {
    "ValidationException": "a value breaks the model's constraints (Coral validation)",
    "SerializationException": "the body does not decode, or a value has the wrong type",
}
# Errors an operation does not model that the server answers by a documented choice: (operation, code) -> where.
DOCUMENTED_UNMODELLED = {
    ("CreateHost", "UnsupportedProviderTypeException"): "docs/BEHAVIOUR.md, Hosts: a cloud provider type (FACTS 3.16)",
}
CONSTRAINT_MESSAGE = re.compile(r"\d+ validation errors? detected: ")
# One foreign account per service: the two connection endpoints share their store (one product, two prefixes).
FOREIGN_ACCOUNTS = {"codestar-connections": "999999999991", "codeconnections": "999999999992", "codestar": "999999999993"}
# Operations that may succeed while naming another account's resource: a filter that then matches nothing.
FOREIGN_OK = {"ListConnections"}
CONNECTION_HINTS = {"ConnectionArn": True, "HostArn": True, "HostArnFilter": True, "ResourceArn": True,
                    "RepositoryLinkId": True, "ResourceName": False, "Id": False, "Branch": False}
CODESTAR_HINTS = {"id": False, "projectId": False, "userArn": False}
ACCOUNTS = itertools.count(100_000_000_000)


def transports(service: str) -> tuple:
    return ("json", "cbor") if SERVICES[service].supports_cbor else ("json",)


CASES = [(s, t, op) for s in SERVICES for t in transports(s) for op in SERVICES[s].operations]
IDS = [f"{s}-{t}-{op}" for s, t, op in CASES]


@pytest.fixture(scope="module")
def shapes_for():
    cache: dict = {}

    def get(service: str, transport: str) -> Shapes:
        if (service, transport) not in cache:
            hints = CODESTAR_HINTS if service == "codestar" else CONNECTION_HINTS
            cache[service, transport] = Shapes(SERVICES[service], transport, hints)
        return cache[service, transport]

    return get


# -- the world an example runs in ----------------------------------------------
def _ok(reply) -> dict:
    assert reply.status == 200, reply
    return reply.document()


def user_arn(account: str) -> str:
    return f"arn:aws:iam::{account}:user/fuzzer"


class World:
    """The resources of one account that id members are drawn from, made on first use (most examples need few)."""

    def __init__(self, endpoint: str, service: str, account: str):
        self.endpoint, self.service, self.account = endpoint, service, account
        self.made: dict = {}

    def op(self, name: str, params: dict) -> dict:
        content_type = JSON_11 if self.service == "codestar" else JSON_10
        return _ok(call(self.endpoint, self.service, name, params, account=self.account, content_type=content_type))

    def once(self, part: str):
        if part not in self.made:
            self.made[part] = getattr(self, f"_make_{part}")()
        return self.made[part]

    # connections, hosts, links, sync configurations (both connection endpoints)
    def _make_host(self):
        return self.op("CreateHost", {"Name": "fuzzhost", "ProviderType": "GitHubEnterpriseServer",
                                      "ProviderEndpoint": "https://ghe.example.com"})["HostArn"]

    def _make_connections(self):
        github = self.op("CreateConnection", {"ConnectionName": "fuzz", "ProviderType": "GitHub", "Tags": [{"Key": "k", "Value": "v"}]})
        hosted = self.op("CreateConnection", {"ConnectionName": "fuzz-hosted", "HostArn": self.once("host")})
        return [github["ConnectionArn"], hosted["ConnectionArn"]]

    def _make_link(self):
        return self.op("CreateRepositoryLink", {"ConnectionArn": self.once("connections")[0], "OwnerId": "octo",
                                                "RepositoryName": "infra"})["RepositoryLinkInfo"]

    def _make_blocker(self):
        link_id = self.once("link")["RepositoryLinkId"]
        self.op("CreateSyncConfiguration", {"Branch": "main", "ConfigFile": "deploy/stack.yaml", "RepositoryLinkId": link_id,
                                            "ResourceName": "fuzzstack", "RoleArn": f"arn:aws:iam::{self.account}:role/sync",
                                            "SyncType": "CFN_STACK_SYNC"})
        # A failed sync: sync status for the link and the stack, and an ACTIVE blocker.
        req = urllib.request.Request(f"{self.endpoint}/_codestar-local/sync/push", method="POST", data=json.dumps(
            {"RepositoryLinkId": link_id, "Branch": "main", "Outcome": "FAILED", "DurationSeconds": 0}).encode())
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())["Resources"][0]["BlockerId"]

    # CodeStar
    def _make_project(self):
        self.op("CreateProject", {"name": "Fuzz", "id": "fuzz-project", "tags": {"k": "v"}})
        return "fuzz-project"

    def _make_member(self):
        self.op("CreateUserProfile", {"userArn": user_arn(self.account), "displayName": "Fuzz", "emailAddress": "fuzz@example.com"})
        self.op("AssociateTeamMember", {"projectId": self.once("project"), "userArn": user_arn(self.account), "projectRole": "Contributor"})
        return user_arn(self.account)

    def values(self, member: str) -> list:
        if member in ("HostArn", "HostArnFilter"):
            return [self.once("host")]
        if member == "ConnectionArn":
            return self.once("connections")
        if member == "RepositoryLinkId":
            return [self.once("link")["RepositoryLinkId"]]
        if member == "ResourceArn":
            return [*self.once("connections"), self.once("host"), self.once("link")["RepositoryLinkArn"]]
        if member == "Id":
            return [self.once("blocker")]
        if member in ("ResourceName", "Branch"):
            self.once("blocker")
            return ["fuzzstack"] if member == "ResourceName" else ["main"]
        if member in ("id", "projectId"):
            return [self.once("project")]
        if member == "userArn":
            return [self.once("member")]
        raise KeyError(member)

    def everything(self) -> "World":
        for member in (CODESTAR_HINTS if self.service == "codestar" else CONNECTION_HINTS):
            self.values(member)
        return self

    def ids(self) -> set[str]:
        """Its own ids (names like "main" or "fuzzstack" are in every world)."""
        found = {v for member in (CODESTAR_HINTS if self.service == "codestar" else CONNECTION_HINTS) for v in self.values(member)}
        return {v for v in found if self.account in v or v == self.made.get("blocker") or v == self.made.get("link", {}).get("RepositoryLinkId")}


@pytest.fixture(scope="module")
def foreign_worlds(fuzz_server):
    """Per service, a complete world of another account (one for the module; the examples must never change it)."""
    cache: dict = {}

    def get(service: str) -> World:
        if service not in cache:
            cache[service] = World(fuzz_server.endpoint_url, service, FOREIGN_ACCOUNTS[service]).everything()
        return cache[service]

    return get


# -- one request, and what its answer must be ------------------------------------
def send_request(endpoint: str, service: str, transport: str, operation: str, account: str, body: bytes, content_type=None):
    if transport == "cbor":
        headers = [("Content-Type", "application/cbor"), ("Accept", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor"),
                   ("X-Amz-Date", "20260101T000000Z"), ("Authorization", authorization(account, service="codeconnections"))]
        path = CBOR_PATH.format(operation)
    else:
        headers = [("Content-Type", JSON_11 if service == "codestar" else JSON_10), ("X-Amz-Target", f"{TARGET_PREFIX[service]}.{operation}"),
                   ("X-Amz-Date", "20260101T000000Z"), ("Authorization", authorization(account, service=service))]
        path = "/"
    if content_type is not None:
        headers = [h for h in headers if h[0] != "Content-Type"] + ([("Content-Type", content_type)] if content_type else [])
    return send(endpoint, "POST", path, headers, body)


def check_answer(reply, service: str, transport: str, operation: str, *, expect=frozenset(), valid=False,
                 foreign_named=False, foreign=frozenset()):
    svc = SERVICES[service]
    op = svc.operations[operation]
    assert reply.status < 500, f"server error: {reply}"
    content_type = "application/cbor" if transport == "cbor" else svc.json_content_type
    assert reply.headers.get("content-type") == content_type, reply
    assert "x-amzn-requestid" in reply.headers, reply
    try:
        document = cbor2.loads(reply.body) if transport == "cbor" else json.loads(reply.body)
    except ValueError as e:
        raise AssertionError(f"the body does not decode as {content_type}: {reply}") from e
    assert type(document) is dict, reply
    if reply.status == 200:
        assert not expect, f"expected one of {sorted(expect)}, got a 200: {reply}"
        problems = conforms(svc.shapes, op.output_shape, document) if op.output_shape else ([] if not document else ["a body for no output"])
        assert not problems, f"the output does not fit {op.output_shape}: {problems}: {reply}"
        assert not (foreign_named and operation not in FOREIGN_OK), f"{operation} naming another account's resource succeeded: {reply}"
        leaked = [i for i in foreign if i.encode() in reply.body]
        assert not leaked, f"another account's ids in the answer: {leaked}: {reply}"
        return None
    assert isinstance(document.get("__type"), str), reply
    code = document["__type"].rsplit("#", 1)[-1]
    assert code in op.errors or code in FRAMEWORK_ERRORS or (operation, code) in DOCUMENTED_UNMODELLED, f"{code} is neither modelled for {operation} nor a framework error: {reply}"
    status = FRAMEWORK[code][1] if code in FRAMEWORK else svc.status_for(code)
    assert reply.status == status, f"{code} with status {reply.status}, not {status}: {reply}"
    if transport == "json":
        assert reply.headers.get("x-amzn-errortype") == code, reply
    if expect:
        assert code in expect, f"expected one of {sorted(expect)}, got {code}: {reply}"
    if valid:
        assert code != "SerializationException", f"a valid input was not understood: {reply}"
        message = document.get("message") or ""
        assert not (code == "ValidationException" and CONSTRAINT_MESSAGE.match(message)), f"a valid input broke the model: {reply}"
    return code


def filler(data, world: World, foreign_world: World):
    def fill(hint: Hint):
        source = foreign_world if hint.foreign else world
        return data.draw(st.sampled_from(source.values(hint.member)), label=f"{hint.member}{' (foreign)' if hint.foreign else ''}")

    return fill


# -- the properties --------------------------------------------------------------
def test_every_operation_is_fuzzed():
    covered = {(s, op) for s, _, op in CASES}
    assert covered == {(s, op) for s, svc in SERVICES.items() for op in svc.operations}
    assert len(covered) == 72
    assert {(s, t) for s, t, _ in CASES} == {("codestar-connections", "json"), ("codeconnections", "json"), ("codeconnections", "cbor"),
                                             ("codestar", "json")}


@pytest.mark.parametrize("service,transport,operation", CASES, ids=IDS)
@given(data=st.data())
def test_valid_inputs(fuzz_server, shapes_for, foreign_worlds, service, transport, operation, data):
    shapes = shapes_for(service, transport)
    account = f"{next(ACCOUNTS):012d}"
    world = World(fuzz_server.endpoint_url, service, account)
    foreign = foreign_worlds(service)
    document = data.draw(shapes.valid(SERVICES[service].operations[operation].input_shape), label="input")
    hints = hints_in(document)
    body = shapes.encode(resolve(document, filler(data, world, foreign)))
    reply = send_request(fuzz_server.endpoint_url, service, transport, operation, account, body)
    check_answer(reply, service, transport, operation, valid=True, foreign_named=any(h.foreign for h in hints),
                 foreign=foreign.ids())


@pytest.mark.parametrize("service,transport,operation", CASES, ids=IDS)
@given(data=st.data())
def test_mutated_inputs(fuzz_server, shapes_for, foreign_worlds, service, transport, operation, data):
    shapes = shapes_for(service, transport)
    account = f"{next(ACCOUNTS):012d}"
    world = World(fuzz_server.endpoint_url, service, account)
    foreign = foreign_worlds(service)
    mutation = data.draw(shapes.mutations(SERVICES[service].operations[operation].input_shape), label="mutation")
    hints = hints_in(mutation.document)
    body, expect = shapes.request_body(mutation, filler(data, world, foreign))
    reply = send_request(fuzz_server.endpoint_url, service, transport, operation, account, body, mutation.content_type)
    check_answer(reply, service, transport, operation, expect=expect, foreign_named=any(h.foreign for h in hints),
                 foreign=foreign.ids())

