"""The error wire format, checked on raw HTTP: headers, __type, message, status, content type."""

from __future__ import annotations

import json
import re

import cbor2
import pytest
from spine_http import (
    BARE_PREFIX,
    ERROR_NAMESPACE,
    JSON_10,
    TARGET_PREFIX,
    authorization,
    call,
    cbor_call,
    send,
    status_of,
)

REQUEST_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
CORAL = {
    "ValidationException": "com.amazon.coral.validate",
    "SerializationException": "com.amazon.coral.service",
    "UnknownOperationException": "com.amazon.coral.service",
    "InvalidSignatureException": "com.amazon.coral.service",
    "IncompleteSignatureException": "com.amazon.coral.service",
}


def missing_connection(service, account):
    return f"arn:aws:{service}:us-east-1:{account}:connection/6f1c1d0e-8f55-4a52-9f1d-0c8e2b7a1a11"


def new_host(url, service, account, endpoint="https://h"):
    reply = call(url, service, "CreateHost", {"Name": "h", "ProviderType": "GitHubEnterpriseServer", "ProviderEndpoint": endpoint}, account)
    assert reply.status == 200, reply
    return reply.document()["HostArn"]


def endpoint_conflict(url, service, account):
    new_host(url, service, account, "https://one")
    second = new_host(url, service, account, "https://two")
    return call(url, service, "UpdateHost", {"HostArn": second, "ProviderEndpoint": "https://one"}, account)


def host_in_use(url, service, account):
    host = new_host(url, service, account)
    assert call(url, service, "CreateConnection", {"ConnectionName": "c", "HostArn": host}, account).status == 200
    return call(url, service, "DeleteHost", {"HostArn": host}, account)


# name -> (request maker(url, service, account) -> Reply, expected code)
CASES = {
    "not-found": (lambda u, s, a: call(u, s, "GetConnection", {"ConnectionArn": missing_connection(s, a)}, a), "ResourceNotFoundException"),
    "not-found-host": (
        lambda u, s, a: call(u, s, "GetHost", {"HostArn": f"arn:aws:{s}:us-east-1:{a}:host/x-0123abcd"}, a),
        "ResourceNotFoundException",
    ),
    "validation": (lambda u, s, a: call(u, s, "GetConnection", {}, a), "ValidationException"),
    "hosted-provider": (
        lambda u, s, a: call(u, s, "CreateConnection", {"ConnectionName": "c", "ProviderType": "GitLabSelfManaged"}, a),
        "ValidationException",
    ),
    "serialization": (lambda u, s, a: call(u, s, "GetConnection", b'{"ConnectionArn": ', a), "SerializationException"),
    "wrong-type": (lambda u, s, a: call(u, s, "ListConnections", {"MaxResults": "ten"}, a), "SerializationException"),
    "unknown-operation": (lambda u, s, a: call(u, s, "DescribeConnection", {}, a), "UnknownOperationException"),
    "wrong-scope": (
        lambda u, s, a: call(u, s, "ListConnections", {}, a, scope_service="codeconnections" if s != "codeconnections" else "codestar-connections"),
        "InvalidSignatureException",
    ),
    "garbage-authorization": (
        lambda u, s, a: call(u, s, "ListConnections", {}, a, extra={"Authorization": "Bearer abc"}),
        "IncompleteSignatureException",
    ),
    "unsupported-provider": (
        lambda u, s, a: call(u, s, "CreateHost", {"Name": "h", "ProviderType": "GitHub", "ProviderEndpoint": "https://h"}, a),
        "UnsupportedProviderTypeException",
    ),
    "unavailable-host": (
        lambda u, s, a: call(u, s, "CreateConnection", {"ConnectionName": "c", "HostArn": f"arn:aws:{s}:us-east-1:{a}:host/x-0123abcd"}, a),
        "ResourceUnavailableException",
    ),
    "tag-limit": (
        lambda u, s, a: call(
            u, s, "CreateConnection", {"ConnectionName": "c", "ProviderType": "GitHub", "Tags": [{"Key": f"k{i}", "Value": "v"} for i in range(51)]}, a
        ),
        "LimitExceededException",
    ),
    "conflict": (endpoint_conflict, "ConflictException"),
    "host-in-use": (host_in_use, "ResourceUnavailableException"),
}


