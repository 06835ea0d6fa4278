"""Smithy RPC v2 CBOR for codeconnections, with boto3 forced onto it.

boto3 talks JSON to codeconnections by default; a copy of botocore's model whose
`protocols` is ["smithy-rpc-v2-cbor"], put first on the loader's search path,
makes the unmodified client speak CBOR (see ../shared/wire/README.md). Raw signed
requests cover what botocore never sends (the bare service segment, a target
header, other services' paths).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import boto3
import botocore.config
import botocore.session
import cbor2
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from codestar_local import spec

SERVICE = "codeconnections"
BARE = "CodeConnections_20231201"
NAMESPACED = "com.amazonaws.codeconnections.CodeConnections_20231201"
OPERATIONS = {
    "CreateConnection",
    "GetConnection",
    "ListConnections",
    "DeleteConnection",
    "CreateHost",
    "GetHost",
    "ListHosts",
    "UpdateHost",
    "DeleteHost",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
}


def botocore_model(name: str) -> dict:
    return botocore.session.get_session().get_component("data_loader").load_service_model(name, "service-2")


def status_in_model(code: str) -> int:
    shape = botocore_model(SERVICE)["shapes"].get(code, {})
    return shape.get("error", {}).get("httpStatusCode", 400)


@pytest.fixture(scope="session")
def models(tmp_path_factory):
    """Model folders: {variant: dir}, each forcing one service onto CBOR."""
    out = {}
    for variant, name, prefix in (
        ("namespaced", SERVICE, None),
        ("bare", SERVICE, BARE),  # botocore then sends the Smithy spec's bare segment
        ("codestar-connections", "codestar-connections", None),
    ):
        model = botocore_model(name)
        model["metadata"]["protocols"] = ["smithy-rpc-v2-cbor"]
        model["metadata"]["protocol"] = "smithy-rpc-v2-cbor"
        if prefix:
            model["metadata"]["targetPrefix"] = prefix
        root = tmp_path_factory.mktemp(f"cbor-{variant}")
        folder = root / name / model["metadata"]["apiVersion"]
        folder.mkdir(parents=True)
        (folder / "service-2.json").write_text(json.dumps(model))
        out[variant] = str(root)
    return out


class Wire:
    """Every request and response of one client, as they were on the wire."""

    def __init__(self):
        self.requests = []
        self.responses = []

    def on_send(self, request, **_):
        headers = {k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
        self.requests.append((request.url, headers, request.body))

    def on_after_call(self, http_response, **_):
        headers = {k.lower(): v for k, v in http_response.headers.items()}
        self.responses.append((http_response.status_code, headers, http_response.content))


def cbor_client(server, models, account, variant="namespaced", service=SERVICE, before_sign=None):
    session = botocore.session.Session()
    session.get_component("data_loader").search_paths.insert(0, models[variant])
    client = boto3.Session(botocore_session=session).client(
        service,
        endpoint_url=server.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=account,
        aws_secret_access_key="secret",
        config=botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"}),
    )
    assert client.meta.service_model.resolved_protocol == "smithy-rpc-v2-cbor"
    client.wire = Wire()
    client.meta.events.register("before-send", client.wire.on_send)
    client.meta.events.register("after-call", client.wire.on_after_call)
    if before_sign is not None:
        client.meta.events.register("before-sign", before_sign)
    return client


def raw(server, path, account, body=b"", headers=None, method="POST", scope=SERVICE):
    """A SigV4-signed request; returns (status, lower-case headers, body)."""
    request = AWSRequest(method=method, url=server.endpoint_url + path, data=body, headers=headers or {})
    SigV4Auth(Credentials(account, "secret"), scope, "us-east-1").add_auth(request)
    prepared = request.prepare()
    req = urllib.request.Request(prepared.url, data=prepared.body or None, method=method, headers=dict(prepared.headers))
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


CBOR_HEADERS = {"Smithy-Protocol": "rpc-v2-cbor", "Accept": "application/cbor", "Content-Type": "application/cbor"}


def assert_cbor_response(status_headers_body, status=200):
    got_status, headers, body = status_headers_body
    assert got_status == status, cbor2.loads(body) if body else body
    assert headers["smithy-protocol"] == "rpc-v2-cbor"
    assert headers["content-type"] == "application/cbor"
    value = cbor2.loads(body)
    assert type(value) is dict
    return value


def test_all_operations_over_cbor(server, models, account, make_client):
    c = cbor_client(server, models, account)
    tags = [{"Key": "env", "Value": "cbor"}]
    conn = c.create_connection(ConnectionName="over-cbor", ProviderType="GitHub", Tags=tags)
    arn = conn["ConnectionArn"]
    assert arn.startswith(f"arn:aws:codeconnections:us-east-1:{account}:connection/")
    assert conn["Tags"] == tags
    got = c.get_connection(ConnectionArn=arn)["Connection"]
    assert got == {
        "ConnectionName": "over-cbor",
        "ConnectionArn": arn,
        "ProviderType": "GitHub",
        "OwnerAccountId": account,
        "ConnectionStatus": "PENDING",
    }
    assert [x["ConnectionArn"] for x in c.list_connections()["Connections"]] == [arn]

    host = c.create_host(Name="cbor-host", ProviderType="GitLabSelfManaged", ProviderEndpoint="https://gl.example.com")["HostArn"]
    assert c.get_host(HostArn=host)["Status"] == "PENDING"
    assert [h["HostArn"] for h in c.list_hosts(MaxResults=5)["Hosts"]] == [host]
    c.update_host(HostArn=host, ProviderEndpoint="https://gl2.example.com")
    assert c.get_host(HostArn=host)["ProviderEndpoint"] == "https://gl2.example.com"

    c.tag_resource(ResourceArn=host, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    c.untag_resource(ResourceArn=host, TagKeys=["a"])
    assert c.list_tags_for_resource(ResourceArn=host)["Tags"] == [{"Key": "b", "Value": "2"}]
    assert c.list_tags_for_resource(ResourceArn=arn)["Tags"] == tags

    # The same state through the JSON endpoint of the same service.
    as_json = make_client(SERVICE)
    assert as_json.get_connection(ConnectionArn=arn)["Connection"] == got
    assert as_json.get_host(HostArn=host)["ProviderEndpoint"] == "https://gl2.example.com"

    c.delete_connection(ConnectionArn=arn)
    c.delete_host(HostArn=host)
    assert c.list_connections()["Connections"] == []
    assert c.list_hosts()["Hosts"] == []

    # Every call went out as CBOR and came back as CBOR.
    seen = set()
    for url, headers, _ in c.wire.requests:
        prefix, _, op = url.rpartition("/operation/")
        assert prefix.endswith(f"/service/{NAMESPACED}")
        seen.add(op)
        assert headers["smithy-protocol"] == "rpc-v2-cbor"
        assert "x-amz-target" not in headers
    assert seen == OPERATIONS
    for response in c.wire.responses:
        assert_cbor_response(response)
        assert response[1]["x-amzn-requestid"]


def _missing(account, kind):
    return f"arn:aws:codeconnections:us-east-1:{account}:{kind}/00000000-0000-0000-0000-000000000000"


def _tags(n):
    return [{"Key": f"k{i}", "Value": "v"} for i in range(n)]


# (id, call(client, account), expected code, modelled)
ERRORS = [
    ("not-found-connection", lambda c, a: c.get_connection(ConnectionArn=_missing(a, "connection")), "ResourceNotFoundException", True),
    ("not-found-host", lambda c, a: c.delete_host(HostArn=_missing(a, "host")), "ResourceNotFoundException", True),
    ("not-found-tags", lambda c, a: c.list_tags_for_resource(ResourceArn=_missing(a, "connection")), "ResourceNotFoundException", True),
    (
        "limit-tags",
        lambda c, a: c.tag_resource(ResourceArn=c.create_connection(ConnectionName="t", ProviderType="GitLab")["ConnectionArn"], Tags=_tags(51)),
        "LimitExceededException",
        True,
    ),
    (
        "unsupported-provider",
        lambda c, a: c.create_host(Name="h", ProviderType="Bitbucket", ProviderEndpoint="https://b.example.com"),
        "UnsupportedProviderTypeException",
        True,
    ),
    (
        "unavailable-host",
        lambda c, a: c.create_connection(ConnectionName="c", HostArn=_missing(a, "host")),
        "ResourceUnavailableException",
        True,
    ),
    ("validation", lambda c, a: c.list_connections(MaxResults=101), "ValidationException", False),
]


@pytest.mark.parametrize("call,code,modelled", [pytest.param(*e[1:], id=e[0]) for e in ERRORS])
def test_errors_over_cbor(server, models, account, call, code, modelled):
    c = cbor_client(server, models, account)
    with pytest.raises(ClientError) as e:
        call(c, account)
    err = e.value.response
    assert err["Error"]["Code"] == code
    assert err["ResponseMetadata"]["HTTPStatusCode"] == status_in_model(code)
    message = err["Error"]["Message"]
    assert message
    if modelled:
        assert err["Message"] == message  # the modelled member, parsed by botocore
    body = assert_cbor_response(c.wire.responses[-1], status_in_model(code))
    # __type is the absolute shape id (Smithy RPC v2 CBOR).
    namespace = "com.amazonaws.codeconnections" if modelled else "com.amazon.coral.validate"
    assert body["__type"] == f"{namespace}#{code}"
    assert body["message"] == message
    assert "x-amzn-errortype" not in c.wire.responses[-1][1]


def test_status_codes_are_the_models():
    # The cases above rely on these; a model change should show here first.
    assert status_in_model("ResourceNotFoundException") == 404
    assert status_in_model("LimitExceededException") == 429
    assert status_in_model("ConflictException") == 409
    assert status_in_model("UnsupportedProviderTypeException") == 400


def test_validation_message_over_cbor(server, models, account):
    c = cbor_client(server, models, account)
    with pytest.raises(ClientError) as e:
        c.list_hosts(MaxResults=101)
    assert e.value.response["Error"]["Message"] == (
        "1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint: "
        "Member must have value less than or equal to 100"
    )


def test_conflict_is_409(server, models, account):
    c = cbor_client(server, models, account)
    one = c.create_host(Name="one", ProviderType="GitHubEnterpriseServer", ProviderEndpoint="https://one.example.com")
    two = c.create_host(Name="two", ProviderType="GitHubEnterpriseServer", ProviderEndpoint="https://two.example.com")
    with pytest.raises(ClientError) as e:
        c.update_host(HostArn=two["HostArn"], ProviderEndpoint="https://one.example.com")
    assert e.value.response["Error"]["Code"] == "ConflictException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert c.get_host(HostArn=one["HostArn"])["ProviderEndpoint"] == "https://one.example.com"


def test_target_header_is_rejected(server, models, account):
    def add_target(request, **_):
        request.headers["X-Amz-Target"] = f"{NAMESPACED}.CreateConnection"

    c = cbor_client(server, models, account, before_sign=add_target)
    with pytest.raises(ClientError) as e:
        c.create_connection(ConnectionName="never", ProviderType="GitHub")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert e.value.response["Error"]["Code"] == "SerializationException"
    assert "x-amz-target" in c.wire.requests[-1][1]
    assert_cbor_response(c.wire.responses[-1], 400)
    # Nothing was created.
    assert cbor_client(server, models, account).list_connections()["Connections"] == []


@pytest.mark.parametrize("variant", ["namespaced", "bare"])
def test_both_service_segments_route_from_boto3(server, models, account, variant):
    c = cbor_client(server, models, account, variant)
    arn = c.create_connection(ConnectionName=variant, ProviderType="Bitbucket")["ConnectionArn"]
    assert c.get_connection(ConnectionArn=arn)["Connection"]["ConnectionName"] == variant
    segment = NAMESPACED if variant == "namespaced" else BARE
    assert all(f"/service/{segment}/operation/" in url for url, _, _ in c.wire.requests)


@pytest.mark.parametrize(
    "path",
    [
        f"/service/{BARE}/operation/ListConnections",
        f"/service/{NAMESPACED}/operation/ListConnections",
        f"/a/prefix/service/{BARE}/operation/ListConnections",
    ],
    ids=["bare", "namespaced", "prefixed"],
)
def test_service_segments_raw(server, models, account, path):
    arn = cbor_client(server, models, account).create_connection(ConnectionName="raw", ProviderType="GitHub")["ConnectionArn"]
    body = assert_cbor_response(raw(server, path, account, cbor2.dumps({}), CBOR_HEADERS))
    assert [x["ConnectionArn"] for x in body["Connections"]] == [arn]


def test_empty_body_is_empty_input(server, account):
    # Smithy RPC v2: no input means no body and no Content-Type.
    body = assert_cbor_response(raw(server, f"/service/{BARE}/operation/ListHosts", account, b"", {"Smithy-Protocol": "rpc-v2-cbor"}))
    assert body == {"Hosts": []}


def test_codestar_connections_does_not_answer_cbor(server, models, account):
    c = cbor_client(server, models, account, "codestar-connections", service="codestar-connections")
    with pytest.raises(ClientError) as e:
        c.list_connections()
    assert e.value.response["Error"]["Code"] == "UnknownOperationException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert c.wire.requests[-1][0].endswith("/service/com.amazonaws.codestar.connections.CodeStar_connections_20191201/operation/ListConnections")
    for segment, scope in (("CodeStar_connections_20191201", "codestar-connections"), ("CodeStar_20170419", "codestar")):
        status, _, body = raw(server, f"/service/{segment}/operation/ListConnections", account, b"\xa0", CBOR_HEADERS, scope=scope)
        assert status == 400
        assert cbor2.loads(body)["__type"].endswith("#UnknownOperationException")


@pytest.mark.parametrize(
    "path,method,body,code",
    [
        (f"/service/{BARE}/operation/ListWidgets", "POST", b"\xa0", "UnknownOperationException"),
        (f"/service/{BARE}/operation/ListConnections", "GET", b"", "UnknownOperationException"),
        (f"/service/{BARE}/operation/ListConnections", "POST", b"\xbf\x61", "SerializationException"),
        (f"/service/{BARE}/operation/ListConnections", "POST", b"\x81\x01", "SerializationException"),
    ],
    ids=["unknown-operation", "get", "truncated", "not-a-map"],
)
def test_bad_cbor_requests(server, account, path, method, body, code):
    got = raw(server, path, account, body, CBOR_HEADERS, method=method)
    value = assert_cbor_response(got, 400)
    assert value["__type"] == f"com.amazon.coral.service#{code}"


def test_scope_must_be_codeconnections(server, account):
    got = raw(server, f"/service/{BARE}/operation/ListConnections", account, b"\xa0", CBOR_HEADERS, scope="codestar-connections")
    assert assert_cbor_response(got, 400)["__type"].endswith("#InvalidSignatureException")


def test_model_lists_cbor_for_codeconnections_only():
    assert spec.services()[SERVICE].supports_cbor
    assert not spec.services()["codestar-connections"].supports_cbor
    assert not spec.services()["codestar"].supports_cbor
