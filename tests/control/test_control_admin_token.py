"""The control plane protected (issue 10): admin token, console sessions, CSRF, cross-site refusal, security
headers, CORS, a secret-free health check, the CLI's --admin-token, and serve's refusal of a non-loopback --host
without a token. All against real servers over HTTP."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass

import pytest
from control_http import Server, console_csrf, free_port, http

from codestar_local import browser
from codestar_local.app import App

P = "/_codestar-local"
C = f"{P}/console"
LOGIN = f"{C}/login"
TOKEN = "tok-" + secrets.token_urlsafe(24)
ROLE = "arn:aws:iam::123456789012:role/git-sync"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
BEARER = {"Authorization": f"Bearer {TOKEN}"}
WRONG = {"Authorization": f"Bearer {TOKEN}x"}
LIST_CONNECTIONS = {"Content-Type": "application/x-amz-json-1.0",
                    "X-Amz-Target": "com.amazonaws.codestar.connections.CodeStar_connections_20191201.ListConnections"}


def control_routes():
    """Every (method, path) the control API serves, read from ControlApi itself, so no endpoint is missed."""
    app = App("memory")
    try:
        return sorted(app.control.routes), sorted(app.control.prefixes)
    finally:
        app.close()


ROUTES, PREFIXES = control_routes()
PUBLIC = {("GET", f"{P}/health"), ("GET", LOGIN), ("POST", LOGIN)}
PROTECTED = [r for r in ROUTES if r not in PUBLIC]


def clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "CODESTAR_LOCAL_ADMIN_TOKEN"}
    return {**env, **extra}


@pytest.fixture(scope="module")
def guarded():
    """A server with an admin token, for this module's worker alone (some tests replace its state)."""
    s = Server(extra=["--admin-token", TOKEN], env=clean_env())
    yield s
    s.stop()


@dataclass
class World:
    account: str
    connection: str
    host: str
    link: str
    stack: str


@pytest.fixture
def world(guarded, account) -> World:
    cc = guarded.client("codeconnections", account=account)
    conn = cc.create_connection(ConnectionName="w", ProviderType="GitHub")["ConnectionArn"]
    host = cc.create_host(Name="h", ProviderType="GitHubEnterpriseServer", ProviderEndpoint="https://h.example.com")["HostArn"]
    link = cc.create_repository_link(ConnectionArn=conn, OwnerId="o", RepositoryName="r")["RepositoryLinkInfo"]["RepositoryLinkId"]
    cc.create_sync_configuration(Branch="main", ConfigFile="d.yaml", RepositoryLinkId=link, ResourceName="stack", RoleArn=ROLE,
                                 SyncType="CFN_STACK_SYNC")
    return World(account, conn, host, link, "stack")


@dataclass
class Call:
    query: str = ""
    body: object = None  # JSON
    form: dict | None = None  # a console form (gets the csrf field)
    status: int = 200


def calls(w: World, snapshot) -> dict:
    """A call that works, with the right token, for every control route: a new route needs its entry here."""
    scope = {"account": w.account, "region": "us-east-1"}
    return {
        ("POST", f"{P}/reset"): Call(body={"AccountId": w.account}),
        ("POST", f"{P}/sync/push"): Call(body={"RepositoryLinkId": w.link, "Branch": "main", "DurationSeconds": 0}),
        ("POST", f"{P}/sync/blockers"): Call(body={"ResourceName": w.stack, "AccountId": w.account, "Region": "us-east-1"}),
        ("POST", f"{P}/connections/handshake"): Call(body={"ConnectionArn": w.connection}),
        ("POST", f"{P}/connections/status"): Call(body={"ConnectionArn": w.connection, "ConnectionStatus": "ERROR"}),
        ("POST", f"{P}/hosts/setup"): Call(body={"HostArn": w.host}),
        ("POST", f"{P}/hosts/status"): Call(body={"HostArn": w.host, "Status": "VPC_CONFIG_DELETING"}),
        ("GET", f"{P}/state"): Call(),
        ("PUT", f"{P}/state"): Call(body=snapshot),
        ("GET", f"{P}/requests"): Call(query="limit=5"),
        ("GET", f"{P}/metrics"): Call(),
        ("GET", C): Call(query=urllib.parse.urlencode(scope)),
        ("GET", f"{C}/handshake"): Call(query=urllib.parse.urlencode({**scope, "arn": w.connection})),
        ("GET", f"{C}/data.json"): Call(query=urllib.parse.urlencode(scope)),
        ("POST", f"{C}/connections/handshake"): Call(form={**scope, "arn": w.connection, "installation": "new"}, status=303),
        ("POST", f"{C}/connections/status"): Call(form={**scope, "arn": w.connection, "status": "ERROR"}, status=303),
        ("POST", f"{C}/hosts/setup"): Call(form={**scope, "arn": w.host}, status=303),
        ("POST", f"{C}/hosts/status"): Call(form={**scope, "arn": w.host, "status": "VPC_CONFIG_DELETING"}, status=303),
        ("POST", f"{C}/reset"): Call(form=scope, status=303),
        ("POST", f"{C}/logout"): Call(form={}, status=303),
    }