def check_error(reply, service, code):
    """The shared rules for every JSON error answer."""
    assert reply.headers.get("x-amzn-errortype") == code, reply
    document = json.loads(reply.body)
    namespace = CORAL.get(code, ERROR_NAMESPACE[service])
    assert document["__type"] == f"{namespace}#{code}", document
    assert document["__type"].rsplit("#", 1)[-1] == reply.headers["x-amzn-errortype"]
    if code == "UnknownOperationException":
        # As Coral answers it: no message (FACTS 4.8, docs/BEHAVIOUR.md).
        assert "message" not in document
    else:
        assert isinstance(document["message"], str) and document["message"]
    if namespace == ERROR_NAMESPACE[service]:
        # Modelled errors also fill the model's `Message` member.
        assert document["Message"] == document["message"]
    assert reply.headers["content-type"] == JSON_10
    assert REQUEST_ID.fullmatch(reply.headers["x-amzn-requestid"])
    return document


@pytest.mark.parametrize("case", sorted(CASES))
def test_error_answer(server, service, account, case):
    make, code = CASES[case]
    reply = make(server.endpoint_url, service, account)
    if code in CORAL:
        # Framework errors have fixed statuses.
        assert reply.status == 400, reply
    else:
        assert reply.status == status_of(service, code), reply
    check_error(reply, service, code)


def test_status_codes_differ_by_service(server, account):
    old = call(server.endpoint_url, "codestar-connections", "GetConnection", {"ConnectionArn": missing_connection("codestar-connections", account)}, account)
    new = call(server.endpoint_url, "codeconnections", "GetConnection", {"ConnectionArn": missing_connection("codeconnections", account)}, account)
    assert (old.status, new.status) == (400, 404)


def test_success_answers(server, service, account):
    created = call(server.endpoint_url, service, "CreateConnection", {"ConnectionName": "ok", "ProviderType": "GitHub"}, account)
    assert created.status == 200
    assert created.headers["content-type"] == JSON_10
    assert "x-amzn-errortype" not in created.headers
    arn = created.document()["ConnectionArn"]
    got = call(server.endpoint_url, service, "GetConnection", {"ConnectionArn": arn}, account)
    deleted = call(server.endpoint_url, service, "DeleteConnection", {"ConnectionArn": arn}, account)
    assert deleted.status == 200 and deleted.document() == {}
    ids = [r.headers["x-amzn-requestid"] for r in (created, got, deleted)]
    assert all(REQUEST_ID.fullmatch(i) for i in ids)
    assert len(set(ids)) == 3


@pytest.mark.parametrize(
    "body",
    [b"{", b"{]", b'{"ConnectionArn": "x",}', b"[]", b'"string"', b"42", b"null", b"\xff\xfe{}", b'{"a": NaN}', b"{}{}"],
    ids=["open", "mismatched", "trailing-comma", "array", "string", "number", "null", "bad-utf8", "nan", "two-documents"],
)
def test_malformed_json(server, service, account, body):
    reply = call(server.endpoint_url, service, "GetConnection", body, account)
    assert reply.status == 400
    check_error(reply, service, "SerializationException")


def test_empty_body_is_empty_input(server, service, account):
    reply = call(server.endpoint_url, service, "ListConnections", b"", account)
    assert reply.status == 200 and reply.document() == {"Connections": []}


@pytest.mark.parametrize(
    "target",
    [
        "{prefix}.NoSuchOperation",
        "{prefix}.",
        "{prefix}",
        "com.example.Bogus_20200101.ListConnections",
        "ListConnections",
        "",
        "{prefix}.listConnections",
        "{prefix}.ListConnections.",
    ],
)
def test_unknown_target(server, service, account, target):
    reply = call(server.endpoint_url, service, "ListConnections", {}, account, target=target.format(prefix=TARGET_PREFIX[service]))
    assert reply.status == 400
    check_error(reply, service, "UnknownOperationException")


def test_missing_target(server, service, account):
    headers = {"Content-Type": JSON_10, "Authorization": authorization(account, service=service)}
    reply = send(server.endpoint_url, "POST", "/", headers, b"{}")
    assert reply.status == 400
    check_error(reply, service, "UnknownOperationException")


