"""Request -> (service, operation, codec), from protocol facts only.

The RPC v2 path wins; otherwise X-Amz-Target, split at its last dot, with the
service taken as the last dotted part of the prefix, so boto3's namespaced form
and the JS SDK's bare form both route. Never the Host header.
"""

from __future__ import annotations

from . import spec
from .errors import AwsError
from .protocol import CBOR, JSON


class Route:
    __slots__ = ("service", "operation", "codec")

    def __init__(self, service, operation, codec):
        self.service = service
        self.operation = operation
        self.codec = codec


def _cbor_path(path: str):
    """(service segment, operation) when the path ends in service/X/operation/Y."""
    parts = path.rstrip("/").split("/")
    if len(parts) >= 5 and parts[-4] == "service" and parts[-2] == "operation":
        return parts[-3], parts[-1]
    return None


def unknown_operation(service=None) -> AwsError:
    err = AwsError("UnknownOperationException", None)
    # When the service is known, the answer uses its content type and __type form (JSON 1.1: bare name).
    err.service = service
    return err


def route(method: str, path: str, headers: dict) -> Route:
    """headers: lower-case names -> str values."""
    cbor = _cbor_path(path) if "/operation/" in path else None
    if cbor is not None:
        service_segment, op_name = cbor
        service = spec.by_target_name().get(service_segment.rsplit(".", 1)[-1])
        if service is None or not service.supports_cbor:
            raise AwsError("UnknownOperationException", None)
        if method != "POST":
            raise AwsError("UnknownOperationException", None)
        if "x-amz-target" in headers or "x-amzn-target" in headers:
            # Smithy RPC v2: a server must reject requests that carry a target header.
            raise AwsError("SerializationException", "X-Amz-Target must not be sent with the rpc-v2-cbor protocol")
        op = service.operations.get(op_name)
        if op is None:
            raise AwsError("UnknownOperationException", None)
        return Route(service, op, CBOR)

    target = headers.get("x-amz-target")
    if not target or method != "POST":
        raise AwsError("UnknownOperationException", None)
    found = _JSON_ROUTES.get(target)
    if found is not None:
        return found
    found = _json_route(target)
    if len(_JSON_ROUTES) < 1024:  # only valid targets get here: the models bound the set
        _JSON_ROUTES[target] = found
    return found


# X-Amz-Target value -> Route: every client sends the same few strings.
_JSON_ROUTES: dict[str, Route] = {}


def _json_route(target: str) -> Route:
    prefix, _, op_name = target.rpartition(".")
    service = spec.by_target_name().get(prefix.rsplit(".", 1)[-1]) if prefix else None
    if service is None or "json" not in service.protocols:
        raise AwsError("UnknownOperationException", None)
    op = service.operations.get(op_name)
    if op is None:
        raise unknown_operation(service)
    return Route(service, op, JSON)


def guess_codec(path: str):
    """The codec an error answer uses when routing itself failed."""
    return CBOR if ("/operation/" in path and _cbor_path(path)) else JSON