def send(server, route, call: Call, headers: dict, csrf: str = ""):
    method, path = route
    url = path + (f"?{call.query}" if call.query else "")
    if call.form is not None:
        return http(server, method, url, raw=urllib.parse.urlencode({"csrf": csrf, **call.form}).encode(), headers={**FORM, **headers})
    return http(server, method, url, body=call.body, headers=headers)


def snapshot_items(server):
    answer = http(server, "GET", f"{P}/state", headers=BEARER)
    assert answer.status == 200
    return answer.json


def test_every_route_has_a_call():
    assert set(calls(World("0" * 12, "a", "h", "l", "s"), {})) == set(PROTECTED)
    assert PREFIXES == [("GET", f"{C}/static/")]


def is_console_page(route) -> bool:
    method, path = route
    return method == "GET" and (path == C or path.startswith(C + "/")) and not path.endswith("/data.json")


@pytest.mark.parametrize("route", PROTECTED, ids=lambda r: f"{r[0]} {r[1]}")
@pytest.mark.parametrize("auth", ["none", "wrong"])
def test_without_the_token_every_endpoint_is_refused(guarded, world, route, auth):
    before = snapshot_items(guarded)
    call = calls(world, before)[route]
    answer = send(guarded, route, call, WRONG if auth == "wrong" else {}, csrf="x" * 43)
    if is_console_page(route):
        # Console pages send the browser to the login page, and come back afterwards.
        assert answer.status == 303
        location = answer.headers["location"]
        assert location.startswith(LOGIN)
        if call.query and route[1] == C:
            assert urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)["next"] == [f"{C}?{call.query}"]
    else:
        assert answer.status == 401, answer.text
        challenge = answer.headers["www-authenticate"]
        assert challenge.startswith("Bearer")
        assert ('error="invalid_token"' in challenge) == (auth == "wrong" and call.form is None)
        if call.form is None:
            assert answer.json["error"]["code"] == "Unauthorized"
        else:  # a browser's form post: a page that says so
            assert "text/html" in answer.headers["content-type"] and "not signed in" in answer.text
    assert TOKEN not in answer.text
    after = snapshot_items(guarded)
    assert after["items"] == before["items"] and after["retired"] == before["retired"]


@pytest.mark.parametrize("route", PROTECTED, ids=lambda r: f"{r[0]} {r[1]}")
def test_with_the_token_every_endpoint_works(guarded, world, route):
    call = calls(world, snapshot_items(guarded))[route]
    csrf = console_csrf(guarded, BEARER)[0] if call.form is not None else ""
    answer = send(guarded, route, call, BEARER, csrf)
    assert answer.status == call.status, answer.text
    if call.status == 303:
        assert "error=" not in answer.headers["location"]
    if route == ("POST", f"{P}/connections/status"):
        client = guarded.client("codeconnections", account=world.account)
        assert client.get_connection(ConnectionArn=world.connection)["Connection"]["ConnectionStatus"] == "ERROR"


def test_bearer_scheme_is_case_insensitive_and_other_schemes_do_not_count(guarded):
    assert http(guarded, "GET", f"{P}/requests", headers={"Authorization": f"bearer {TOKEN}"}).status == 200
    sigv4 = "AWS4-HMAC-SHA256 Credential=000000000000/20261121/us-east-1/codeconnections/aws4_request, Signature=00"
    assert http(guarded, "GET", f"{P}/requests", headers={"Authorization": sigv4}).status == 401
    assert http(guarded, "GET", f"{P}/requests", headers={"Authorization": "Bearer"}).status == 401
    assert http(guarded, "GET", f"{P}/requests", headers={"Authorization": "Bearer " + TOKEN[:-1]}).status == 401
    # An unknown path tells nothing without the token.
    assert http(guarded, "GET", f"{P}/nope").status == 401
    assert http(guarded, "GET", f"{P}/nope", headers=BEARER).status == 404


def test_open_routes_with_a_token(guarded):
    health = http(guarded, "GET", f"{P}/health")
    assert health.status == 200 and health.json["status"] == "ok"
    login = http(guarded, "GET", LOGIN)
    assert login.status == 200 and 'name="token"' in login.text and 'type="password"' in login.text
    for name in ("console.css", "console.js", "favicon.svg"):
        assert http(guarded, "GET", f"{C}/static/{name}").status == 200
    # The AWS API is not the control plane: the admin token does not apply to it.
    assert guarded.client("codestar-connections").list_connections()["Connections"] is not None