def test_wrong_scope_service_names_the_right_one(server, account):
    reply = call(server.endpoint_url, "codeconnections", "ListConnections", {}, account, scope_service="codestar-connections")
    check_error(reply, "codeconnections", "InvalidSignatureException")
    assert "'codeconnections'" in reply.document()["message"]
    reply = call(server.endpoint_url, "codestar-connections", "ListHosts", {}, account, scope_service="codestar")
    check_error(reply, "codestar-connections", "InvalidSignatureException")
    assert "'codestar-connections'" in reply.document()["message"]


def test_both_target_forms(server, service, account):
    """boto3 sends the namespaced target, the JS SDK v3 the bare one; each reads what the other wrote."""
    url = server.endpoint_url
    namespaced = f"{TARGET_PREFIX[service]}.CreateConnection"
    bare = f"{BARE_PREFIX[service]}.CreateConnection"
    a = call(url, service, "CreateConnection", {"ConnectionName": "a", "ProviderType": "GitHub"}, account, target=namespaced)
    b = call(url, service, "CreateConnection", {"ConnectionName": "b", "ProviderType": "GitHub"}, account, target=bare)
    assert a.status == b.status == 200
    arn_a, arn_b = a.document()["ConnectionArn"], b.document()["ConnectionArn"]
    assert arn_a.startswith(f"arn:aws:{service}:") and arn_b.startswith(f"arn:aws:{service}:")
    got = call(url, service, "GetConnection", {"ConnectionArn": arn_a}, account, target=f"{BARE_PREFIX[service]}.GetConnection")
    assert got.status == 200 and got.document()["Connection"]["ConnectionName"] == "a"
    listed = call(url, service, "ListConnections", {}, account, target=f"{BARE_PREFIX[service]}.ListConnections").document()
    assert [c["ConnectionArn"] for c in listed["Connections"]] == [arn_a, arn_b]
    # Errors look the same whichever form asked.
    missing = missing_connection(service, account)
    reply = call(url, service, "GetConnection", {"ConnectionArn": missing}, account, target=f"{BARE_PREFIX[service]}.GetConnection")
    check_error(reply, service, "ResourceNotFoundException")


def test_cbor_errors(server, account):
    reply = cbor_call(server.endpoint_url, "GetConnection", {"ConnectionArn": missing_connection("codeconnections", account)}, account)
    assert reply.status == 404
    assert reply.headers["content-type"] == "application/cbor"
    assert reply.headers["smithy-protocol"] == "rpc-v2-cbor"
    assert REQUEST_ID.fullmatch(reply.headers["x-amzn-requestid"])
    document = cbor2.loads(reply.body)
    assert document["__type"] == "com.amazonaws.codeconnections#ResourceNotFoundException"
    assert document["message"]

    reply = cbor_call(server.endpoint_url, "GetConnection", body=b"\xff\x00garbage", account=account)
    assert reply.status == 400 and cbor2.loads(reply.body)["__type"] == "com.amazon.coral.service#SerializationException"
    reply = cbor_call(server.endpoint_url, "GetConnection", {}, account)
    assert reply.status == 400 and cbor2.loads(reply.body)["__type"] == "com.amazon.coral.validate#ValidationException"


def test_cbor_success(server, account):
    created = cbor_call(server.endpoint_url, "CreateConnection", {"ConnectionName": "cbor", "ProviderType": "GitLab"}, account)
    assert created.status == 200 and created.headers["content-type"] == "application/cbor"
    arn = cbor2.loads(created.body)["ConnectionArn"]
    assert arn.startswith("arn:aws:codeconnections:")
    # The JSON endpoints see it too.
    got = call(server.endpoint_url, "codestar-connections", "GetConnection", {"ConnectionArn": arn}, account)
    assert got.document()["Connection"]["ProviderType"] == "GitLab"


def test_unknown_operation_of_codestar_answers_in_json_1_1(server, account):
    """CodeStar speaks JSON 1.1: its errors carry that content type and the bare error name."""
    reply = call(
        server.endpoint_url, "codestar-connections", None, {}, account,
        target="CodeStar_20170419.NoSuchOperation", scope_service="codestar", content_type="application/x-amz-json-1.1",
    )
    assert reply.status == 400
    assert reply.headers["content-type"] == "application/x-amz-json-1.1"
    assert reply.headers["x-amzn-errortype"] == "UnknownOperationException"
    assert json.loads(reply.body) == {"__type": "UnknownOperationException"}
