"""The control API under /_codestar-local/: health and operator actions."""

from __future__ import annotations

import orjson


def json_response(status: int, body) -> "Response":
    from ..app import Response

    return Response(status, [(b"content-type", b"application/json")], orjson.dumps(body))


def error(status: int, code: str, message: str):
    return json_response(status, {"error": {"code": code, "message": message}})


class ControlError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class ControlApi:
    def __init__(self, app):
        self.app = app
        self.routes = {
            ("GET", "/_codestar-local/health"): self.health,
            ("POST", "/_codestar-local/reset"): self.reset,
        }
        from .sync import routes as sync_routes

        self.routes.update(sync_routes(self))

    def handle(self, req):
        path = req.path.rstrip("/") or "/"
        handler = self.routes.get((req.method, path))
        if handler is None:
            if any(p == path for _, p in self.routes):
                return error(405, "MethodNotAllowed", f"{req.method} is not allowed on {path}")
            return error(404, "NotFound", f"No control endpoint at {path}")
        try:
            return handler(req)
        except ControlError as e:
            return error(e.status, e.code, e.message)

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

    def reset(self, req):
        account = self.body(req).get("AccountId")
        if account is not None and (type(account) is not str or not (len(account) == 12 and account.isdigit())):
            raise ControlError(400, "InvalidParameter", "AccountId must be 12 digits")
        self.app.store.reset(account)
        return json_response(200, {"reset": True, "AccountId": account})