def test_health_never_shows_the_token(guarded):
    answer = http(guarded, "GET", f"{P}/health")
    assert answer.json == {"status": "ok", "services": answer.json["services"], "version": answer.json["version"], "state": "memory"}
    assert TOKEN not in answer.text and "token" not in answer.text.lower()


def test_health_shows_no_secrets_at_all(tmp_path):
    from pg import fresh_database

    secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + secrets.token_hex(8)
    key_id = "AKIAHEALTHCHECK00001"
    creds = tmp_path / "credentials"
    creds.write_text(f"[ci]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret_key}\naws_account_id = 111111111111\n")
    with fresh_database() as url:
        password = "pw-" + secrets.token_hex(8)
        with_password = url.replace("://postgres@", f"://postgres:{password}@")
        assert password in with_password
        s = Server(state=with_password, extra=["--admin-token", TOKEN, "--auth", "verify", "--credentials", str(creds)], env=clean_env())
        try:
            health = http(s, "GET", f"{P}/health")
            assert health.status == 200
            assert health.json["state"] == url  # the PostgreSQL URL without its password
            page = http(s, "GET", C, headers=BEARER)
            assert page.status == 200 and url in page.text
            for answer in (health, page):
                for secret in (TOKEN, password, secret_key, key_id, str(creds)):
                    assert secret not in answer.text
        finally:
            s.stop()


# -- the console's login ------------------------------------------------------------------
class Browser:
    """Just enough of a browser over plain HTTP: a cookie jar."""

    def __init__(self, server):
        self.server = server
        self.jar: dict = {}

    def request(self, method, path, fields=None, headers=None):
        sent = dict(headers or {})
        if self.jar:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        raw = None
        if fields is not None:
            raw = urllib.parse.urlencode(fields).encode()
            sent = {**FORM, **sent}
        answer = http(self.server, method, path, raw=raw, headers=sent)
        for header in answer.headers.get_all("set-cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "max-age=0" in header.lower():
                self.jar.pop(name, None)
            else:
                self.jar[name] = value
        return answer

    def csrf(self, path=C) -> str:
        return re.search(r'name="csrf" value="([^"]+)"', self.request("GET", path).text).group(1)

    def login(self, token=TOKEN, next_url=None):
        csrf = self.csrf(LOGIN)
        return self.request("POST", LOGIN, {"csrf": csrf, "token": token, **({"next": next_url} if next_url else {})})


def test_login_sets_a_session_cookie_that_holds_no_token(guarded):
    b = Browser(guarded)
    page = b.request("GET", LOGIN)
    assert page.status == 200
    assert "codestar_local_csrf" in b.jar  # the login form's double-submit cookie
    wrong = b.login("not-the-token")
    assert wrong.status == 401 and "not this server&#x27;s admin token" in wrong.text
    assert wrong.headers["www-authenticate"].startswith("Bearer")
    assert "codestar_local_session" not in b.jar
    done = b.login(next_url=f"{C}?account=123456789012")
    assert done.status == 303 and done.headers["location"] == f"{C}?account=123456789012"
    (set_cookie,) = [c for c in done.headers.get_all("set-cookie") if c.startswith("codestar_local_session=")]
    attrs = [a.strip().lower() for a in set_cookie.split(";")[1:]]
    assert "httponly" in attrs and "samesite=strict" in attrs and "path=/_codestar-local/" in attrs
    assert any(a.startswith("max-age=") and int(a[8:]) > 0 for a in attrs)
    value = b.jar["codestar_local_session"]
    assert TOKEN not in value and TOKEN not in set_cookie
    # The cookie opens the console, data.json and the control API's reads.
    assert b.request("GET", C).status == 200
    assert b.request("GET", f"{C}/data.json").status == 200
    assert b.request("GET", f"{P}/state").status == 200
    assert 'id="logout-button"' in b.request("GET", C).text
    # Signed in, the login page sends the browser on.
    again = b.request("GET", LOGIN)
    assert again.status == 303 and again.headers["location"] == C


def test_session_cookie_cannot_be_forged(guarded):
    b = Browser(guarded)
    b.login()
    expires, mac = b.jar["codestar_local_session"].split(".")
    for forged in (f"{expires}.{mac[:-1]}{'0' if mac[-1] != '0' else '1'}", f"{int(expires) + 1}.{mac}", "1.", TOKEN, mac,
                   f"1000.{mac}"):
        answer = http(guarded, "GET", f"{P}/state", headers={"Cookie": f"codestar_local_session={forged}"})
        assert answer.status == 401, forged
    assert http(guarded, "GET", C, headers={"Cookie": f"codestar_local_session={expires}.{mac}"}).status == 200


def test_logout_clears_the_cookie(guarded):
    b = Browser(guarded)
    b.login()
    csrf = b.csrf()
    out = b.request("POST", f"{C}/logout", {"csrf": csrf})
    assert out.status == 303 and out.headers["location"] == f"{LOGIN}?notice=signed-out"
    assert "codestar_local_session" not in b.jar
    assert "You are signed out." in b.request("GET", out.headers["location"]).text
    assert b.request("GET", C).status == 303
    # Logout needs the form's CSRF token like every console form.
    b.login()
    assert b.request("POST", f"{C}/logout", {"csrf": "forged" * 8}).status == 403
    assert "codestar_local_session" in b.jar


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", f"{C}\r\nSet-Cookie: x=y", "/elsewhere",
                                    f"{LOGIN}?next=/x", "javascript:alert(1)"])
