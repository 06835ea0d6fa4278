"""Request limits of `serve`: body size (413, configurable), header count and size (431), slow clients (408), and
nesting depth (SerializationException) in JSON and CBOR. After each refusal the server still answers, and nothing
stored has changed."""

from __future__ import annotations

import json
import socket
import time

import cbor2
import pytest
from servers import Server

TARGET = "com.amazonaws.codestar.connections.CodeStar_connections_20191201."
AUTH = ("AWS4-HMAC-SHA256 Credential=616161616161/20260101/us-east-1/{svc}/aws4_request, "
        "SignedHeaders=host, Signature=00")


@pytest.fixture(scope="module")
def limited():
    s = Server(extra=["--max-body", "4096", "--max-headers", "30", "--max-header-bytes", "8192",
                      "--max-depth", "8", "--request-timeout", "1"])
    yield s
    s.stop()


def exchange(server, data: bytes, wait: float = 5.0) -> tuple[bytes, float]:
    """Send raw bytes; everything the server answers until it closes (or `wait` passes), and how long it took."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port)) as c:
        c.sendall(data)
        c.settimeout(wait)
        out = b""
        try:
            while chunk := c.recv(65536):
                out += chunk
        except TimeoutError:
            out += b"<still open>"
    return out, time.monotonic() - started


def http(operation: str, body: bytes, extra: bytes = b"", content_type=b"application/x-amz-json-1.0",
         path=b"/", svc="codestar-connections") -> bytes:
    target = b"" if path != b"/" else b"X-Amz-Target: " + (TARGET + operation).encode() + b"\r\n"
    return (b"POST " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: " + content_type + b"\r\n"
            + target + b"Authorization: " + AUTH.format(svc=svc).encode() + b"\r\n" + extra
            + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


def reply(raw: bytes) -> tuple[int, dict, dict]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    value = cbor2.loads(body) if headers.get("content-type") == "application/cbor" else json.loads(body or b"{}")
    return int(lines[0].split()[1]), headers, value


def connections(server) -> list:
    status, _, value = reply(exchange(server, http("ListConnections", b"{}"))[0])
    assert status == 200, value
    return value["Connections"]


def test_body_cap_is_configurable(limited):
    before = connections(limited)
    big = json.dumps({"ProviderType": "GitHub", "ConnectionName": "x" * 5000}).encode()
    status, headers, value = reply(exchange(limited, http("CreateConnection", big))[0])
    assert (status, headers["x-amzn-errortype"]) == (413, "RequestEntityTooLargeException")
    assert value["__type"].endswith("#RequestEntityTooLargeException")
    path = b"/service/CodeConnections_20231201/operation/CreateConnection"
    body = cbor2.dumps({"ProviderType": "GitHub", "ConnectionName": "y" * 5000})
    status, headers, value = reply(exchange(limited, http("", body, content_type=b"application/cbor", path=path,
                                                           extra=b"Smithy-Protocol: rpc-v2-cbor\r\n", svc="codeconnections"))[0])
    assert status == 413 and "x-amzn-errortype" not in headers  # CBOR names the error in the body only (FACTS 7.4)
    assert value["__type"].endswith("#RequestEntityTooLargeException")
    # Under the cap all is well, and the refused requests stored nothing.
    assert connections(limited) == before
    small = json.dumps({"ProviderType": "GitHub", "ConnectionName": "fits"}).encode()
    assert reply(exchange(limited, http("CreateConnection", small))[0])[0] == 200


def test_header_count_cap(limited):
    many = b"".join(b"X-Extra-%d: v\r\n" % i for i in range(40))
    raw, _ = exchange(limited, http("ListConnections", b"{}", extra=many))
    status, headers, value = reply(raw)
    assert (status, headers["x-amzn-errortype"]) == (431, "RequestHeaderFieldsTooLargeException")
    assert value["message"] == "The request has more than 30 headers"
    assert headers["connection"] == "close"
    few = b"".join(b"X-Extra-%d: v\r\n" % i for i in range(10))
    assert reply(exchange(limited, http("ListConnections", b"{}", extra=few))[0])[0] == 200


def test_header_size_cap(limited):
    raw, _ = exchange(limited, http("ListConnections", b"{}", extra=b"X-Big: " + b"a" * 9000 + b"\r\n"))
    status, headers, value = reply(raw)
    assert status == 431 and value["message"] == "The request line and headers are larger than 8192 bytes"
    # A long request line counts too.
    raw, _ = exchange(limited, b"POST /" + b"p" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert reply(raw)[0] == 431
    assert reply(exchange(limited, http("ListConnections", b"{}", extra=b"X-Big: " + b"a" * 4000 + b"\r\n"))[0])[0] == 200


def test_slow_clients_time_out(limited):
    # Headers that never end.
    raw, took = exchange(limited, b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: x", wait=5)
    status, headers, value = reply(raw)
    assert (status, headers["x-amzn-errortype"]) == (408, "RequestTimeoutException") and 0.8 < took < 4
    # A body shorter than its Content-Length.
    partial = http("CreateConnection", b'{"ProviderType": "GitHub", "ConnectionName": "slow"}')[:-10]
    raw, took = exchange(limited, partial, wait=5)
    assert reply(raw)[0] == 408 and 0.8 < took < 4
    # A connection that sends nothing is closed without an answer.
    raw, took = exchange(limited, b"", wait=5)
    assert raw == b"" and 0.8 < took < 4
    assert "slow" not in [c["ConnectionName"] for c in connections(limited)]


def test_a_slow_but_steady_request_within_the_timeout_is_served(limited):
    data = http("ListConnections", b"{}")
    with socket.create_connection(("127.0.0.1", limited.port)) as c:
        for i in range(0, len(data), len(data) // 4 + 1):
            c.sendall(data[i : i + len(data) // 4 + 1])
            time.sleep(0.15)
        c.settimeout(5)
        out = b""
        while chunk := c.recv(65536):
            out += chunk
    assert reply(out)[0] == 200


def nested(depth: int):
    value = "leaf"
    for _ in range(depth - 1):
        value = {"n": value}
    return value


@pytest.mark.parametrize("cbor", [False, True], ids=["json", "cbor"])
def test_nesting_depth_cap(limited, cbor):
    for depth, ok in ((8, True), (9, False), (300, False)):
        params = {"ProviderType": "GitHub", "ConnectionName": f"deep-{depth}-{int(cbor)}", "Unknown": nested(depth)}  # depth levels in all
        if cbor:
            path = b"/service/CodeConnections_20231201/operation/CreateConnection"
            raw, _ = exchange(limited, http("", cbor2.dumps(params), content_type=b"application/cbor", path=path,
                                            extra=b"Smithy-Protocol: rpc-v2-cbor\r\n", svc="codeconnections"))
        else:
            raw, _ = exchange(limited, http("CreateConnection", json.dumps(params).encode()))
        status, headers, value = reply(raw)
        if ok:
            assert status == 200, value
        else:
            assert status == 400 and value["__type"].endswith("SerializationException"), value
            assert value["message"] == "The request body nests deeper than 8 levels"


def test_the_defaults(server):
    """Without the flags: 2 MiB bodies, 100 headers, 32 KiB of headers, 32 levels."""
    assert reply(exchange(server, http("ListConnections", b"{}", extra=b"".join(b"X-E%d: v\r\n" % i for i in range(90))))[0])[0] == 200
    assert reply(exchange(server, http("ListConnections", b"{}", extra=b"".join(b"X-E%d: v\r\n" % i for i in range(101))))[0])[0] == 431
    deep = json.dumps({"ProviderType": "GitHub", "ConnectionName": "d", "U": nested(33)}).encode()  # 33 levels
    assert reply(exchange(server, http("CreateConnection", deep))[0])[0] == 400
    body = json.dumps({"ProviderType": "GitHub", "ConnectionName": "x" * (2 * 1024 * 1024)}).encode()
    assert reply(exchange(server, http("CreateConnection", body))[0])[0] == 413
