"""The HTTP/1.1 server of `codestar-local serve` (serving/), over raw sockets: keep-alive, pipelining, chunked bodies,
Expect: 100-continue, HTTP/1.0, bad requests, HEAD, and a graceful stop on SIGTERM."""

from __future__ import annotations

import json
import signal
import socket
import time

import pytest

from servers import Server

TARGET = "com.amazonaws.codeconnections.CodeConnections_20231201."
AUTH = ("AWS4-HMAC-SHA256 Credential=123456789012/20260101/us-east-1/codeconnections/aws4_request, SignedHeaders=host, "
        "Signature=0")


@pytest.fixture
def serve():
    s = Server()
    yield s
    s.stop()


def head(op: str, extra: list[str] = (), version: str = "1.1") -> list[str]:
    return [f"POST / HTTP/{version}", "Host: 127.0.0.1", f"X-Amz-Target: {TARGET}{op}",
            "Content-Type: application/x-amz-json-1.0", f"Authorization: {AUTH}", *extra]


def request(op: str, body: dict, extra: list[str] = (), version: str = "1.1") -> bytes:
    data = json.dumps(body).encode()
    return ("\r\n".join(head(op, [*extra, f"Content-Length: {len(data)}"], version)) + "\r\n\r\n").encode() + data


class Reader:
    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buf = b""

    def _more(self) -> bool:
        data = self.sock.recv(65536)
        self.buf += data
        return bool(data)

    def response(self) -> tuple[int, dict, bytes]:
        while b"\r\n\r\n" not in self.buf:
            if not self._more():
                raise EOFError(self.buf)
        top, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = top.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
        if status == 100:
            return status, headers, b""
        length = int(headers.get("content-length", "0"))
        while len(self.buf) < length:
            if not self._more():
                raise EOFError(self.buf)
        body, self.buf = self.buf[:length], self.buf[length:]
        return status, headers, body

    def closed(self) -> bool:
        self.sock.settimeout(5)
        try:
            return self.buf == b"" and not self._more()
        except ConnectionResetError:
            return True


def connect(server) -> tuple[socket.socket, Reader]:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    return sock, Reader(sock)


def test_keep_alive_answers_many_requests_on_one_connection(serve):
    sock, r = connect(serve)
    with sock:
        for i in range(20):
            sock.sendall(request("CreateConnection", {"ConnectionName": f"k{i}", "ProviderType": "GitHub"}))
            status, headers, body = r.response()
            assert status == 200 and "connection" not in headers
            assert json.loads(body)["ConnectionArn"].startswith("arn:aws:codeconnections:")


def test_pipelined_requests_come_back_in_order(serve):
    sock, r = connect(serve)
    with sock:
        names = [f"pipe{i}" for i in range(30)]
        sock.sendall(b"".join(request("CreateConnection", {"ConnectionName": n, "ProviderType": "GitHub"}) for n in names)
                     + request("ListConnections", {"MaxResults": 100}))
        arns = []
        for _ in names:
            status, _, body = r.response()
            assert status == 200
            arns.append(json.loads(body)["ConnectionArn"])
        status, _, body = r.response()
        listed = {c["ConnectionArn"]: c["ConnectionName"] for c in json.loads(body)["Connections"]}
        assert [listed[a] for a in arns] == names


def test_a_chunked_request_body_is_read_whole(serve):
    sock, r = connect(serve)
    data = json.dumps({"ConnectionName": "chunky", "ProviderType": "GitHub", "Tags": [{"Key": "k", "Value": "v" * 200}]}).encode()
    pieces = [data[i:i + 7] for i in range(0, len(data), 7)]
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
    with sock:
        sock.sendall(("\r\n".join(head("CreateConnection", ["Transfer-Encoding: chunked"])) + "\r\n\r\n").encode())
        for i in range(0, len(chunked), 50):  # in several segments too
            sock.sendall(chunked[i:i + 50])
            time.sleep(0.001)
        status, _, body = r.response()
        assert status == 200
        arn = json.loads(body)["ConnectionArn"]
        sock.sendall(request("ListTagsForResource", {"ResourceArn": arn}))
        status, _, body = r.response()
        assert json.loads(body)["Tags"] == [{"Key": "k", "Value": "v" * 200}]


def test_expect_100_continue(serve):
    sock, r = connect(serve)
    data = json.dumps({"ConnectionName": "expect", "ProviderType": "GitHub"}).encode()
    with sock:
        sock.sendall(("\r\n".join(head("CreateConnection", ["Expect: 100-continue", f"Content-Length: {len(data)}"]))
                      + "\r\n\r\n").encode())
        status, _, _ = r.response()
        assert status == 100
        sock.sendall(data)
        status, _, body = r.response()
        assert status == 200 and json.loads(body)["ConnectionArn"]


def test_http_1_0_closes_after_the_response(serve):
    sock, r = connect(serve)
    with sock:
        sock.sendall(request("ListConnections", {}, version="1.0"))
        status, headers, body = r.response()
        assert status == 200 and headers["connection"] == "close" and "Connections" in json.loads(body)
        assert r.closed()


def test_connection_close_from_the_client_is_honoured(serve):
    sock, r = connect(serve)
    with sock:
        sock.sendall(request("ListConnections", {}, ["Connection: close"]))
        status, headers, _ = r.response()
        assert status == 200 and headers["connection"] == "close"
        assert r.closed()


def test_a_malformed_request_gets_400_and_a_close(serve):
    sock, r = connect(serve)
    with sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n")
        status, headers, body = r.response()
        assert status == 400 and headers["connection"] == "close"
        assert json.loads(body)["__type"] == "BadRequestException"
        assert r.closed()
    # The server is still fine.
    sock, r = connect(serve)
    with sock:
        sock.sendall(request("ListConnections", {}))
        assert r.response()[0] == 200


def test_head_gets_headers_and_no_body(serve):
    sock, r = connect(serve)
    with sock:
        sock.sendall(b"HEAD /_codestar-local/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        sock.settimeout(5)
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        top, rest = data.split(b"\r\n\r\n", 1)
        length = int(top.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        assert top.startswith(b"HTTP/1.1 ") and length > 0 and rest == b""  # the length of a body not sent
        sock.sendall(b"GET /_codestar-local/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")  # still in step
        r.buf = b""
        status, _, body = r.response()
        assert status == 200 and json.loads(body)["status"] == "ok"


def test_sigterm_lets_the_request_in_progress_finish_and_exits_0():
    s = Server()
    try:
        idle, _ = connect(s)
        busy, r = connect(s)
        whole = request("CreateConnection", {"ConnectionName": "last", "ProviderType": "GitHub"})
        busy.sendall(whole[:-10])  # a request half sent when the stop comes
        time.sleep(0.2)
        s.proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        busy.sendall(whole[-10:])
        status, headers, body = r.response()
        assert status == 200 and headers["connection"] == "close" and json.loads(body)["ConnectionArn"]
        assert r.closed()
        assert Reader(idle).closed()  # the idle connection was closed, not left hanging
        assert s.proc.wait(10) == 0
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", s.port), timeout=2).close()
    finally:
        if s.proc.poll() is None:
            s.stop()