def test_login_goes_only_to_console_pages(guarded, target):
    done = Browser(guarded).login(next_url=target)
    assert done.status == 303
    assert done.headers["location"] == C
    assert "x=y" not in (done.headers.get_all("set-cookie") or [""])[0]


def test_login_form_needs_its_csrf_token(guarded):
    b = Browser(guarded)
    b.csrf(LOGIN)
    assert b.request("POST", LOGIN, {"token": TOKEN}).status == 403
    assert b.request("POST", LOGIN, {"token": TOKEN, "csrf": "y" * 43}).status == 403
    assert "codestar_local_session" not in b.jar
    fresh = Browser(guarded)  # the right field but no cookie: refused
    csrf = re.search(r'name="csrf" value="([^"]+)"', http(guarded, "GET", LOGIN).text).group(1)
    assert fresh.request("POST", LOGIN, {"token": TOKEN, "csrf": csrf}).status == 403


def test_sessions_agree_across_processes(tmp_path):
    """Every worker of --workers N is its own process: a cookie from one is good in another with the same token, and
    in none with another token."""
    one = Server(extra=["--admin-token", TOKEN], env=clean_env())
    two = Server(extra=["--admin-token", TOKEN], env=clean_env())
    other = Server(extra=["--admin-token", TOKEN + "-rotated"], env=clean_env())
    try:
        b = Browser(one)
        b.login()
        cookie = {"Cookie": f"codestar_local_session={b.jar['codestar_local_session']}"}
        assert http(two, "GET", f"{P}/state", headers=cookie).status == 200
        csrf = b.csrf()
        moved = http(two, "POST", f"{C}/reset", raw=urllib.parse.urlencode({"csrf": csrf, "account": "123456789012"}).encode(),
                     headers={**FORM, **cookie})
        assert moved.status == 303 and "notice=reset" in moved.headers["location"]
        assert http(other, "GET", f"{P}/state", headers=cookie).status == 401
    finally:
        for s in (one, two, other):
            s.stop()
    workers = Server(state=str(tmp_path / "state.db"), extra=["--workers", "2", "--admin-token", TOKEN], env=clean_env())
    try:
        b = Browser(workers)
        assert b.login().status == 303
        assert all(b.request("GET", f"{C}/data.json").status == 200 for _ in range(20))
    finally:
        workers.stop()


def test_cookie_alone_needs_the_csrf_header_for_json_writes(guarded, world):
    b = Browser(guarded)
    b.login()
    refused = b.request("POST", f"{P}/connections/status", headers={"Content-Type": "application/json"})
    assert refused.status == 403 and refused.json["error"]["code"] == "InvalidCsrfToken"
    csrf = b.csrf()
    sent = {"Content-Type": "application/json", "X-CSRF-Token": csrf, "Cookie": f"codestar_local_session={b.jar['codestar_local_session']}"}
    done = http(guarded, "POST", f"{P}/connections/status", body={"ConnectionArn": world.connection, "ConnectionStatus": "ERROR"},
                headers=sent)
    assert done.status == 200 and done.json["ConnectionStatus"] == "ERROR"


# -- CSRF and cross-site requests ---------------------------------------------------------------
@pytest.mark.parametrize("headers", [{"Origin": "http://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"},
                                     {"Sec-Fetch-Site": "same-site"}, {"Origin": "http://127.0.0.1:1"}],
                         ids=["foreign-origin", "null-origin", "cross-site", "same-site", "other-port"])
