"""The control API under /_codestar-local/: health and operator actions."""

from __future__ import annotations

import logging
import re

import orjson

from ..messages import Response
from .errors import ControlError, error, json_response
from .guard import REALM, SAFE_METHODS, Guard, secure

log = logging.getLogger("codestar_local.control")

ACCOUNT = re.compile(r"[0-9]{12}")
REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}")
DEFAULT_ACCOUNT = "000000000000"
DEFAULT_REGION = "us-east-1"


HEALTH = "/_codestar-local/health"
METRICS = "/_codestar-local/metrics"


class ControlApi:
    def __init__(self, app):
        self.app = app
        self.guard = Guard(app.config.admin_token, app.config.cors)
        self._metrics = None  # metrics.registry(app), made at the first scrape
        self.routes = {
            ("GET", HEALTH): self.health,
            ("POST", "/_codestar-local/reset"): self.reset,
            ("GET", METRICS): self.metrics,
        }
        from .sync import routes as sync_routes

        self.routes.update(sync_routes(self))
        from .api import OperatorApi
        from .console import Console

        self.routes.update(OperatorApi(self).routes())
        self.console = Console(self)
        self.routes.update(self.console.routes())
        # (method, path prefix) -> handler, for paths with a variable tail (static files).
        self.prefixes = {("GET", "/_codestar-local/console/static/"): self.console.static}
        # Open with an admin token too: the health probe, the console's login page and its static files.
        self.public = {("GET", HEALTH), *self.console.public_routes()}

    def handle(self, req):
        return secure(self._handle(req))

    def _handle(self, req):
        path = req.path.rstrip("/") or "/"
        try:
            reason = self.guard.cross_site(req) if req.method not in SAFE_METHODS else None
            if reason:
                raise ControlError(403, "CrossOriginRequest", f"Control requests from another web origin are refused ({reason})")
            if self.guard.enabled and (req.method, path) not in self.public and not self._public_prefix(req.method, path):
                who = self.guard.authenticate(req)
                if who in ("missing", "invalid"):
                    return self._unauthorised(req, path, who)
                if who == "session" and req.method not in SAFE_METHODS and not self.console.owns(path):
                    # The cookie alone authorises a JSON call: it must also carry the console's CSRF token.
                    if not self.guard.csrf_ok(req, req.headers.get("x-csrf-token")):
                        raise ControlError(403, "InvalidCsrfToken", "A control call authorised by the console's session "
                                           "cookie needs the console's CSRF token in an X-CSRF-Token header")
        except ControlError as e:
            return error(e.status, e.code, e.message)
        handler = self.routes.get((req.method, path))
        if handler is None:
            handler = next((h for (m, p), h in self.prefixes.items() if m == req.method and path.startswith(p)), None)
        if handler is None:
            if any(p == path for _, p in self.routes):
                return error(405, "MethodNotAllowed", f"{req.method} is not allowed on {path}")
            return error(404, "NotFound", f"No control endpoint at {path}")
        try:
            if req.too_large:
                raise ControlError(413, "RequestTooLarge", "The request body is too large")
            return handler(req)
        except ControlError as e:
            return error(e.status, e.code, e.message)
        except Exception:
            log.exception("internal error in control request %s %s", req.method, path)
            return error(500, "InternalFailure", "An internal error occurred in the control API")

    def _public_prefix(self, method: str, path: str) -> bool:
        """The prefixed routes are the console's static files, the same for everyone: open."""
        return any(m == method and path.startswith(p) for (m, p) in self.prefixes)

    def _unauthorised(self, req, path: str, who: str):
        """No (or a wrong) admin token: console pages go to the login page, everything else is a 401."""
        if self.console.owns(path):
            answer = self.console.unauthorised(req, path)
            if answer is not None:
                return answer
        if who == "invalid":
            resp = error(401, "Unauthorized", "The admin token is not right")
            resp.headers.append((b"www-authenticate", (REALM + ', error="invalid_token"').encode()))
        else:
            resp = error(401, "Unauthorized", "This server needs its admin token: send 'Authorization: Bearer <token>' "
                         "(codestar-local commands: --admin-token or CODESTAR_LOCAL_ADMIN_TOKEN)")
            resp.headers.append((b"www-authenticate", REALM.encode()))
        return resp

    def health(self, req):
        return json_response(200, self.app.health())

    def metrics(self, req):
        """Prometheus's scrape (docs/OPERATIONS.md, "Metrics"); behind the admin token like the rest."""
        from .. import metrics

        if self.app.tally is None:
            raise ControlError(404, "MetricsOff", "This server runs with --metrics off")
        if self._metrics is None:
            self._metrics = metrics.registry(self.app)
        content_type, body = metrics.scrape(self._metrics)
        return Response(200, [(b"content-type", content_type)], body)

    def body(self, req) -> dict:
        """The JSON object sent to a control endpoint ({} when empty)."""
        if not req.body.strip():
            return {}
        try:
            value = orjson.loads(req.body)
        except orjson.JSONDecodeError:
            raise ControlError(400, "InvalidJson", "The request body is not valid JSON") from None
        if type(value) is not dict:
            raise ControlError(400, "InvalidJson", "The request body must be a JSON object")
        return value

    def scope(self, body: dict) -> tuple[str, str]:
        """(account, region) named by optional "AccountId" and "Region" of a control request."""
        account = body.get("AccountId", DEFAULT_ACCOUNT)
        region = body.get("Region", DEFAULT_REGION)
        if type(account) is not str or not ACCOUNT.fullmatch(account):
            raise ControlError(400, "InvalidParameter", "AccountId must be 12 digits")
        if type(region) is not str or not REGION.fullmatch(region):
            raise ControlError(400, "InvalidParameter", "Region must be a region name such as us-east-1")
        return account, region

    def reset(self, req):
        account = self.body(req).get("AccountId")
        if account is not None and (type(account) is not str or not ACCOUNT.fullmatch(account)):
            raise ControlError(400, "InvalidParameter", "AccountId must be 12 digits")
        self.app.store.reset(account)
        self.app.git.sweep()  # the Git repositories of links that are gone
        return json_response(200, {"reset": True, "AccountId": account})


def same_origin(req, cors=()) -> bool:
    """Not a cross-site request: a browser's cross-site POST (a page elsewhere posting to 127.0.0.1) carries a
    foreign Origin or Sec-Fetch-Site: cross-site (see Guard.cross_site)."""
    return Guard(None, cors).cross_site(req) is None
