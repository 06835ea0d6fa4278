"""Who may use /_codestar-local/, and from where. See docs/CONSOLE.md, "Protecting the control plane".

- Admin token (Config.admin_token, `serve --admin-token`): when set, every control and console call but
  GET health, the console's login page and its static files needs `Authorization: Bearer <token>` or a console
  session cookie. Tokens are compared in constant time (hmac.compare_digest of SHA-256 digests, so not even the
  length shows). Without a token everything stays open, as the server listens on loopback.
- Console sessions: the login page sets `codestar_local_session=<expires>.<mac>`, where mac is
  HMAC-SHA256(HMAC-SHA256(token, "codestar-local console-session"), "<expires>"). The cookie holds no token and
  no server-side state: every worker of `--workers N` derives the same key from the token and accepts the same
  cookies; a new token (restart) ends every session; logout clears the browser's cookie, and a copied cookie
  stays valid until it expires (SESSION_SECONDS). HttpOnly, SameSite=Strict, Path=/_codestar-local/.
- CSRF: every console form carries a hidden `csrf` field. Signed in, it is an HMAC bound to the session; without
  a session (no admin token, or the login form) it is a double-submit value also kept in the
  `codestar_local_csrf` cookie. Every console POST is checked; state-changing JSON control calls authorised by
  the session cookie alone need it in an `X-CSRF-Token` header.
- Cross-site: state-changing calls (anything but GET/HEAD/OPTIONS) with `Sec-Fetch-Site: cross-site` or
  `same-site` (another port of localhost is the same site), or with an `Origin` that is not this server's host,
  are refused with 403, unless the Origin is one given with --cors.
- Headers: every control and console response carries CONTROL_HEADERS, `Cache-Control: no-store` (static
  files: no-cache with an ETag) and a Content-Security-Policy (the console's own for its pages).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
import urllib.parse

from ..browser import normalise

SESSION_COOKIE = "codestar_local_session"
CSRF_COOKIE = "codestar_local_csrf"
SESSION_SECONDS = 12 * 3600
SESSION_PATH = "/_codestar-local/"
CSRF_PATH = "/_codestar-local/console"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REALM = 'Bearer realm="codestar-local"'
_CSRF_VALUE = re.compile(r"[A-Za-z0-9_-]{32,64}")
_SESSION_VALUE = re.compile(r"([0-9]{1,12})\.([0-9a-f]{64})")

CONTROL_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    # Not no-referrer: under it Chromium sends `Origin: null` with the console's own form posts.
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"x-permitted-cross-domain-policies", b"none"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
)
NO_STORE = (b"cache-control", b"no-store")
API_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


def secure(resp):
    """Add the control plane's security headers to a control or console response."""
    names = {name for name, _ in resp.headers}
    if b"cache-control" not in names:
        resp.headers.append(NO_STORE)
    if b"content-security-policy" not in names:
        resp.headers.append(API_CSP)
    resp.headers.extend(CONTROL_HEADERS)
    return resp


def cookies(req) -> dict:
    """The request's cookies (the last of a repeated name wins); a lenient parse of the Cookie header."""
    out = {}
    for part in req.headers.get("cookie", "").split(";"):
        name, sep, value = part.strip().partition("=")
        if sep:
            out[name] = value.strip()
    return out


def cookie(name: str, value: str, path: str, max_age: int | None = None) -> bytes:
    text = f"{name}={value}; Path={path}"
    if max_age is not None:
        text += f"; Max-Age={max_age}"
    return (text + "; HttpOnly; SameSite=Strict").encode()


