"""Helpers for the control API tests: plain HTTP against a real server.

Test modules import what they use from here (`from control_http import ...`),
including the `own_server` fixture.
"""

from __future__ import annotations

import html
import json
import re
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


CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


def console_csrf(server, headers=None) -> tuple[str, str]:
    """A console form's CSRF token and the Cookie header that goes with it, as a browser gets them from a page."""
    page = http(server, "GET", "/_codestar-local/console", headers=headers)
    assert page.status == 200, page.status
    token = html.unescape(CSRF_FIELD.search(page.text).group(1))
    jar = dict(c.split(";", 1)[0].split("=", 1) for c in page.headers.get_all("set-cookie") or [])
    sent = dict(p.strip().split("=", 1) for p in (headers or {}).get("Cookie", "").split(";") if "=" in p)
    return token, "; ".join(f"{k}={v}" for k, v in {**sent, **jar}.items())


def ctl(server, path: str, body=None, method: str = "POST") -> Answer:
    return http(server, method, "/_codestar-local/" + path, body)


@pytest.fixture(scope="module")
def own_server():
    """A server of this module alone, for tests that reset or replace all state."""
    s = Server()
    yield s
    s.stop()
