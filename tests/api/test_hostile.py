"""Malformed and hostile raw HTTP requests: every one gets a 4xx with a modelled error, and the server lives on.

Most cases are generated from the model: for every input member of the 12
connection/host/tag operations (nested ones too), values of the wrong type and
values that break each constraint, over JSON on both services and over CBOR;
and the same for all 18 CodeStar operations over JSON 1.1.
"""

from __future__ import annotations

import copy
import json

import cbor2
import regex
import pytest
from spine_http import BARE_PREFIX, CBOR_PATH, JSON_10, JSON_11, TARGET_PREFIX, authorization, send

from codestar_local import spec

ACCOUNT = "424242424242"
OPERATIONS = [
    "CreateConnection", "GetConnection", "ListConnections", "DeleteConnection",
    "CreateHost", "GetHost", "ListHosts", "UpdateHost", "DeleteHost",
    "TagResource", "UntagResource", "ListTagsForResource",
]
USER = f"arn:aws:iam::{ACCOUNT}:user/hostile-user"
CODESTAR_TAGS = {"k": "v"}
CODE = [{"source": {"s3": {"bucketName": "bucket", "bucketKey": "key"}},
         "destination": {"codeCommit": {"name": "repo"},
                         "gitHub": {"name": "repo", "description": "d", "type": "User", "owner": "o", "privateRepository": True,
                                    "issuesEnabled": False, "token": "t"}}}]
TOOLCHAIN = {"source": {"s3": {"bucketName": "bucket", "bucketKey": "key"}}, "roleArn": f"arn:aws:iam::{ACCOUNT}:role/r",
             "stackParameters": {"p": "v"}}
CODESTAR_PARAMS = {
    "AssociateTeamMember": {"projectId": "hostile", "clientRequestToken": "t", "userArn": USER, "projectRole": "Owner",
                            "remoteAccessAllowed": True},
    "CreateProject": {"name": "n", "id": "hostile", "description": "d", "clientRequestToken": "t", "sourceCode": CODE,
                      "toolchain": TOOLCHAIN, "tags": CODESTAR_TAGS},
    "CreateUserProfile": {"userArn": USER, "displayName": "d", "emailAddress": "a@b.c", "sshPublicKey": "k"},
    "DeleteProject": {"id": "hostile", "clientRequestToken": "t", "deleteStack": True},
    "DeleteUserProfile": {"userArn": USER},
    "DescribeProject": {"id": "hostile"},
    "DescribeUserProfile": {"userArn": USER},
    "DisassociateTeamMember": {"projectId": "hostile", "userArn": USER},
    "ListProjects": {"nextToken": "t", "maxResults": 5},
    "ListResources": {"projectId": "hostile", "nextToken": "t", "maxResults": 5},
    "ListTagsForProject": {"id": "hostile", "nextToken": "t", "maxResults": 5},
    "ListTeamMembers": {"projectId": "hostile", "nextToken": "t", "maxResults": 5},
    "ListUserProfiles": {"nextToken": "t", "maxResults": 5},
    "TagProject": {"id": "hostile", "tags": CODESTAR_TAGS},
    "UntagProject": {"id": "hostile", "tags": ["k"]},
    "UpdateProject": {"id": "hostile", "name": "n", "description": "d"},
    "UpdateTeamMember": {"projectId": "hostile", "userArn": USER, "projectRole": "Owner", "remoteAccessAllowed": False},
    "UpdateUserProfile": {"userArn": USER, "displayName": "d", "emailAddress": "a@b.c", "sshPublicKey": "k"},
}
FRAMEWORK_400 = {"ValidationException", "SerializationException", "UnknownOperationException",
                 "InvalidSignatureException", "IncompleteSignatureException"}


def connection_arn(service):
    return f"arn:aws:{service}:us-east-1:{ACCOUNT}:connection/6f1c1d0e-8f55-4a52-9f1d-0c8e2b7a1a11"


def host_arn(service):
    return f"arn:aws:{service}:us-east-1:{ACCOUNT}:host/h-0123abcd"


