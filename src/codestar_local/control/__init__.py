"""The control API under /_codestar-local/: health and operator actions."""

from __future__ import annotations

import logging
import re
import urllib.parse

import orjson

from .errors import ControlError, error, json_response

log = logging.getLogger("codestar_local.control")

ACCOUNT = re.compile(r"[0-9]{12}")
REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}")
DEFAULT_ACCOUNT = "000000000000"
DEFAULT_REGION = "us-east-1"


class ControlApi:
    def __init__(self, app):
        self.app = app
        self.routes = {
            ("GET", "/_codestar-local/health"): self.health,
            ("POST", "/_codestar-local/reset"): self.reset,
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

    def handle(self, req):
        path = req.path.rstrip("/") or "/"
        handler = self.routes.get((req.method, path))
        if handler is None:
            handler = next((h for (m, p), h in self.prefixes.items() if m == req.method and path.startswith(p)), None)
        if handler is None:
            if any(p == path for _, p in self.routes):
                return error(405, "MethodNotAllowed", f"{req.method} is not allowed on {path}")
            return error(404, "NotFound", f"No control endpoint at {path}")
        try:
            if req.method not in ("GET", "HEAD") and not same_origin(req):
                raise ControlError(403, "CrossOriginRequest", "Control requests from another web origin are refused")
            if req.too_large:
                raise ControlError(413, "RequestTooLarge", "The request body is too large")
            return handler(req)
        except ControlError as e:
            return error(e.status, e.code, e.message)
        except Exception:
            log.exception("internal error in control request %s %s", req.method, path)
            return error(500, "InternalFailure", "An internal error occurred in the control API")

    def health(self, req):
        return json_response(200, self.app.health())

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
        return json_response(200, {"reset": True, "AccountId": account})


def same_origin(req) -> bool:
    """A browser's cross-site POST (a page elsewhere posting to 127.0.0.1) carries a foreign Origin."""
    origin = req.headers.get("origin")
    if origin is None:
        return True
    return urllib.parse.urlsplit(origin).netloc == req.headers.get("host", "")
