"""AWS JSON 1.0 / 1.1."""

from __future__ import annotations

import datetime

import orjson

from ..errors import AwsError
from .depth import check_depth


def _epoch(value):
    # AWS JSON timestamps are epoch seconds, never orjson's ISO strings.
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


_CONTENT_TYPES = {"1.0": b"application/x-amz-json-1.0", "1.1": b"application/x-amz-json-1.1"}


class JsonCodec:
    name = "json"

    def decode(self, body: bytes, max_depth: int = 32) -> dict:
        if not body or body.isspace():
            return {}  # servers must accept an empty body for empty input
        try:
            value = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise AwsError("SerializationException", "Unable to parse the request body as JSON") from None
        if type(value) is not dict:
            raise AwsError("SerializationException", "The request body must be a JSON object")
        # Fewer brackets than the cap cannot nest past it: the walk is for the rare body with many.
        if body.count(b"{") + body.count(b"[") > max_depth:
            check_depth(value, max_depth)
        return value

    def content_type(self, service) -> str:
        return service.json_content_type if service is not None else "application/x-amz-json-1.0"

    def encode_output(self, service, op, output: dict | None) -> tuple[list, bytes]:
        body = orjson.dumps(output or {}, default=_epoch, option=orjson.OPT_PASSTHROUGH_DATETIME)
        return [(b"Content-Type", _CONTENT_TYPES[service.json_version])], body

    def encode_error(self, service, err: AwsError) -> tuple[int, list, bytes]:
        body = {"__type": err.type_for(service) if service is None or service.json_version == "1.0" else err.code}
        if err.message is not None:
            body["message"] = err.message
            if not err.framework:
                body["Message"] = err.message  # the modelled member, so botocore fills response["Message"]
        headers = [
            (b"Content-Type", self.content_type(service).encode()),
            (b"x-amzn-ErrorType", err.code.encode()),
        ]
        return err.status_for(service), headers, orjson.dumps(body)