def test_cross_site_writes_are_refused_even_with_the_token(guarded, world, headers):
    before = snapshot_items(guarded)
    for path, body in ((f"{P}/reset", {}), (f"{P}/connections/handshake", {"ConnectionArn": world.connection})):
        answer = http(guarded, "POST", path, body=body, headers={**BEARER, **headers})
        assert answer.status == 403 and answer.json["error"]["code"] == "CrossOriginRequest"
    csrf = console_csrf(guarded, BEARER)[0]
    form = http(guarded, "POST", f"{C}/reset", raw=urllib.parse.urlencode({"csrf": csrf, "account": world.account}).encode(),
                headers={**FORM, **BEARER, **headers})
    assert form.status == 403
    assert snapshot_items(guarded)["items"] == before["items"]
    # Reads are not state-changing: allowed (the same-origin policy keeps their answers from other pages).
    assert http(guarded, "GET", f"{P}/requests", headers={**BEARER, **headers}).status == 200


def test_same_origin_writes_pass(guarded, world):
    for extra in ({"Sec-Fetch-Site": "same-origin", "Origin": guarded.endpoint_url}, {"Sec-Fetch-Site": "none"}, {}):
        answer = http(guarded, "POST", f"{P}/connections/status", body={"ConnectionArn": world.connection, "ConnectionStatus": "ERROR"},
                      headers={**BEARER, **extra})
        assert answer.status == 200, (extra, answer.text)


def form_post(server, path, fields, headers=None, accept_json=False):
    sent = {**FORM, **(headers or {})}
    if accept_json:
        sent["Accept"] = "application/json"
    return http(server, "POST", f"{C}{path}", raw=urllib.parse.urlencode(fields).encode(), headers=sent)


@pytest.mark.parametrize("how", ["missing", "wrong", "no-cookie", "other-cookie"])
def test_console_form_without_the_right_csrf_token_is_refused(server, account, how):
    """Without an admin token too: the console's forms carry a double-submit CSRF token."""
    client = server.client("codestar-connections", account=account)
    arn = client.create_connection(ConnectionName="csrf", ProviderType="GitHub")["ConnectionArn"]
    token, cookie = console_csrf(server)
    fields = {"arn": arn, "status": "ERROR", "account": account}
    sent = {
        "missing": ({}, {"Cookie": cookie}),
        "wrong": ({"csrf": token[:-2] + ("AA" if not token.endswith("AA") else "BB")}, {"Cookie": cookie}),
        "no-cookie": ({"csrf": token}, {}),
        "other-cookie": ({"csrf": token}, {"Cookie": console_csrf(server)[1]}),
    }[how]
    page = form_post(server, "/connections/status", {**fields, **sent[0]}, sent[1])
    assert page.status == 403
    assert "text/html" in page.headers["content-type"]
    assert "CSRF token" in page.text and "reload the page" in page.text
    script = form_post(server, "/connections/status", {**fields, **sent[0]}, sent[1], accept_json=True)
    assert script.status == 403 and script.json["error"]["code"] == "InvalidCsrfToken"
    assert client.get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"] == "PENDING"
    ok = form_post(server, "/connections/status", {**fields, "csrf": token}, {"Cookie": cookie})
    assert ok.status == 303 and "notice=connection-status" in ok.headers["location"]
    assert client.get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"] == "ERROR"


def test_every_post_form_carries_the_csrf_token(guarded, world):
    b = Browser(guarded)
    b.login()
    pages = [b.request("GET", f"{C}?account={world.account}").text,
             b.request("GET", f"{C}/handshake?" + urllib.parse.urlencode({"arn": world.connection, "account": world.account})).text,
             http(guarded, "GET", LOGIN).text]
    for text in pages:
        forms = re.findall(r'<form method="post".*?</form>', text, re.S)
        assert forms
        for form in forms:
            assert re.search(r'<input type="hidden" name="csrf" value="[A-Za-z0-9_-]{32,}">', form), form


def test_session_csrf_is_bound_to_the_session(guarded, world):
    one, two = Browser(guarded), Browser(guarded)
    one.login()
    time.sleep(1.1)  # the session value holds its expiry time in seconds: a later sign-in is another session
    two.login()
    assert one.jar["codestar_local_session"] != two.jar["codestar_local_session"]
    mine, theirs = one.csrf(), two.csrf()
    assert mine != theirs
    assert one.request("POST", f"{C}/reset", {"csrf": theirs, "account": world.account}).status == 403
    assert one.request("POST", f"{C}/reset", {"csrf": "A" * 64, "account": world.account}).status == 403
    assert one.request("POST", f"{C}/reset", {"csrf": mine, "account": world.account}).status == 303


# -- security headers ------------------------------------------------------------------
CONTROL = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
}


def assert_control_headers(answer, cache="no-store"):
    for name, value in CONTROL.items():
        assert answer.headers.get_all(name) == [value], (name, answer.status, dict(answer.headers))
    assert answer.headers["cache-control"] == cache
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert answer.headers["permissions-policy"]


