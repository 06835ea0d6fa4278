"""AWS JSON 1.0 / 1.1."""

from __future__ import annotations

import orjson

from ..errors import AwsError


class JsonCodec:
    name = "json"

    def decode(self, body: bytes) -> dict:
        if not body or body.isspace():
            return {}  # servers must accept an empty body for empty input
        try:
            value = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise AwsError("SerializationException", "Unable to parse the request body as JSON") from None
        if type(value) is not dict:
            raise AwsError("SerializationException", "The request body must be a JSON object")
        return value

    def content_type(self, service) -> str:
        return service.json_content_type if service is not None else "application/x-amz-json-1.0"

    def encode_output(self, service, op, output: dict | None) -> tuple[list, bytes]:
        return [(b"Content-Type", service.json_content_type.encode())], orjson.dumps(output or {})

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