def _raw(text: str) -> bytes:
    """A header value back as its bytes (the ASGI adapter decodes headers as latin-1)."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


class Guard:
    """The admin token, console sessions, CSRF tokens and the cross-site check of one app."""

    def __init__(self, token: str | None, cors=()):
        self.token = token or None
        self.cors = frozenset(normalise(o) for o in cors)
        if self.token is not None:
            raw = self.token.encode("utf-8")
            self._digest = hashlib.sha256(raw).digest()
            self._key = hmac.new(raw, b"codestar-local console-session", hashlib.sha256).digest()

    @property
    def enabled(self) -> bool:
        return self.token is not None

    # -- who is calling ---------------------------------------------------------
    def token_matches(self, given: bytes) -> bool:
        return hmac.compare_digest(hashlib.sha256(given).digest(), self._digest)

    def _mac(self, text: str) -> str:
        return hmac.new(self._key, text.encode(), hashlib.sha256).hexdigest()

    def bearer(self, req) -> bool | None:
        """None without a Bearer Authorization header, else whether its token is the admin token."""
        header = req.headers.get("authorization")
        if header is None or header[:7].lower() != "bearer ":
            return None
        return self.token_matches(_raw(header[7:].strip()))

    def session(self, req) -> str | None:
        """The request's valid session cookie value, or None."""
        value = cookies(req).get(SESSION_COOKIE)
        match = _SESSION_VALUE.fullmatch(value) if value else None
        if match is None or int(match.group(1)) <= time.time():
            return None
        return value if hmac.compare_digest(match.group(2), self._mac(f"session|{match.group(1)}")) else None

    def authenticate(self, req) -> str:
        """'bearer', 'session', 'missing' or 'invalid' (a wrong Bearer token: a header decides, cookie or not)."""
        bearer = self.bearer(req)
        if bearer is not None:
            return "bearer" if bearer else "invalid"
        return "session" if self.session(req) is not None else "missing"

    def new_session_cookie(self) -> bytes:
        expires = str(int(time.time()) + SESSION_SECONDS)
        return cookie(SESSION_COOKIE, f"{expires}.{self._mac('session|' + expires)}", SESSION_PATH, SESSION_SECONDS)

    @staticmethod
    def clear_session_cookie() -> bytes:
        return cookie(SESSION_COOKIE, "", SESSION_PATH, 0)

    # -- CSRF ---------------------------------------------------------------------
    def _bound(self, req) -> str | None:
        """The CSRF token bound to the request's session (or to its Bearer token), if it has one."""
        if self.token is None:
            return None
        session = self.session(req)
        if session is not None:
            return self._mac("csrf|" + session)
        if self.bearer(req):
            return self._mac("csrf|bearer")
        return None

    def csrf(self, req) -> tuple[str, bytes | None]:
        """The CSRF token for the forms of a page answering `req`, and a Set-Cookie value when the page must set
        a new double-submit cookie (no session)."""
        bound = self._bound(req)
        if bound is not None:
            return bound, None
        value = cookies(req).get(CSRF_COOKIE)
        if value and _CSRF_VALUE.fullmatch(value):
            return value, None
        value = secrets.token_urlsafe(32)
        return value, cookie(CSRF_COOKIE, value, CSRF_PATH)

    def csrf_ok(self, req, given) -> bool:
        if type(given) is not str or not given:
            return False
        expected = self._bound(req)
        if expected is None:
            expected = cookies(req).get(CSRF_COOKIE)
            if not expected or not _CSRF_VALUE.fullmatch(expected):
                return False
        return hmac.compare_digest(given.encode(), expected.encode())

    # -- where from ----------------------------------------------------------------
    def cross_site(self, req) -> str | None:
        """Why a state-changing request looks cross-site (a reason to refuse it), or None."""
        origin = req.headers.get("origin")
        if origin is not None and origin in self.cors:
            return None
        site = req.headers.get("sec-fetch-site")
        if site in ("cross-site", "same-site"):
            return f"Sec-Fetch-Site is {site}"
        if origin is not None:
            try:
                netloc = urllib.parse.urlsplit(origin).netloc
            except ValueError:
                netloc = None
            if netloc != req.headers.get("host", ""):
                return f"Origin {origin} is not this server"
        return None