def full_params(service, operation):
    """Every member of the operation set (optional ones too), so each can be spoiled."""
    vpc = {"VpcId": "vpc-01234567", "SubnetIds": ["subnet-01234567"], "SecurityGroupIds": ["sg-01234567"], "TlsCertificate": "cert"}
    tags = [{"Key": "k", "Value": "v"}]
    return {
        "CreateConnection": {"ConnectionName": "c", "ProviderType": "GitHub", "Tags": tags, "HostArn": host_arn(service)},
        "GetConnection": {"ConnectionArn": connection_arn(service)},
        "ListConnections": {"ProviderTypeFilter": "GitHub", "HostArnFilter": host_arn(service), "MaxResults": 5, "NextToken": "t"},
        "DeleteConnection": {"ConnectionArn": connection_arn(service)},
        "CreateHost": {"Name": "h", "ProviderType": "GitHubEnterpriseServer", "ProviderEndpoint": "https://h", "VpcConfiguration": vpc, "Tags": tags},
        "GetHost": {"HostArn": host_arn(service)},
        "ListHosts": {"MaxResults": 5, "NextToken": "t"},
        "UpdateHost": {"HostArn": host_arn(service), "ProviderEndpoint": "https://h", "VpcConfiguration": vpc},
        "DeleteHost": {"HostArn": host_arn(service)},
        "TagResource": {"ResourceArn": connection_arn(service), "Tags": tags},
        "UntagResource": {"ResourceArn": connection_arn(service), "TagKeys": ["k"]},
        "ListTagsForResource": {"ResourceArn": connection_arn(service)},
    }[operation]


# Values of the wrong JSON type for each shape type.
WRONG = {
    "string": [123, True, [], {}, 1.5],
    "integer": ["5", True, [], {}, 1.5],
    "list": ["x", 1, {}, True],
    "structure": ["x", 1, [], True],
    "map": ["x", 1, [], True],
    "boolean": ["true", 1, [], {}],
}


def broken_values(shapes, shape_name, required):
    """(label, value, expected code) that spoil one member of this shape."""
    shape = shapes[shape_name]
    kind = shape["type"]
    for value in WRONG[kind]:
        yield f"type-{type(value).__name__}", value, "SerializationException"
    if required:
        yield "null", None, "ValidationException"
    if kind == "string":
        if "max" in shape:
            yield "too-long", "x" * (shape["max"] + 1), "ValidationException"
        if shape.get("min", 0) >= 1:
            yield "empty", "", "ValidationException"
        if "enum" in shape:
            yield "not-in-enum", "Subversion", "ValidationException"
        if shape.get("pattern", ".*") not in (".*", "[\\s\\S]*", "^.*$"):
            spoiler = next((v for v in ("no match here", " padded ", "\x00\x01") if not regex.search(shape["pattern"], v)), None)
            if spoiler is not None:
                yield "pattern", spoiler, "ValidationException"
    elif kind == "integer":
        if "max" in shape:
            yield "above-max", shape["max"] + 1, "ValidationException"
        if "min" in shape:
            yield "below-min", shape["min"] - 1, "ValidationException"
    elif kind == "list":
        if "max" in shape:
            item = shapes[shape["member"]["shape"]]
            filler = {"Key": "k", "Value": "v"} if item["type"] == "structure" else "subnet-01234567"
            yield "too-many", [filler] * (shape["max"] + 1), "ValidationException"
        if shape.get("min", 0) >= 1:
            yield "empty-list", [], "ValidationException"
    elif kind == "map":
        if "max" in shape:
            yield "too-many", {f"k{n}": "v" for n in range(shape["max"] + 1)}, "ValidationException"
        key_shape, value_shape = shapes[shape["key"]["shape"]], shapes[shape["value"]["shape"]]
        if key_shape.get("min", 0) >= 1:
            yield "bad-key", {"": "v"}, "ValidationException"
        spoiler = next((v for v in (" padded ", "<bad>!") if not regex.search(value_shape.get("pattern", ".*"), v)), None)
        if spoiler is not None:
            yield "bad-value", {"k": spoiler}, "ValidationException"


def member_paths(shapes, shape_name, value, path=()):
    """(path, member shape, required?) for every member below a structure value."""
    shape = shapes[shape_name]
    required = set(shape.get("required", ()))
    for member, ref in shape["members"].items():
        if member not in value:
            continue
        sub = shapes[ref["shape"]]
        yield path + (member,), ref["shape"], member in required
        if sub["type"] == "structure":
            yield from member_paths(shapes, ref["shape"], value[member], path + (member,))
        elif sub["type"] == "list" and value[member]:
            item = sub["member"]["shape"]
            if shapes[item]["type"] == "structure":
                yield from member_paths(shapes, item, value[member][0], path + (member, 0))
            else:
                yield path + (member, 0), item, False


