"""DNS rebinding: a server listening on loopback answers only loopback Host names (and --allow-host ones).

A page on attacker.example whose DNS name is re-pointed at 127.0.0.1 is same-origin with the server for the browser:
CORS and the Origin check do not stop it, but its requests say `Host: attacker.example:<port>`."""

from __future__ import annotations

import http.client
import json

import pytest
from servers import Server

LIST = {"Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "com.amazonaws.codestar.connections.CodeStar_connections_20191201.ListConnections"}


def call(server, host, method="POST", path="/", headers=LIST, body=b"{}"):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.putrequest(method, path, skip_host=True)
        conn.putheader("Host", host)
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def loopback():
    s = Server(extra=["--allow-host", "dev.internal"])
    yield s
    s.stop()


@pytest.mark.parametrize("host", ["attacker.example:{port}", "attacker.example", "127.0.0.1.attacker.example:{port}",
                                  "localhost.attacker.example", "10.0.0.5:{port}", "[::2]:{port}"])
def test_foreign_hosts_are_refused(loopback, host):
    host = host.format(port=loopback.port)
    for method, path, headers, body in (("POST", "/", LIST, b"{}"),
                                        ("POST", "/_codestar-local/reset", {"Content-Type": "application/json"}, b"{}"),
                                        ("GET", "/_codestar-local/console", {}, b""),
                                        ("GET", "/_codestar-local/state", {}, b"")):
        status, h, raw = call(loopback, host, method, path, headers, body)
        assert status == 403, (host, path, raw)
        assert h["x-amzn-errortype"] == "ForbiddenHostException"
        assert "DNS rebinding" in json.loads(raw)["message"]


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST", "127.0.0.2:{port}", "[::1]:{port}",
                                  "app.localhost:{port}", "dev.internal:{port}"])
def test_loopback_and_allowed_hosts_are_served(loopback, host):
    status, _, raw = call(loopback, host.format(port=loopback.port))
    assert status == 200, raw
    assert "Connections" in json.loads(raw)


def test_a_refused_host_changes_nothing(loopback):
    made = call(loopback, "127.0.0.1", headers={**LIST, "X-Amz-Target": LIST["X-Amz-Target"].replace("ListConnections", "CreateConnection")},
                body=b'{"ProviderType": "GitHub", "ConnectionName": "kept"}')
    assert made[0] == 200
    assert call(loopback, "attacker.example", "POST", "/_codestar-local/reset", {"Content-Type": "application/json"})[0] == 403
    listed = json.loads(call(loopback, "localhost")[2])["Connections"]
    assert "kept" in [c["ConnectionName"] for c in listed]


def test_no_host_check_off_loopback():
    """Listening on every address (with an admin token), names such as a Docker service name must work."""
    s = Server(extra=["--host", "0.0.0.0", "--admin-token", "t0ken-for-the-test"])
    try:
        status, _, raw = call(s, "codestar-local:4599")
        assert status == 200, raw
    finally:
        s.stop()