def test_security_headers_on_control_and_console_responses(guarded, world):
    b = Browser(guarded)
    answers = [
        http(guarded, "GET", f"{P}/health"),
        http(guarded, "GET", f"{P}/requests", headers=BEARER),
        http(guarded, "GET", f"{P}/requests"),  # 401
        http(guarded, "GET", f"{P}/nope", headers=BEARER),  # 404
        http(guarded, "DELETE", f"{P}/requests", headers=BEARER),  # 405
        http(guarded, "POST", f"{P}/reset", body={}, headers={**BEARER, "Origin": "http://evil.example"}),  # 403
        http(guarded, "POST", f"{P}/hosts/setup", body={}, headers=BEARER),  # 400
        http(guarded, "GET", C),  # 303 to the login page
        http(guarded, "GET", LOGIN),
        b.login("wrong"),  # 401 page
        http(guarded, "GET", C, headers=BEARER),
        http(guarded, "GET", f"{C}?account=12", headers=BEARER),  # 400 page
        form_post(guarded, "/reset", {"account": world.account}, BEARER),  # 403 CSRF page
    ]
    assert [a.status for a in answers] == [200, 200, 401, 404, 405, 403, 400, 303, 200, 401, 200, 400, 403]
    for answer in answers:
        assert_control_headers(answer)
    static = http(guarded, "GET", f"{C}/static/console.css")
    assert_control_headers(static, cache="no-cache")  # public files, revalidated by ETag
    page = http(guarded, "GET", C, headers=BEARER)
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_aws_api_responses_get_nosniff_only(server, account):
    ok = http(server, "POST", "/", raw=b"{}", headers={**LIST_CONNECTIONS, "Authorization":
              f"AWS4-HMAC-SHA256 Credential={account}/20261121/us-east-1/codestar-connections/aws4_request, Signature=00"})
    bad = http(server, "POST", "/", raw=b"{}", headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "Nope.Nothing"})
    cbor = http(server, "POST", "/service/CodeConnections_20231201/operation/ListConnections", raw=b"\xa0",
                headers={"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor", "Accept": "application/cbor"})
    assert (ok.status, bad.status >= 400, cbor.status) == (200, True, 200)
    for answer in (ok, bad, cbor):
        assert answer.headers.get_all("x-content-type-options") == ["nosniff"]
        for name in ("x-frame-options", "cross-origin-resource-policy", "content-security-policy", "access-control-allow-origin", "vary"):
            assert name not in answer.headers
        assert answer.headers["x-amzn-RequestId"]


# -- CORS ------------------------------------------------------------------------------
APP = "http://app.example:3000"
SDK_HEADERS = ("authorization", "content-type", "x-amz-date", "x-amz-target", "x-amz-security-token", "x-amz-user-agent",
               "amz-sdk-invocation-id", "amz-sdk-request", "smithy-protocol", "x-amz-content-sha256")


def preflight(server, path="/", origin=APP, method="POST", request_headers=SDK_HEADERS, **extra):
    return http(server, "OPTIONS", path, headers={"Origin": origin, "Access-Control-Request-Method": method,
                                                  "Access-Control-Request-Headers": ",".join(request_headers), **extra})


def cors_headers(answer) -> dict:
    return {k.lower(): v for k, v in answer.headers.items() if k.lower().startswith("access-control-")}


def test_no_cors_by_default(server, account):
    assert cors_headers(preflight(server)) == {}
    assert cors_headers(preflight(server, f"{P}/reset")) == {}
    actual = http(server, "POST", "/", raw=b"{}", headers={**LIST_CONNECTIONS, "Origin": APP})
    assert actual.status == 200 and cors_headers(actual) == {} and "vary" not in actual.headers
    # And the control API refuses the other origin's writes.
    assert http(server, "POST", f"{P}/reset", body={"AccountId": account}, headers={"Origin": APP}).status == 403


@pytest.fixture(scope="module")
def cors_server():
    s = Server(extra=["--cors", APP, "--cors", "http://other.example/", "--admin-token", TOKEN], env=clean_env())
    yield s
    s.stop()


