"""The web console: /_codestar-local/console.

Server-rendered pages (they work without JavaScript; console.js only enhances
them: live refresh and in-place form posts). One account and region at a time.
Every form posts to a /console/... endpoint that answers 303 back to the page,
or JSON when the request asks for it (Accept: application/json). Every POST form
carries a CSRF token (control/guard.py); with an admin token the console has a
login page (/console/login) that sets the session cookie, and a sign-out button.
"""

from __future__ import annotations

import hashlib
import logging
import pathlib
import re
import secrets
import urllib.parse

import orjson

from ... import __version__
from ...messages import Response
from .. import actions
from ..api import request_rows
from ..errors import ControlError, json_response
from ..guard import REALM, SESSION_SECONDS
from .html import Safe, Template, fmt, join
from .model import scope_model, scopes
from .render import (
    NOTICES,
    connections_section,
    handshake_form,
    hosts_section,
    links_section,
    profiles_section,
    projects_section,
    provider_info,
    requests_section,
    scope_form,
    session_bar,
    summary,
    sync_section,
)

log = logging.getLogger("codestar_local.control")

HERE = pathlib.Path(__file__).parent
BASE = "/_codestar-local/console"
LOGIN = f"{BASE}/login"
LOGOUT = f"{BASE}/logout"
# Where the login page may send the browser afterwards: a console page, nothing else (no header injection).
NEXT = re.compile(re.escape(BASE) + r"(?:[/?#][!-~]*)?")
CSRF_MESSAGE = (
    "This form was not accepted: its security token (CSRF token) is missing or does not match your session. "
    "That happens when a page was left open across a sign-out or a restart of the server, or when another site "
    "tried to send the form. Go back to the console, reload the page and try again."
)
STATIC_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
LOG_ROWS = 25


def html_response(status: int, body: str, headers=()) -> Response:
    # The other security headers (nosniff, frame and referrer policies, ...) are added for every control response.
    return Response(
        status,
        [(b"content-type", b"text/html; charset=utf-8"), (b"cache-control", b"no-store"), (b"content-security-policy", CSP.encode()),
         *headers],
        body.encode(),
    )


def redirect(location: str) -> Response:
    return Response(303, [(b"location", location.encode()), (b"cache-control", b"no-store")], b"")


def safe_next(value) -> str | None:
    """A console URL to go to after the login, or None."""
    if type(value) is not str or not NEXT.fullmatch(value) or value.startswith((LOGIN, LOGOUT)):
        return None
    return value


def page_url(account: str, region: str, **extra) -> str:
    query = {"account": account, "region": region, **{k: v for k, v in extra.items() if v}}
    return f"{BASE}?{urllib.parse.urlencode(query)}"


