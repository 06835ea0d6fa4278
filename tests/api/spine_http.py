"""Raw HTTP for wire-level tests: exact bytes in, status, headers and body out."""

from __future__ import annotations

import http.client
import json
import urllib.parse

import cbor2

JSON_10 = "application/x-amz-json-1.0"
JSON_11 = "application/x-amz-json-1.1"
TARGET_PREFIX = {
    "codestar-connections": "com.amazonaws.codestar.connections.CodeStar_connections_20191201",
    "codeconnections": "com.amazonaws.codeconnections.CodeConnections_20231201",
    "codestar": "CodeStar_20170419",  # every client sends the bare form for CodeStar
}
# The JS SDK v3 form: no namespace.
BARE_PREFIX = {
    "codestar-connections": "CodeStar_connections_20191201",
    "codeconnections": "CodeConnections_20231201",
}
CBOR_PATH = "/service/CodeConnections_20231201/operation/{}"
ERROR_NAMESPACE = {
    "codestar-connections": "com.amazonaws.codestar.connections",
    "codeconnections": "com.amazonaws.codeconnections",
}


def authorization(account="000000000000", region="us-east-1", service="codestar-connections") -> str:
    """A SigV4 header; the server reads the scope and does not check the signature."""
    return (
        f"AWS4-HMAC-SHA256 Credential={account}/20260101/{region}/{service}/aws4_request, "
        f"SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature={'0' * 64}"
    )


class Reply:
    def __init__(self, status: int, headers: list, body: bytes):
        self.status = status
        self.header_list = headers
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body

    def document(self):
        """The body decoded as CBOR or JSON, by the response's content type."""
        if self.headers.get("content-type") == "application/cbor":
            return cbor2.loads(self.body)
        return json.loads(self.body)

    def error_code(self) -> str:
        return self.document()["__type"].rsplit("#", 1)[-1]

    def __repr__(self):
        return f"Reply({self.status}, {self.headers}, {self.body[:300]!r})"


def send(endpoint_url: str, method: str, path: str, headers: dict | list = (), body: bytes = b"") -> Reply:
    url = urllib.parse.urlsplit(endpoint_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        items = headers.items() if isinstance(headers, dict) else headers
        names = set()
        for name, value in items:
            conn.putheader(name, value)
            names.add(name.lower())
        if "content-length" not in names:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        return Reply(resp.status, resp.getheaders(), resp.read())
    finally:
        conn.close()


def call(endpoint_url, service, operation, params=None, account="000000000000", region="us-east-1",
         target=None, scope_service=None, content_type=JSON_10, extra=None) -> Reply:
    """One AWS JSON 1.0 request as boto3 sends it (or with the given target/body bytes)."""
    body = params if isinstance(params, bytes) else json.dumps(params if params is not None else {}).encode()
    headers = {
        "Content-Type": content_type,
        "X-Amz-Target": target if target is not None else f"{TARGET_PREFIX[service]}.{operation}",
        "X-Amz-Date": "20260101T000000Z",
        "Authorization": authorization(account, region, scope_service or service),
    }
    headers.update(extra or {})
    return send(endpoint_url, "POST", "/", headers, body)


def cbor_call(endpoint_url, operation, params=None, account="000000000000", region="us-east-1", body=None) -> Reply:
    """One Smithy RPC v2 CBOR request to codeconnections."""
    headers = {
        "Content-Type": "application/cbor",
        "Accept": "application/cbor",
        "smithy-protocol": "rpc-v2-cbor",
        "X-Amz-Date": "20260101T000000Z",
        "Authorization": authorization(account, region, "codeconnections"),
    }
    data = body if body is not None else cbor2.dumps(params if params is not None else {})
    return send(endpoint_url, "POST", CBOR_PATH.format(operation), headers, data)


# -- boto3 helpers ------------------------------------------------------------
def status_of(service: str, code: str) -> int:
    """HTTP status of a modelled error: codeconnections declares them, codestar-connections answers 400."""
    if service == "codeconnections":
        return {"ResourceNotFoundException": 404, "LimitExceededException": 429, "ConflictException": 409}.get(code, 400)
    return 400


def expect_error(service: str, code: str, fn, **params) -> dict:
    """Call fn, require a ClientError with `code` and the service's status for it; return the response."""
    import pytest
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as info:
        fn(**params)
    response = info.value.response
    assert response["Error"]["Code"] == code, response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status_of(service, code), response
    return response


def payload(response: dict) -> dict:
    """A boto3 response without ResponseMetadata."""
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def other_account(account: str) -> str:
    return account[:-1] + str((int(account[-1]) + 1) % 10)
