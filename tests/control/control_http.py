"""Helpers for the control API tests: plain HTTP against a real server.

Test modules import what they use from here (`from control_http import ...`),
including the `own_server` fixture.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest


from servers import Server, free_port  # noqa: E402,F401  (re-exported to the control tests)


class Answer:
    def __init__(self, status, headers, body: bytes):
        self.status, self.headers, self.raw = status, headers, body

    @property
    def json(self):
        return json.loads(self.raw)

    @property
    def text(self) -> str:
        return self.raw.decode()

    @property
    def error(self):
        return self.json["error"]["code"]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def http(server, method: str, path: str, body=None, headers=None, raw: bytes | None = None) -> Answer:
    url = server.endpoint_url + path
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with OPENER.open(req, timeout=30) as r:
            return Answer(r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:
        return Answer(e.code, e.headers, e.read())


def ctl(server, path: str, body=None, method: str = "POST") -> Answer:
    return http(server, method, "/_codestar-local/" + path, body)


@pytest.fixture(scope="module")
def own_server():
    """A server of this module alone, for tests that reset or replace all state."""
    s = Server()
    yield s
    s.stop()