class Console:
    def __init__(self, control):
        self.control = control
        self.app = control.app
        self.layout = Template((HERE / "templates" / "layout.html").read_text())
        self.handshake_template = Template((HERE / "templates" / "handshake.html").read_text())
        self.login_template = Template((HERE / "templates" / "login.html").read_text())
        self.guard = control.guard
        self.files = {}
        for path in sorted((HERE / "static").iterdir()):
            if path.suffix in STATIC_TYPES:
                data = path.read_bytes()
                etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
                self.files[path.name] = (data, STATIC_TYPES[path.suffix], etag)

    def routes(self) -> dict:
        return {
            ("GET", BASE): self.page,
            ("GET", f"{BASE}/handshake"): self.handshake_page,
            ("GET", f"{BASE}/data.json"): self.data,
            ("POST", f"{BASE}/connections/handshake"): self.post_handshake,
            ("POST", f"{BASE}/connections/status"): self.post_connection_status,
            ("POST", f"{BASE}/hosts/setup"): self.post_host_setup,
            ("POST", f"{BASE}/hosts/status"): self.post_host_status,
            ("POST", f"{BASE}/reset"): self.post_reset,
            ("GET", LOGIN): self.login_page,
            ("POST", LOGIN): self.post_login,
            ("POST", LOGOUT): self.post_logout,
        }

    @staticmethod
    def public_routes() -> set:
        """Open with an admin token too (the static files are open as well, see ControlApi)."""
        return {("GET", LOGIN), ("POST", LOGIN)}

    @staticmethod
    def owns(path: str) -> bool:
        return path == BASE or path.startswith(BASE + "/")

    def unauthorised(self, req, path: str):
        """A console request without a valid token or session: pages go to the login page (303), forms posted
        by a browser get a 401 page; None for the rest (data.json, the script's posts), which get the JSON 401."""
        if req.method in ("GET", "HEAD") and path != f"{BASE}/data.json":
            target = path + (f"?{req.query}" if req.query else "")
            return redirect(f"{LOGIN}?" + urllib.parse.urlencode({"next": target}) if safe_next(target) and target != BASE else LOGIN)
        if req.method == "POST" and "application/json" not in req.headers.get("accept", ""):
            body = fmt('<div class="notice notice-error" role="alert">You are not signed in (or your session has ended), '
                       'so nothing was changed.</div><p><a class="btn btn-primary" href="{login}">Sign in</a></p>', login=LOGIN)
            return html_response(401, self._shell("Sign in", body, "000000000000", "us-east-1"),
                                 [(b"www-authenticate", REALM.encode())])
        return None

    # -- helpers -----------------------------------------------------------
    def _scope(self, values: dict) -> tuple[str, str]:
        body = {k: v for k, v in (("AccountId", values.get("account")), ("Region", values.get("region"))) if v}
        return self.control.scope(body)

    @staticmethod
    def _query(req) -> dict:
        return {k: v[-1] for k, v in urllib.parse.parse_qs(req.query).items()}

    @staticmethod
    def _form(req) -> dict:
        try:
            text = req.body.decode("utf-8")
        except UnicodeDecodeError:
            raise ControlError(400, "InvalidParameter", "The form is not UTF-8") from None
        return {k: v[-1] for k, v in urllib.parse.parse_qs(text).items()}

    def _shell(self, title: str, body, account: str, region: str, scopes=None, req=None) -> str:
        """The page layout; given the request, a signed-in page also gets the sign-out button."""
        session = Safe("")
        if req is not None and self.guard.enabled and self.guard.session(req) is not None:
            session = session_bar(BASE, self.guard.csrf(req)[0])
        return self.layout.render(
            title=title,
            static=Safe(f"{BASE}/static"),
            home=page_url(account, region),
            scope=scope_form(BASE, account, region, scopes) if scopes is not None else Safe(""),
            session=session,
            body=body,
            version=__version__,
            state=self.app.store.url,
        )

    def _error_page(self, status: int, message: str, req=None) -> Response:
        body = fmt('<div class="notice notice-error" role="alert">{message}</div><p><a href="{home}">Back to the console</a></p>',
                   message=message, home=BASE)
        return html_response(status, self._shell("Error", body, "000000000000", "us-east-1", req=req))

    def _csrf(self, req) -> tuple[str, list]:
        """The CSRF token for a page's forms, and the Set-Cookie header it needs (if any)."""
        token, set_cookie = self.guard.csrf(req)
        return token, [(b"set-cookie", set_cookie)] if set_cookie else []

    def _csrf_refused(self, req, wants_json: bool):
        if wants_json:
            raise ControlError(403, "InvalidCsrfToken", CSRF_MESSAGE)
        return self._error_page(403, CSRF_MESSAGE, req)

    def _model(self, account: str, region: str, with_scopes: bool = True) -> dict:
        """What a page shows. The fingerprint leaves out the account switcher's counts, whose scan
        of every item is too dear for a poll every two seconds; any API call changes the request
        log, and so the fingerprint, anyway."""
        now = self.app.clock()
        with self.app.store.read() as tx:
            model = scope_model(tx, account, region, now)
            model["requests"] = request_rows(self.app, LOG_ROWS)
            model["fingerprint"] = hashlib.sha1(orjson.dumps(model, option=orjson.OPT_SORT_KEYS)).hexdigest()
            if with_scopes:
                model["scopes"] = scopes(tx, account, region, now)
        return model

    # -- pages -------------------------------------------------------------
    def page(self, req):
        query = self._query(req)
        try:
            account, region = self._scope(query)
        except ControlError as e:
            return self._error_page(400, e.message)
        model = self._model(account, region)
        model["csrf"], cookies = self._csrf(req)
        model["gitEndpoint"] = "http://" + (req.headers.get("host") or "127.0.0.1:4599")  # for the Git remotes' URLs
        notice = self._notice(query, model)
        live = join(
            [
                summary(model),
                connections_section(BASE, model),
                hosts_section(BASE, model),
                links_section(model),
                sync_section(model),
                projects_section(model),
                profiles_section(model),
                requests_section(model, LOG_ROWS),
            ]
        )
        body = join(
            [
                fmt('<h1 class="page-title">Account <span class="mono">{account}</span> · {region}</h1>', account=account, region=region),
                notice,
                fmt('<div id="live" data-fingerprint="{fp}" data-poll="{poll}">', fp=model["fingerprint"],
                    poll=f"{BASE}/data.json?" + urllib.parse.urlencode({"account": account, "region": region})),
                live,
                Safe("</div>"),
                fmt(
                    '<details class="danger"><summary>Danger zone</summary>'
                    '<form method="post" action="{base}/reset" data-confirm="Delete every resource of account {account}?">'
                    '<input type="hidden" name="account" value="{account}"><input type="hidden" name="region" value="{region}">'
                    '<input type="hidden" name="csrf" value="{csrf}">'
                    "<p>Delete every resource of account <span class=\"mono\">{account}</span> in all regions.</p>"
                    '<button class="btn btn-danger" type="submit">Reset this account</button></form></details>',
                    base=BASE, account=account, region=region, csrf=model["csrf"],
                ),
            ]
        )
        return html_response(200, self._shell("Console", body, account, region, model["scopes"], req), cookies)

    def _notice(self, query: dict, model: dict):
        code = query.get("notice") or query.get("error")
        if not code:
            return Safe("")
        names = {c["arn"]: c["name"] for c in model["connections"]}
        names.update({h["arn"]: h["name"] for h in model["hosts"]})
        kind, text = NOTICES.get(code, ("error", "That action failed."))
        arn = query.get("arn", "")
        status = next((r["status"] for r in model["connections"] + model["hosts"] if r["arn"] == arn), "")
        message = text.format(name=names.get(arn, arn or "the resource"), status=status, account=model["account"])
        return fmt('<div class="notice notice-{kind}" role="status">{message}</div>', kind=kind, message=message)

    def handshake_page(self, req):
        query = self._query(req)
        try:
            account, region = self._scope(query)
        except ControlError as e:
            return self._error_page(400, e.message)
        arn = query.get("arn", "")
        model = self._model(account, region)
        conn = next((c for c in model["connections"] if c["arn"] == arn), None)
        if conn is None:
            return self._error_page(404, f"Connection {arn} does not exist in account {account}.")
        info = provider_info(conn["provider"])
        host = next((h for h in model["all_hosts"] if h["arn"] == conn.get("host")), None)
        choices = installations(arn, conn["provider"])
        csrf, cookies = self._csrf(req)
        body = self.handshake_template.render(
            back=page_url(account, region) + "#connections",
            provider_type=conn["provider"],
            provider_initials=info["initials"],
            provider_label=info["label"],
            unit=info["unit"],
            name=conn["name"],
            short_arn=arn.rsplit("/", 1)[-1],
            body=handshake_form(BASE, conn, host, choices, info, account, region, csrf),
        )
        return html_response(200, self._shell("Update pending connection", body, account, region, model["scopes"], req), cookies)

    def data(self, req):
        query = self._query(req)
        account, region = self._scope(query)
        model = self._model(account, region, with_scopes=False)
        model.pop("all_hosts", None)
        return json_response(200, model)

    def static(self, req):
        name = req.path.rsplit("/", 1)[-1]
        found = self.files.get(name)
        if found is None:
            raise ControlError(404, "NotFound", f"No static file {name}")
        data, ctype, etag = found
        # Public and the same for everyone: revalidated by ETag rather than no-store.
        headers = [(b"content-type", ctype.encode()), (b"etag", etag.encode()), (b"cache-control", b"no-cache")]
        if req.headers.get("if-none-match") == etag:
            return Response(304, headers, b"")
        return Response(200, headers, data)

    # -- form posts ----------------------------------------------------------
    def _post(self, req, action):
        """Run a form action; answer JSON to scripts and a redirect to browsers without JavaScript."""
        form = self._form(req)
        wants_json = "application/json" in req.headers.get("accept", "")
        if not self.guard.csrf_ok(req, form.get("csrf")):
            return self._csrf_refused(req, wants_json)
        account, region = self._scope(form)
        arn = form.get("arn", "")
        try:
            notice, payload = action(form)
        except ControlError as e:
            if wants_json:
                raise
            return redirect(page_url(account, region, error=e.code, arn=arn) + "#" + ("hosts" if "host" in req.path else "connections"))
        if wants_json:
            kind, text = NOTICES[notice]
            name = payload.get("ConnectionName") or payload.get("Name") or ""
            status = payload.get("ConnectionStatus") or payload.get("Status") or ""
            message = text.format(name=name, status=status, account=account)
            return json_response(200, {"ok": True, "message": message, "resource": payload})
        anchor = "#hosts" if "host" in notice else "#connections"
        return redirect(page_url(account, region, notice=notice, arn=arn) + anchor)

    def post_handshake(self, req):
        def act(form):
            arn = actions.text(form, "arn")
            installation = form.get("installation") or None
            if installation == "new":
                installation = f"new-installation ({secrets.randbelow(90_000_000) + 10_000_000})"
            with self.app.store.write(actions.account_of(arn)) as tx:
                return "handshake", actions.handshake(tx, arn, self.app.clock(), installation)

        return self._post(req, act)

    def post_connection_status(self, req):
        def act(form):
            arn = actions.text(form, "arn")
            status = actions.choice(form.get("status"), actions.CONNECTION_STATUSES, "status")
            with self.app.store.write(actions.account_of(arn)) as tx:
                return "connection-status", actions.set_connection_status(tx, arn, status, self.app.clock())

        return self._post(req, act)

    def post_host_setup(self, req):
        def act(form):
            arn = actions.text(form, "arn")
            with self.app.store.write(actions.account_of(arn)) as tx:
                return "host-setup", actions.set_up_host(tx, arn, self.app.clock())

        return self._post(req, act)

    def post_host_status(self, req):
        def act(form):
            arn = actions.text(form, "arn")
            status = actions.choice(form.get("status"), actions.HOST_STATUSES, "status")
            message = (form.get("message") or "").strip()[: actions.MAX_TEXT] or None
            with self.app.store.write(actions.account_of(arn)) as tx:
                return "host-status", actions.set_host_status(tx, arn, status, self.app.clock(), message)

        return self._post(req, act)

    def post_reset(self, req):
        def act(form):
            account, _ = self._scope(form)
            self.app.store.reset(account)
            self.app.git.sweep()
            return "reset", {"AccountId": account}

        return self._post(req, act)

    # -- signing in and out (with an admin token) --------------------------------
    def login_page(self, req):
        goto = safe_next(self._query(req).get("next"))
        if not self.guard.enabled or self.guard.session(req) is not None:
            return redirect(goto or BASE)
        notice = None
        if self._query(req).get("notice") == "signed-out":
            notice = ("ok", "You are signed out.")
        return self._login(req, 200, goto, notice)

    def _login(self, req, status: int, goto, notice=None) -> Response:
        csrf, cookies = self._csrf(req)
        body = self.login_template.render(
            action=LOGIN,
            csrf=csrf,
            next=goto or BASE,
            hours=SESSION_SECONDS // 3600,
            notice=fmt('<div class="notice notice-{kind}" role="{role}" id="login-notice">{text}</div>', kind=notice[0],
                       role="alert" if notice[0] == "error" else "status", text=notice[1]) if notice else Safe(""),
        )
        headers = [*cookies, (b"www-authenticate", REALM.encode())] if status == 401 else cookies
        return html_response(status, self._shell("Sign in", body, "000000000000", "us-east-1"), headers)

    def post_login(self, req):
        if not self.guard.enabled:
            return redirect(BASE)
        form = self._form(req)
        if not self.guard.csrf_ok(req, form.get("csrf")):
            return self._csrf_refused(req, False)
        goto = safe_next(form.get("next"))
        if not self.guard.token_matches((form.get("token") or "").encode("utf-8")):
            log.warning("console sign-in with a wrong admin token")
            return self._login(req, 401, goto, ("error", "That is not this server's admin token."))
        resp = redirect(goto or BASE)
        resp.headers.append((b"set-cookie", self.guard.new_session_cookie()))
        return resp

    def post_logout(self, req):
        if not self.guard.enabled:
            return redirect(BASE)
        if not self.guard.csrf_ok(req, self._form(req).get("csrf")):
            return self._csrf_refused(req, False)
        resp = redirect(f"{LOGIN}?notice=signed-out")
        resp.headers.append((b"set-cookie", self.guard.clear_session_cookie()))
        return resp


def installations(arn: str, provider: str) -> list[tuple[str, str, str]]:
    """Three stable fake provider accounts per connection: (value, account name, detail)."""
    info = provider_info(provider)
    seed = hashlib.sha256(arn.encode()).digest()
    out = []
    for n, name in enumerate(info["accounts"]):
        number = int.from_bytes(seed[n * 4 : n * 4 + 4], "big") % 90_000_000 + 10_000_000
        out.append((f"{name} ({number})", name, f"installation {number}"))
    return out
