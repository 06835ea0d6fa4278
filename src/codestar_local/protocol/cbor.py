"""Smithy RPC v2 CBOR."""

from __future__ import annotations

import datetime
import io

import cbor2

from ..errors import FRONT_END, AwsError
from .depth import check_depth

PROTOCOL_HEADER = (b"Smithy-Protocol", b"rpc-v2-cbor")


def _tag_timestamps(value, path: tuple):
    """`value` with the timestamps found at `path` wrapped in CBOR tag 1 (epoch seconds).

    Copies the containers it changes: the output may be the provider's own data.
    A null timestamp stays null (a tagged null breaks clients).
    """
    if value is None:
        return None
    if not path:
        if isinstance(value, datetime.datetime):
            value = value.timestamp()
        return cbor2.CBORTag(1, value)
    key, rest = path[0], path[1:]
    if key == "*":
        return [_tag_timestamps(v, rest) for v in value] if type(value) is list else value
    if type(value) is not dict:
        return value
    if key == "**":
        return {k: _tag_timestamps(v, rest) for k, v in value.items()}
    if key not in value:
        return value
    copy = dict(value)
    copy[key] = _tag_timestamps(value[key], rest)
    return copy


class CborCodec:
    name = "cbor"

    def decode(self, body: bytes, max_depth: int = 32) -> dict:
        if not body:
            return {}
        fp = io.BytesIO(body)
        try:
            value = cbor2.CBORDecoder(fp).decode()
        except Exception:
            raise AwsError("SerializationException", "Unable to parse the request body as CBOR") from None
        if fp.tell() != len(body):  # cbor2.loads would ignore bytes after the first item; JSON refuses them too
            raise AwsError("SerializationException", "Unable to parse the request body as CBOR: bytes after the end of the map")
        if value is cbor2.undefined or value is None:
            return {}
        if type(value) is not dict or not all(type(k) is str for k in value):
            raise AwsError("SerializationException", "The request body must be a CBOR map with text keys")
        if len(body) > max_depth:  # each level takes a byte at least
            check_depth(value, max_depth)
        return _undefined_to_none(value)

    def encode_output(self, service, op, output: dict | None) -> tuple[list, bytes]:
        output = output or {}
        for path in op.timestamp_paths:
            output = _tag_timestamps(output, path)
        return [(b"Content-Type", b"application/cbor"), PROTOCOL_HEADER], cbor2.dumps(output)

    def encode_error(self, service, err: AwsError) -> tuple[int, list, bytes]:
        body = {"__type": err.type_for(service)}
        if err.message is not None:
            body["Message"] = err.message
            body["message"] = err.message
        headers = [(b"Content-Type", b"application/cbor"), PROTOCOL_HEADER]
        if err.code in FRONT_END:
            headers.append((b"x-amzn-ErrorType", err.code.encode()))
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
