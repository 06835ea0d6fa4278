"""A real codestar-local server on 127.0.0.1 in a background thread, for test suites.

The App lives in this process, so tests can reset it directly; clients still go
over HTTP through the same server as `codestar-local serve` (serving/).
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.request

import orjson

from .clients import DEFAULT_REGION, make_client

# botocore's environment names for each service's endpoint (AWS_ENDPOINT_URL_<service id>).
ENDPOINT_VARS = ("AWS_ENDPOINT_URL_CODESTAR_CONNECTIONS", "AWS_ENDPOINT_URL_CODECONNECTIONS", "AWS_ENDPOINT_URL_CODESTAR")


class ThreadServer:
    def __init__(self, app=None, host: str = "127.0.0.1"):
        from ..app import App

        self.app = app or App("memory")
        self.sock = socket.socket()
        self.sock.bind((host, 0))
        self.port = self.sock.getsockname()[1]
        self.endpoint_url = f"http://{host}:{self.port}"
        self.server = None
        self.thread = None

    def start(self) -> ThreadServer:
        from ..serving.server import Server

        self.sock.listen(2048)
        self.server = Server(self.app)
        self.thread = threading.Thread(target=self.server.run, args=([self.sock],), kwargs={"startup": False},
                                       name="codestar-local", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("codestar-local test server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
            self.thread.join(10)
            self.server = None
        self.sock.close()
        self.app.close()

    # -- helpers for tests ---------------------------------------------------
    def reset(self) -> None:
        """Forget every resource of every account."""
        self.app.store.reset()

    def control(self, method: str, path: str, body: dict | None = None) -> dict:
        """Call the control API over HTTP; raises RuntimeError on a non-200 answer."""
        data = orjson.dumps(body) if body is not None else None
        req = urllib.request.Request(
            f"{self.endpoint_url}/_codestar-local/{path.lstrip('/')}",
            data=data,
            method=method,
            headers={"content-type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as e:
            answer = orjson.loads(e.read() or b"{}")
            err = answer.get("error", {}) if isinstance(answer, dict) else {}
            raise RuntimeError(f"control {method} {path}: {e.code} {err.get('code')}: {err.get('message')}") from None
        return orjson.loads(raw) if raw else {}

    def handshake(self, connection_arn: str, installation_id: str | None = None) -> dict:
        """Finish a connection's console handshake: PENDING -> AVAILABLE."""
        body = {"ConnectionArn": connection_arn}
        if installation_id is not None:
            body["InstallationId"] = installation_id
        return self.control("POST", "connections/handshake", body)

    def client(self, service: str, account: str | None = None, region: str = DEFAULT_REGION, **kw):
        """A boto3 client pointed at this server; `account` (12 digits) becomes the access key id."""
        return make_client(service, self.endpoint_url, account, region, **kw)
