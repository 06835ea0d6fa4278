"""`codestar-local serve` sends each HTTP response in one write (src/codestar_local/serving/protocol.py).

Found with Terraform: the AWS provider's Go SDK sometimes closed a keep-alive connection between the segment with the
headers and the one with the body, retried the request, and so created a connection twice. These tests drive the
protocol of the server `serve` builds with a recording transport, so they do not depend on timing.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from codestar_local import cli
from codestar_local.serving import server as serving


class Captured(Exception):
    pass


@pytest.fixture
def serve_http(monkeypatch):
    """The Server `codestar-local serve` builds, stopped before it listens."""
    seen = {}

    def run(self, sockets, **kwargs):
        seen["server"] = self
        for sock in sockets:
            sock.close()
        raise Captured

    monkeypatch.setenv("CODESTAR_LOCAL_STATE", "memory")
    monkeypatch.setattr(serving.Server, "run", run)
    with pytest.raises(Captured):
        cli.main(["serve", "--state", "memory", "--port", "0"])
    yield seen["server"]
    seen["server"].app.close()


class RecordingTransport(asyncio.Transport):
    def __init__(self):
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data):
        self.writes.append(bytes(data))

    def is_closing(self):
        return self.closed

    def close(self):
        self.closed = True

    def get_extra_info(self, name, default=None):
        return {"sockname": ("127.0.0.1", 4599), "peername": ("127.0.0.1", 50000)}.get(name, default)

    def pause_reading(self):
        pass

    def resume_reading(self):
        pass

    def get_write_buffer_size(self):
        return 0


def request(target: str, body: dict, close: bool = False) -> bytes:
    data = json.dumps(body).encode()
    head = [
        "POST / HTTP/1.1",
        "Host: 127.0.0.1:4599",
        f"X-Amz-Target: {target}",
        "Content-Type: application/x-amz-json-1.0",
        "Authorization: AWS4-HMAC-SHA256 Credential=123456789012/20260101/us-east-1/codeconnections/aws4_request, "
        "SignedHeaders=host, Signature=0",
        f"Content-Length: {len(data)}",
    ]
    if close:
        head.append("Connection: close")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + data


def complete_responses(data: bytes) -> int:
    count = 0
    while b"\r\n\r\n" in data:
        head, rest = data.split(b"\r\n\r\n", 1)
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))
        if len(rest) < length:
            break
        data = rest[length:]
        count += 1
    return count


async def exchange(server, requests: list[bytes], together: bool = False) -> tuple[list[list[bytes]], RecordingTransport]:
    """Send the requests one after the other on one connection (or all in one segment: pipelined); answer the
    writes each response took."""
    protocol = serving.HttpProtocol(server.app, server.limits, server, asyncio.get_running_loop())
    transport = RecordingTransport()
    protocol.connection_made(transport)
    per_response = []
    if together:
        protocol.data_received(b"".join(requests))
        for _ in range(1000):
            await asyncio.sleep(0)
            if complete_responses(b"".join(transport.writes)) == len(requests):
                break
        return [[w] for w in transport.writes], transport
    for i, raw in enumerate(requests):
        before = len(transport.writes)
        protocol.data_received(raw)
        for _ in range(1000):
            await asyncio.sleep(0)
            if complete_responses(b"".join(transport.writes)) == i + 1:
                break
        else:
            pytest.fail(f"no complete response to request {i + 1}: {transport.writes!r}")
        for _ in range(3):  # let a close that follows the response happen
            await asyncio.sleep(0)
        per_response.append(transport.writes[before:])
    return per_response, transport


def test_serve_writes_each_response_once(serve_http):
    create = request("CodeConnections_20231201.CreateConnection", {"ConnectionName": "one", "ProviderType": "GitHub"})
    listing = request("CodeConnections_20231201.ListConnections", {})
    bad = request("CodeConnections_20231201.GetConnection", {"ConnectionArn": "arn:aws:codeconnections:us-east-1:123456789012:connection/x"})
    last = request("CodeConnections_20231201.ListHosts", {}, close=True)
    responses, transport = asyncio.run(exchange(serve_http, [create, listing, bad, last]))

    assert [len(writes) for writes in responses] == [1, 1, 1, 1]
    statuses = [writes[0].split(b"\r\n", 1)[0] for writes in responses]
    assert statuses == [b"HTTP/1.1 200 OK", b"HTTP/1.1 200 OK", b"HTTP/1.1 404 Not Found", b"HTTP/1.1 200 OK"]
    created = json.loads(responses[0][0].split(b"\r\n\r\n", 1)[1])
    assert created["ConnectionArn"].startswith("arn:aws:codeconnections:us-east-1:123456789012:connection/")
    listed = json.loads(responses[1][0].split(b"\r\n\r\n", 1)[1])
    assert [c["ConnectionArn"] for c in listed["Connections"]] == [created["ConnectionArn"]]
    # Keep-alive until the client asks to close; the last response is written before the close.
    assert transport.closed


def test_pipelined_requests_are_answered_in_order_one_write_each(serve_http):
    names = [f"p{i}" for i in range(5)]
    creates = [request("CodeConnections_20231201.CreateConnection", {"ConnectionName": n, "ProviderType": "GitHub"}) for n in names]
    last = request("CodeConnections_20231201.ListConnections", {}, close=True)
    responses, transport = asyncio.run(exchange(serve_http, [*creates, last], together=True))

    assert len(responses) == 6 and complete_responses(b"".join(w[0] for w in responses)) == 6
    bodies = [json.loads(w[0].split(b"\r\n\r\n", 1)[1]) for w in responses]
    arns = [b["ConnectionArn"] for b in bodies[:5]]
    assert [c["ConnectionName"] for c in bodies[5]["Connections"]] == names  # created in the order sent
    assert [c["ConnectionArn"] for c in bodies[5]["Connections"]] == arns
    assert b"connection: close" in responses[5][0] and transport.closed