def put(doc, path, value):
    doc = copy.deepcopy(doc)
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


def json_headers(service, operation, content_type=None, auth=None):
    return [
        ("Content-Type", content_type or (JSON_11 if service == "codestar" else JSON_10)),
        ("X-Amz-Target", f"{TARGET_PREFIX[service]}.{operation}"),
        ("X-Amz-Date", "20260101T000000Z"),
        ("Authorization", auth if auth is not None else authorization(ACCOUNT, service=service)),
    ]


def cbor_headers():
    return [
        ("Content-Type", "application/cbor"),
        ("Accept", "application/cbor"),
        ("smithy-protocol", "rpc-v2-cbor"),
        ("X-Amz-Date", "20260101T000000Z"),
        ("Authorization", authorization(ACCOUNT, service="codeconnections")),
    ]


def model_cases():
    cases = []
    for transport, service in (("json", "codestar-connections"), ("json", "codeconnections"), ("cbor", "codeconnections"),
                               ("json", "codestar")):
        svc = spec.services()[service]
        for operation in (CODESTAR_PARAMS if service == "codestar" else OPERATIONS):
            full = CODESTAR_PARAMS[operation] if service == "codestar" else full_params(service, operation)
            input_shape = svc.operations[operation].input_shape
            for path, shape_name, required in member_paths(svc.shapes, input_shape, full):
                for label, value, code in broken_values(svc.shapes, shape_name, required):
                    params = put(full, path, value)
                    name = f"{transport}-{service}-{operation}-{'.'.join(map(str, path))}-{label}"
                    if transport == "json":
                        cases.append((name, "POST", "/", json_headers(service, operation), json.dumps(params).encode(), code))
                    else:
                        cases.append((name, "POST", CBOR_PATH.format(operation), cbor_headers(), cbor2.dumps(params), code))
            if svc.shapes[input_shape].get("required"):
                body = b"{}" if transport == "json" else b"\xa0"
                headers = json_headers(service, operation) if transport == "json" else cbor_headers()
                path = "/" if transport == "json" else CBOR_PATH.format(operation)
                cases.append((f"{transport}-{service}-{operation}-empty", "POST", path, headers, body, "ValidationException"))
    return cases


def codestar_cases():
    """Hand-made CodeStar cases: forged tokens, rules beyond the model, bodies of the wrong kind."""
    cases = []

    def add(name, operation, params, code):
        body = params if isinstance(params, bytes) else json.dumps(params).encode()
        cases.append((f"codestar-{name}", "POST", "/", json_headers("codestar", operation), body, code))

    for i, token in enumerate(["bogus", "e30=", "bnVsbA==", "W10=", "eyJ2IjoxLCJrIjoiY29kZXN0YXJfcHJvamVjdCIsInMiOi0xfQ==", "=" * 8]):
        for operation in ("ListProjects", "ListUserProfiles"):
            add(f"token-{operation}-{i}", operation, {"nextToken": token}, "InvalidNextTokenException" if token != "=" * 8 else None)
    add("source-without-toolchain", "CreateProject", {"name": "n", "id": "src-only", "sourceCode": CODE[:1]}, "ValidationException")
    add("toolchain-without-source", "CreateProject", {"name": "n", "id": "tc-only", "toolchain": TOOLCHAIN}, "ValidationException")
    add("role-of-another-account", "CreateProject", {"name": "n", "id": "other-role", "sourceCode": [{**CODE[0], "destination": {
        "codeCommit": {"name": "r"}}}], "toolchain": {**TOOLCHAIN, "roleArn": "arn:aws:iam::111111111111:role/r"}},
        "InvalidServiceRoleException")
    add("fifty-one-tags", "CreateProject", {"name": "n", "id": "many-tags", "tags": {str(n): "" for n in range(51)}}, "LimitExceededException")
    add("describe-missing", "DescribeProject", {"id": "not-there"}, "ProjectNotFoundException")
    add("update-member-missing-project", "UpdateTeamMember", {"projectId": "not-there", "userArn": USER}, "ProjectNotFoundException")
    add("profile-missing", "UpdateUserProfile", {"userArn": USER + "x"}, "UserProfileNotFoundException")
    add("tags-as-list", "TagProject", {"id": "hostile", "tags": [{"Key": "k", "Value": "v"}]}, "SerializationException")
    add("pascal-case-members", "CreateProject", {"Name": "n", "Id": "pascal"}, "ValidationException")
    add("bad-json", "CreateProject", b'{"name": ', "SerializationException")
    add("colon-bomb-user", "DescribeUserProfile", {"userArn": "arn:aws:iam::" + ":" * 1_000_000}, "ValidationException")
    add("huge-ssh-key", "CreateUserProfile", {"userArn": USER, "displayName": "d", "emailAddress": "a@b.c", "sshPublicKey": "k" * 20000},
        "ValidationException")
    return cases