@pytest.mark.parametrize("path", ["/", "/service/CodeConnections_20231201/operation/ListConnections", f"{P}/reset", f"{C}/x"])
def test_preflight_from_an_allowed_origin(cors_server, path):
    answer = preflight(cors_server, path, request_headers=(*SDK_HEADERS, "x-amz-checksum-crc32", "x-unknown"),
                       **{"Access-Control-Request-Private-Network": "true"})
    assert answer.status == 204 and answer.raw == b""
    got = cors_headers(answer)
    assert got["access-control-allow-origin"] == APP
    assert {"GET", "POST", "PUT"} <= {m.strip() for m in got["access-control-allow-methods"].split(",")}
    allowed = {h.strip() for h in got["access-control-allow-headers"].split(",")}
    assert set(SDK_HEADERS) | {"x-amz-checksum-crc32"} <= allowed and "x-unknown" not in allowed
    assert int(got["access-control-max-age"]) > 0
    assert got["access-control-allow-private-network"] == "true"
    assert "Origin" in answer.headers["vary"]
    assert "access-control-allow-credentials" not in got
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_cors_for_the_allowed_origins_only(cors_server, account):
    other = preflight(cors_server, origin="http://other.example")
    assert other.status == 204 and other.headers["access-control-allow-origin"] == "http://other.example"
    for origin in ("http://evil.example", "http://app.example:3001", "https://app.example:3000", "null"):
        assert cors_headers(preflight(cors_server, origin=origin)) == {}, origin
        actual = http(cors_server, "POST", "/", raw=b"{}", headers={**LIST_CONNECTIONS, "Origin": origin})
        assert cors_headers(actual) == {} and actual.headers["vary"] == "Origin"
    actual = http(cors_server, "POST", "/", raw=b"{}", headers={**LIST_CONNECTIONS, "Origin": APP})
    assert actual.status == 200
    assert actual.headers["access-control-allow-origin"] == APP
    exposed = {h.strip().lower() for h in actual.headers["access-control-expose-headers"].split(",")}
    assert {"x-amzn-requestid", "x-amzn-errortype", "x-amz-request-id", "date"} <= exposed
    assert actual.headers["vary"] == "Origin"
    error = http(cors_server, "POST", "/", raw=b"{}", headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "X.Y",
                                                                "Origin": APP})
    assert error.status >= 400 and error.headers["access-control-allow-origin"] == APP
    # The control API: an allowed origin may write (with the token); others are cross-site.
    answer = http(cors_server, "POST", f"{P}/reset", body={"AccountId": account}, headers={**BEARER, "Origin": APP,
                                                                                          "Sec-Fetch-Site": "cross-site"})
    assert answer.status == 200 and answer.headers["access-control-allow-origin"] == APP
    refused = http(cors_server, "POST", f"{P}/reset", body={"AccountId": account}, headers={**BEARER, "Origin": "http://evil.example"})
    assert refused.status == 403 and "access-control-allow-origin" not in refused.headers
    # Without the token an allowed origin gets its 401 readable.
    unauth = http(cors_server, "GET", f"{P}/state", headers={"Origin": APP})
    assert unauth.status == 401 and unauth.headers["access-control-allow-origin"] == APP


def test_cors_unit():
    cors = browser.Cors(["HTTP://App.Example:3000/", "*"])
    assert cors.allowed == {"http://app.example:3000", "*"}
    assert cors.preflight({"origin": "http://anything.example", "access-control-request-method": "POST"}) is None
    assert cors.preflight({"origin": "http://app.example:3000"}) is None  # OPTIONS without a request method
    hostile = cors.preflight({"origin": "http://app.example:3000", "access-control-request-method": "POST",
                              "access-control-request-headers": "x-amz-a\r\nx: y, x-amz-ok"})
    allowed = dict(hostile)[b"access-control-allow-headers"]
    assert b"x-amz-ok" in allowed and b"\r" not in allowed


# -- the CLI ---------------------------------------------------------------------------
def cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "codestar_local.cli", *args], capture_output=True, text=True, timeout=120,
                          env=env or clean_env())


def commands(w: World, guarded, snapshot_file) -> dict:
    e = ("--endpoint", guarded.endpoint_url)
    return {
        "connection handshake": ("connection", "handshake", w.connection, *e),
        "connection status": ("connection", "status", w.connection, "ERROR", *e),
        "host setup": ("host", "setup", w.host, *e),
        "host status": ("host", "status", w.host, "PENDING", *e),
        "reset": ("reset", "--account", w.account, *e),
        "requests": ("requests", "--limit", "1", *e),
        "state export": ("state", "export", "-", *e),
        "state import": ("state", "import", str(snapshot_file), *e),
        "sync push": ("sync", "push", "--link", w.link, "--branch", "main", "--duration", "0", *e),
        "sync blocker": ("sync", "blocker", "--resource", w.stack, "--account", w.account, *e),
        "sync remote": ("sync", "remote", "--link", w.link, *e),
    }


COMMANDS = ["connection handshake", "connection status", "host setup", "host status", "reset", "requests", "state export",
            "state import", "sync push", "sync blocker", "sync remote"]


