"""Raw HTTP bursts for tests of what the server does with requests that arrive together (group commit, the
PostgreSQL read cache)."""

from __future__ import annotations

import json
import socket
import threading
import time

TARGET = "com.amazonaws.codestar.connections.CodeStar_connections_20191201."


def raw(op: str, body: dict, account: str) -> bytes:
    data = json.dumps(body).encode()
    return (f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: {TARGET}{op}\r\n"
            "Content-Type: application/x-amz-json-1.0\r\n"
            f"Authorization: AWS4-HMAC-SHA256 Credential={account}/20260101/us-east-1/codestar-connections/aws4_request, "
            f"SignedHeaders=host, Signature=0\r\nContent-Length: {len(data)}\r\n\r\n").encode() + data


def read_response(sock: socket.socket) -> tuple[int, dict]:
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += sock.recv(65536)
    head, rest = buf.split(b"\r\n\r\n", 1)
    length = int(next(l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")))
    while len(rest) < length:
        rest += sock.recv(65536)
    return int(head.split()[1]), json.loads(rest[:length])


def burst(server, requests: list[bytes]) -> list[tuple[int, dict]]:
    """Each request on a connection of its own, all sent while the server's loop is held up, so that it finds them
    waiting together when it goes on; then every answer read."""
    socks = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in requests]
    try:
        time.sleep(0.2)  # the accepts are done
        gate = threading.Event()
        server.server.loop.call_soon_threadsafe(gate.wait, 10)
        for sock, data in zip(socks, requests):
            sock.sendall(data)
        time.sleep(0.3)
        gate.set()
        return [read_response(sock) for sock in socks]
    finally:
        for sock in socks:
            sock.close()