def generic_cases():
    s = "codestar-connections"
    get = json_headers(s, "GetConnection")
    missing = json.dumps({"ConnectionArn": connection_arn(s)}).encode()
    cases = []

    def add(name, method, path, headers, body, code=None):
        cases.append((name, method, path, headers, body, code))

    # Bodies that are not JSON, or not a JSON object.
    for i, body in enumerate([
        b"{", b"}", b"{]", b'{"ConnectionArn": "x",}', b"[]", b'"s"', b"1", b"true", b"null", b"{}{}", b"{'a': 1}",
        b'{"ConnectionArn": NaN}', b'{"ConnectionArn": Infinity}', b"\xff\xfe\x00{", b'{"ConnectionArn": "\xff"}',
        b'{"ConnectionArn": "a\x00b"}', b"\x00" * 64, b'{"a":' * 2000 + b"1" + b"}" * 2000, b"[" * 100000 + b"]" * 100000,
        b"\xef\xbb\xbf{}garbage", b'{"ConnectionArn": "\\ud800"}', b'{"ConnectionArn": "\\x41"}',
    ]):
        add(f"bad-json-{i}", "POST", "/", get, body, "SerializationException")
    # Well-formed but deep or big.
    add("deep-list-in-tags", "POST", "/", json_headers(s, "TagResource"),
        json.dumps({"ResourceArn": connection_arn(s), "Tags": [[[[[[[[[[[]]]]]]]]]]]}).encode(), "SerializationException")
    add("deep-unknown-member", "POST", "/", get, b'{"Unknown":' + b"[" * 500 + b"]" * 500 + b"}", "SerializationException")  # deeper than --max-depth (32)
    add("one-mb-name", "POST", "/", json_headers(s, "CreateConnection"),
        json.dumps({"ConnectionName": "n" * 1_000_000, "ProviderType": "GitHub"}).encode(), "ValidationException")
    add("ten-thousand-tags", "POST", "/", json_headers(s, "TagResource"),
        json.dumps({"ResourceArn": connection_arn(s), "Tags": [{"Key": str(i), "Value": ""} for i in range(10000)]}).encode(), "ValidationException")
    # Numbers out of every range.
    for i, number in enumerate([b"1e400", b"-1e400", b"123456789012345678901234567890", b"-9223372036854775809", b"5.5", b"1.0000000000000002"]):
        add(f"number-{i}", "POST", "/", json_headers(s, "ListConnections"), b'{"MaxResults": ' + number + b"}", None)
    # Forged NextTokens.
    for i, token in enumerate(["eyJ2IjoxLCJrIjoiY29ubmVjdGlvbiIsInMiOi0xfQ", "eyJ2IjoxLCJrIjoiaG9zdCIsInMiOjF9", "bnVsbA", "W10", "=" * 8, "\u0000"]):
        add(f"token-{i}", "POST", "/", json_headers(s, "ListConnections"), json.dumps({"NextToken": token}).encode(), "ValidationException")
    # The ARN patterns backtrack on ':'; a long run of them must not stall the server.
    add("colon-bomb-arn", "POST", "/", get, json.dumps({"ConnectionArn": "arn:aws:" + ":" * 1_500_000}).encode(), "ValidationException")
    add("colon-bomb-tags", "POST", "/", json_headers(s, "ListTagsForResource"),
        json.dumps({"ResourceArn": "arn:aws:" + "a:" * 700_000}).encode(), "ValidationException")
    add("colon-bomb-cbor", "POST", CBOR_PATH.format("GetHost"), cbor_headers(),
        cbor2.dumps({"HostArn": "arn:aws:codeconnections:" + ":" * 1_500_000}), "ValidationException")
    add("nul-in-arn", "POST", "/", get, json.dumps({"ConnectionArn": connection_arn(s) + "\x00"}).encode(), "ResourceNotFoundException")
    add("three-mb-body", "POST", "/", json_headers(s, "CreateConnection"),
        b'{"ConnectionName": "' + b"x" * (3 * 1024 * 1024) + b'"}', "RequestEntityTooLargeException")
    add("three-mb-cbor", "POST", CBOR_PATH.format("CreateConnection"), cbor_headers(),
        cbor2.dumps({"ConnectionName": "x" * (3 * 1024 * 1024)}), "RequestEntityTooLargeException")

    # Targets.
    for i, target in enumerate([
        "", ".", "..", "NoDot", f"{TARGET_PREFIX[s]}.NoSuchOperation", f"{TARGET_PREFIX[s]}.", f"{TARGET_PREFIX[s]}.getConnection",
        "com.example.Bogus_20200101.GetConnection", f"{BARE_PREFIX[s]}.GetConnection.Extra", "CodeStar_20170419.GetConnection",
        "X" * 8000, "ÿþ.GetConnection", f"{TARGET_PREFIX[s]}.GetConnection ",
        f"{TARGET_PREFIX[s]}.__init__", f"{TARGET_PREFIX[s]}.create_connection", f"{TARGET_PREFIX[s]}.GetConnection\t",
    ]):
        headers = [(k, v) for k, v in get if k != "X-Amz-Target"] + [("X-Amz-Target", target)]
        add(f"target-{i}", "POST", "/", headers, b"{}", "UnknownOperationException")
    add("no-target", "POST", "/", [(k, v) for k, v in get if k != "X-Amz-Target"], b"{}", "UnknownOperationException")
    add("no-headers-at-all", "POST", "/", [], b"", "UnknownOperationException")

    # Authorization.
    for i, auth in enumerate([
        "Bearer abc", "Basic dXNlcjpwYXNz", "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA256 Credential=",
        "AWS4-HMAC-SHA256 Credential=a/b/c", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us east 1/codestar-connections/aws4_request",
        "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/codestar-connections/aws4_requestX",
        "AWS4-HMAC-SHA256 Credential=/20260101/us-east-1/codestar-connections/aws4_request",
        "AWS4-HMAC-SHA512 Credential=AKID/20260101/us-east-1/codestar-connections/aws4_request",
        "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/codeconnections/aws4_request, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 Credential=AKID/20260101/../../etc/aws4_request", "A" * 8000, "AWS4-HMAC-SHA256 Credential=" + "/" * 4000,
    ]):
        headers = [(k, v) for k, v in get if k != "Authorization"] + [("Authorization", auth)]
        add(f"auth-{i}", "POST", "/", headers, b"{}", None)
    # Without Authorization the caller is the default account (docs/BEHAVIOUR.md); the request itself is bad.
    add("no-auth-bad-body", "POST", "/", [(k, v) for k, v in get if k != "Authorization"], b"{", "SerializationException")
    add("no-auth-missing-arn", "POST", "/", [(k, v) for k, v in get if k != "Authorization"], b"{}", "ValidationException")

    # Content types (not checked by the AWS JSON front end; the request is bad for another reason).
    for i, ctype in enumerate(["text/plain", "application/json", "application/x-amz-json-1.1", "application/cbor",
                               "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "", "ÿ/ÿ"]):
        headers = [(k, v) for k, v in get if k != "Content-Type"] + ([("Content-Type", ctype)] if ctype else [])
        add(f"content-type-{i}", "POST", "/", headers, missing, "ResourceNotFoundException")
    add("cbor-body-to-json", "POST", "/", get, cbor2.dumps({"ConnectionArn": connection_arn(s)}), "SerializationException")
    add("form-body", "POST", "/", [(k, v) for k, v in get if k != "Content-Type"] + [("Content-Type", "application/x-www-form-urlencoded")],
        b"Action=GetConnection&ConnectionArn=x", "SerializationException")
    add("gzip-claimed", "POST", "/", get + [("Content-Encoding", "gzip")], b"\x1f\x8b\x08\x00garbage", "SerializationException")

    # Methods and paths.
    for method in ("GET", "PUT", "DELETE", "PATCH", "OPTIONS"):
        add(f"method-{method}", method, "/", get, missing, "UnknownOperationException")
        add(f"cbor-method-{method}", method, CBOR_PATH.format("GetConnection"), cbor_headers(), b"\xa0", "UnknownOperationException")
    for i, path in enumerate([
        "/service/CodeConnections_20231201/operation/NoSuchOperation", "/service/CodeStar_connections_20191201/operation/GetConnection",
        "/service/CodeStar_20170419/operation/ListProjects", "/service/Bogus/operation/GetConnection",
        "/service/CodeConnections_20231201/operation/getConnection", "/prefix/service/CodeConnections_20231201/operation/Nope",
    ]):
        add(f"cbor-path-{i}", "POST", path, cbor_headers(), b"\xa0", "UnknownOperationException")
    for i, path in enumerate(["/nothing", "/service/CodeConnections_20231201/operation/", "/?Action=ListConnections", "//", "/%00"]):
        add(f"odd-path-{i}", "POST", path, get, b"{}", None)
    add("cbor-with-target", "POST", CBOR_PATH.format("GetConnection"), cbor_headers() + [("X-Amz-Target", f"{TARGET_PREFIX['codeconnections']}.GetConnection")],
        b"\xa0", "SerializationException")

    # CBOR garbage on the RPC v2 path.
    for i, body in enumerate([
        b"\xff", b"\x1f", b"\xa1\x63abc", b"\xbf\x61a\x01", b"\x80", b"\xa1\x01\x02", b"\xa1\x62\xff\xfe\x01", b"\xc1\x00",
        b"\x81" * 100000 + b"\x80", b"\xa1\x61a" * 100000 + b"\xa0", b"\x5b\xff\xff\xff\xff\xff\xff\xff\xff",
        b"\xbb\xff\xff\xff\xff\xff\xff\xff\xff", b"\x9b\x00\x00\x00\x00\xff\xff\xff\xff", b'{"ConnectionArn": "x"}',
        b"\xa1\x6dConnectionArn\xd8\x20\x61x", b"\xa1\x6dConnectionArn\x41a", b"\xd9\xd9\xf7\x01", b"\x00" * 10,
    ]):
        add(f"cbor-garbage-{i}", "POST", CBOR_PATH.format("GetConnection"), cbor_headers(), body, "SerializationException")

    # Header abuse within the server's limits.
    add("big-header", "POST", "/", get + [("X-Junk", "j" * 8000)], missing, "ResourceNotFoundException")
    add("many-headers", "POST", "/", get + [(f"X-Junk-{i}", str(i)) for i in range(60)], missing, "ResourceNotFoundException")
    add("two-targets", "POST", "/", get + [("X-Amz-Target", "Bogus.Nope")], b"{}", None)
    add("non-ascii-header", "POST", "/", get + [("X-Note", "ünïcødé")], missing, "ResourceNotFoundException")
    return cases


CASES = model_cases() + codestar_cases() + generic_cases()


def test_the_table_is_big():
    assert len(CASES) >= 200
    assert len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("name,method,path,headers,body,code", CASES, ids=[c[0] for c in CASES])
def test_hostile_request(server, name, method, path, headers, body, code):
    reply = send(server.endpoint_url, method, path, headers, body)
    assert 400 <= reply.status < 500, reply
    document = reply.document()
    assert isinstance(document, dict) and isinstance(document.get("__type"), str), reply
    got = document["__type"].rsplit("#", 1)[-1]
    if reply.headers.get("content-type", "").startswith("application/x-amz-json"):
        assert reply.headers.get("x-amzn-errortype") == got, reply
    assert "x-amzn-requestid" in reply.headers
    if code is not None:
        assert got == code, reply
        if code in FRAMEWORK_400:
            assert reply.status == 400
        if code == "RequestEntityTooLargeException":
            assert reply.status == 413


def test_server_still_answers(server):
    """After the whole table the same server process serves a normal request."""
    assert server.proc.poll() is None
    client = server.client("codestar-connections", account=ACCOUNT)
    assert client.list_connections()["Connections"] == []
    arn = client.create_connection(ProviderType="GitHub", ConnectionName="after")["ConnectionArn"]
    assert client.get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"] == "PENDING"
    client.delete_connection(ConnectionArn=arn)
