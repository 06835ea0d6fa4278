"""JSON answers and the one error type of the control API."""

from __future__ import annotations

import orjson

from ..messages import Response


def json_response(status: int, body, headers=()) -> Response:
    return Response(status, [(b"content-type", b"application/json"), (b"cache-control", b"no-store"), *headers], orjson.dumps(body))


def error(status: int, code: str, message: str):
    return json_response(status, {"error": {"code": code, "message": message}})


class ControlError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