def test_every_operator_command_is_covered():
    """Every subcommand that talks to a server (has --endpoint) is in COMMANDS, and takes --admin-token."""
    import argparse

    from codestar_local.cli import build_parser

    def leaves(parser, name=""):
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            yield name.strip(), parser
        for action in subs:
            for child, child_parser in action.choices.items():
                yield from leaves(child_parser, f"{name} {child}")

    remote = {name: p for name, p in leaves(build_parser()) if any("--endpoint" in a.option_strings for a in p._actions)}
    assert set(remote) == set(COMMANDS)
    for parser in remote.values():
        assert any("--admin-token" in a.option_strings for a in parser._actions)


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("mode", ["flag", "env", "none", "wrong"])
def test_cli_sends_the_admin_token(guarded, world, tmp_path, command, mode):
    snap = tmp_path / "state.json"
    snap.write_text(json.dumps(snapshot_items(guarded)))
    args = commands(world, guarded, snap)[command]
    env = clean_env()
    if mode == "flag":
        args = (*args, "--admin-token", TOKEN)
    elif mode == "env":
        env["CODESTAR_LOCAL_ADMIN_TOKEN"] = TOKEN
    elif mode == "wrong":
        env["CODESTAR_LOCAL_ADMIN_TOKEN"] = TOKEN + "x"
    done = cli(*args, env=env)
    assert "Traceback" not in done.stderr
    if mode in ("flag", "env"):
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip()
    else:
        assert done.returncode == 1, (done.stdout, done.stderr)
        assert done.stdout == ""
        assert f"Unauthorized: the server at {guarded.endpoint_url}" in done.stderr
        assert ("refused the admin token" if mode == "wrong" else "needs its admin token") in done.stderr
        assert "--admin-token" in done.stderr and "CODESTAR_LOCAL_ADMIN_TOKEN" in done.stderr
        assert TOKEN not in done.stderr


def test_cli_flag_wins_over_the_environment(guarded, world):
    done = cli("connection", "handshake", world.connection, "--endpoint", guarded.endpoint_url, "--admin-token", TOKEN,
               env=clean_env(CODESTAR_LOCAL_ADMIN_TOKEN="stale"))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ConnectionStatus"] == "AVAILABLE"


def test_cli_token_is_harmless_against_an_open_server(server, account):
    done = cli("requests", "--limit", "1", "--endpoint", server.endpoint_url, "--admin-token", "anything")
    assert done.returncode == 0, done.stderr


# -- serve and the address it binds --------------------------------------------------------------
def test_non_loopback_host_without_a_token_is_refused():
    done = cli("serve", "--host", "0.0.0.0", "--port", str(free_port()), "--state", "memory")
    assert done.returncode == 2
    assert "--host 0.0.0.0 is reachable from other machines" in done.stderr
    assert "--admin-token" in done.stderr and "--insecure-admin" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_hosts_need_no_token(host):
    from codestar_local import cli as cli_module

    args = cli_module.build_parser().parse_args(["serve", "--host", host])
    saved = dict(os.environ)
    try:
        os.environ.pop("CODESTAR_LOCAL_ADMIN_TOKEN", None)
        assert cli_module._trust_settings(args) is None
        args = cli_module.build_parser().parse_args(["serve", "--host", "10.1.2.3"])
        assert "--admin-token" in cli_module._trust_settings(args)
        args = cli_module.build_parser().parse_args(["serve", "--host", "10.1.2.3", "--insecure-admin"])
        assert cli_module._trust_settings(args) is None
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.mark.parametrize("extra", [["--admin-token", TOKEN], ["--insecure-admin"]], ids=["token", "insecure-admin"])
def test_non_loopback_host_starts_with_a_token_or_insecure_admin(extra):
    """Binds 0.0.0.0 on a free port for a moment (the last --host wins over Server's default), then stops it."""
    s = Server(extra=["--host", "0.0.0.0", *extra], env=clean_env())
    try:
        state = http(s, "GET", f"{P}/state")
        assert state.status == (401 if "--admin-token" in extra else 200)
        assert http(s, "GET", f"{P}/state", headers=BEARER).status == 200
    finally:
        s.stop()
    assert s.proc.returncode == 0


def test_token_from_the_environment_protects_too():
    s = Server(env=clean_env(CODESTAR_LOCAL_ADMIN_TOKEN=TOKEN))
    try:
        assert http(s, "GET", f"{P}/state").status == 401
        assert http(s, "GET", f"{P}/state", headers=BEARER).status == 200
    finally:
        s.stop()


def test_open_server_has_no_login(server):
    assert http(server, "GET", LOGIN).status == 303
    assert http(server, "GET", LOGIN).headers["location"] == C
    assert 'id="logout-button"' not in http(server, "GET", C).text
    assert http(server, "GET", f"{P}/state").status == 200

