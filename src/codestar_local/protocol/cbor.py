"""Smithy RPC v2 CBOR."""

from __future__ import annotations

import datetime

import cbor2

from ..errors import AwsError

PROTOCOL_HEADER = (b"Smithy-Protocol", b"rpc-v2-cbor")


def _tag_timestamps(value, path: tuple):
    """Wrap the timestamps found at `path` in CBOR tag 1 (epoch seconds)."""
    if value is None:
        return
    if not path:
        return
    key, rest = path[0], path[1:]
    if key == "*":
        items = range(len(value))
    elif key == "**":
        items = list(value)
    else:
        items = (key,) if key in value else ()
    for k in items:
        if rest:
            _tag_timestamps(value[k], rest)
        else:
            v = value[k]
            if isinstance(v, datetime.datetime):
                v = v.timestamp()
            value[k] = cbor2.CBORTag(1, v)


class CborCodec:
    name = "cbor"

    def decode(self, body: bytes) -> dict:
        if not body:
            return {}
        try:
            value = cbor2.loads(body)
        except Exception:
            raise AwsError("SerializationException", "Unable to parse the request body as CBOR") from None
        if value is cbor2.undefined or value is None:
            return {}
        if type(value) is not dict or not all(type(k) is str for k in value):
            raise AwsError("SerializationException", "The request body must be a CBOR map with text keys")
        return _undefined_to_none(value)

    def encode_output(self, service, op, output: dict | None) -> tuple[list, bytes]:
        output = output or {}
        if op.timestamp_paths:
            for path in op.timestamp_paths:
                _tag_timestamps(output, path)
        return [(b"Content-Type", b"application/cbor"), PROTOCOL_HEADER], cbor2.dumps(output)

    def encode_error(self, service, err: AwsError) -> tuple[int, list, bytes]:
        body = {"__type": err.type_for(service)}
        if err.message is not None:
            body["Message"] = err.message
            body["message"] = err.message
        headers = [(b"Content-Type", b"application/cbor"), PROTOCOL_HEADER]
        return err.status_for(service), headers, cbor2.dumps(body)


def _undefined_to_none(value):
    if value is cbor2.undefined:
        return None
    if type(value) is dict:
        return {k: _undefined_to_none(v) for k, v in value.items()}
    if type(value) is list:
        return [_undefined_to_none(v) for v in value]
    if isinstance(value, cbor2.CBORTag):
        raise AwsError("SerializationException", f"Unsupported CBOR tag {value.tag}")
    return value
