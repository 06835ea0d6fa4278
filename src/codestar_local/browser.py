"""What the server tells browsers: `nosniff` on every response, and CORS for the origins given with --cors.

The ASGI adapter (App.__call__) uses this before and after App.handle: a CORS preflight from an allowed origin is
answered here and never reaches the AWS or control path; an actual response to an allowed origin gets
Access-Control-Allow-Origin (that origin, never *) and the response headers an SDK reads. Without --cors nothing of
this runs and no response carries a CORS header. Every header is a prebuilt tuple: no per-request formatting.
The control plane's own headers (no-store, frame and referrer policies, ...) are in control/guard.py.
"""

from __future__ import annotations

import re

NOSNIFF = (b"x-content-type-options", b"nosniff")

# What a preflight allows. The AWS SDK for JavaScript v3 in a browser sends these (SigV4, the JSON and RPC v2
# CBOR protocols, retries, user agent); `authorization` also carries the control API's Bearer token.
ALLOW_METHODS = b"GET, HEAD, POST, PUT, DELETE, PATCH"
ALLOW_HEADERS = (
    "authorization", "content-type", "accept", "x-amz-date", "x-amz-target", "x-amz-security-token", "x-amz-user-agent",
    "x-amz-content-sha256", "x-amz-client-context", "x-amz-api-version", "amz-sdk-invocation-id", "amz-sdk-request",
    "smithy-protocol", "x-csrf-token",
)
# Any other requested header with one of these prefixes is allowed too (x-amz-checksum-*, x-amzn-trace-id, ...).
ALLOW_PREFIXES = ("x-amz-", "x-amzn-", "amz-sdk-")
HEADER_NAME = re.compile(r"[a-z0-9-]{1,100}")
# Response headers a script may read: request ids, error type and message, the protocol, and Date (the SDK
# corrects its clock skew from it).
EXPOSE_HEADERS = (
    b"x-amzn-RequestId, x-amzn-ErrorType, x-amzn-ErrorMessage, x-amzn-query-error, x-amz-request-id, x-amz-id-2, "
    b"x-amz-apigw-id, smithy-protocol, date, content-length, www-authenticate"
)
MAX_AGE = b"7200"  # Chromium's ceiling
VARY = (b"vary", b"Origin")
PREFLIGHT_VARY = (b"vary", b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers")


def normalise(origin: str) -> str:
    """An origin as browsers send it: scheme://host[:port], lower-case, no path or trailing slash."""
    return origin.strip().rstrip("/").lower()


class Cors:
    """CORS for a fixed set of allowed origins (exact matches; '*' is not special and matches nothing)."""

    def __init__(self, origins):
        self.allowed = frozenset(normalise(o) for o in origins if o.strip())
        self._base_headers = frozenset(ALLOW_HEADERS)
        allow_headers = ", ".join(ALLOW_HEADERS).encode()
        self._actual = {}
        self._preflight = {}
        for origin in self.allowed:
            acao = (b"access-control-allow-origin", origin.encode("latin-1"))
            self._actual[origin] = (acao, (b"access-control-expose-headers", EXPOSE_HEADERS), VARY)
            self._preflight[origin] = [
                acao,
                (b"access-control-allow-methods", ALLOW_METHODS),
                (b"access-control-allow-headers", allow_headers),
                (b"access-control-max-age", MAX_AGE),
                PREFLIGHT_VARY,
                NOSNIFF,
            ]
        self._other = (VARY,)

    def actual(self, origin: str | None) -> tuple:
        """Headers for an actual response: CORS for an allowed origin, else only Vary: Origin."""
        if origin is None:
            return self._other
        return self._actual.get(origin, self._other)

    def preflight(self, headers: dict) -> list | None:
        """The 204 answer's headers to a preflight (OPTIONS with Access-Control-Request-Method) from an allowed
        origin; None for anything else, which then takes the ordinary path and gets no CORS header."""
        base = self._preflight.get(headers.get("origin"))
        if base is None or "access-control-request-method" not in headers:
            return None
        out = list(base)
        extra = [
            h for h in (p.strip().lower() for p in headers.get("access-control-request-headers", "").split(","))
            if h not in self._base_headers and h.startswith(ALLOW_PREFIXES) and HEADER_NAME.fullmatch(h)
        ]
        if extra:
            out[2] = (b"access-control-allow-headers", out[2][1] + b", " + ", ".join(extra).encode("latin-1"))
        # Chromium's Private Network Access: a public page calling this local server asks first.
        if headers.get("access-control-request-private-network", "").lower() == "true":
            out.append((b"access-control-allow-private-network", b"true"))
        return out


# -- DNS rebinding -----------------------------------------------------------------------------------------------------
# A page on evil.example whose name is re-pointed at 127.0.0.1 is same-origin with the server in the browser's eyes:
# neither CORS nor the Origin check stops it. What gives it away is the Host header, which names evil.example. A
# server listening on loopback only ever gets loopback names from real clients, so any other Host is refused.

_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]", "::1")


def _host_name(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class HostCheck:
    """Which Host headers a loopback server answers: loopback names and addresses, and those given with --allow-host."""

    def __init__(self, extra=()):
        self.extra = frozenset(h.strip().lower() for h in extra if h.strip())
        self._seen: dict = {}

    def allows(self, host: str | None) -> bool:
        if host is None:
            return True  # HTTP/1.0 without Host: no browser sends that
        found = self._seen.get(host)
        if found is None:
            name = _host_name(host)
            found = (name in _LOOPBACK_NAMES or name.endswith(".localhost") or name in self.extra
                     or (name.startswith("127.") and name.replace(".", "").isdigit() and name.count(".") == 3))
            if len(self._seen) >= 1024:
                self._seen.clear()
            self._seen[host] = found
        return found

    @staticmethod
    def refusal(host: str) -> tuple[list, bytes]:
        import orjson

        message = (f"Host '{host[:100]}' is not a loopback name, and this server listens on loopback only (a guard "
                   "against DNS rebinding). Start it with --allow-host NAME to accept that name.")
        body = orjson.dumps({"__type": "ForbiddenHostException", "message": message})
        return [(b"content-type", b"application/json"), (b"x-amzn-ErrorType", b"ForbiddenHostException"), NOSNIFF], body
