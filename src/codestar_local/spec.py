"""The three services as described by the models the package ships (data/, see PROVENANCE.md).

Everything protocol-, validation- and error-related is read from here; the
models are loaded and compiled once, at start-up. The installed botocore's own
models are never read, so the answers do not depend on its version.
"""

from __future__ import annotations

import json
import pathlib
import re
from dataclasses import dataclass, field
from functools import cache

from . import validate

DATA = pathlib.Path(__file__).parent / "data"

# service name -> (api version, ARN service name)
SERVICES = {
    "codestar-connections": ("2019-12-01", "codestar-connections"),
    "codeconnections": ("2023-12-01", "codeconnections"),
    "codestar": ("2017-04-19", "codestar"),
}


def xform_name(name: str) -> str:
    """CreateConnection -> create_connection (botocore's rule, enough for these models)."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()


@dataclass(slots=True)
class Operation:
    name: str
    method_name: str
    input_shape: str | None
    output_shape: str | None
    errors: frozenset[str]
    validator: validate.Validator | None
    timestamp_paths: tuple  # where the output holds timestamps (CBOR tags them)
    readonly: bool


@dataclass(slots=True)
class Service:
    name: str
    api_version: str
    protocols: tuple[str, ...]
    json_version: str
    target_prefix: str
    target_name: str  # last dotted part of the target prefix: what routes a request
    signing_name: str
    arn_service: str
    error_namespace: str  # for absolute shape ids in __type
    shapes: dict
    operations: dict[str, Operation] = field(default_factory=dict)
    error_status: dict[str, int] = field(default_factory=dict)
    json_content_type: str = ""

    def status_for(self, code: str) -> int:
        status = self.error_status.get(code)
        if status is not None:
            return status
        return 500 if code in ("InternalServerException", "InternalFailure", "ServiceUnavailableException") else 400

    def shape_id(self, code: str) -> str:
        return f"{self.error_namespace}#{code}"

    @property
    def supports_cbor(self) -> bool:
        return "smithy-rpc-v2-cbor" in self.protocols


def load_model(name: str) -> dict:
    version = SERVICES[name][0]
    return json.loads((DATA / name / version / "service-2.json").read_bytes())


def _timestamp_paths(shapes: dict, shape_name: str | None, seen: frozenset = frozenset()) -> tuple:
    """Paths to timestamp members below a shape, as tuples of keys ('*' = every item)."""
    if not shape_name or shape_name in seen:
        return ()
    shape = shapes[shape_name]
    kind = shape["type"]
    seen = seen | {shape_name}
    if kind == "timestamp":
        return ((),)
    out = []
    if kind == "structure":
        for member, ref in shape.get("members", {}).items():
            for p in _timestamp_paths(shapes, ref["shape"], seen):
                out.append((member, *p))
    elif kind == "list":
        for p in _timestamp_paths(shapes, shape["member"]["shape"], seen):
            out.append(("*", *p))
    elif kind == "map":
        for p in _timestamp_paths(shapes, shape["value"]["shape"], seen):
            out.append(("**", *p))
    return tuple(out)


def build_service(name: str) -> Service:
    model = load_model(name)
    meta = model["metadata"]
    shapes = model["shapes"]
    target_prefix = meta["targetPrefix"]
    protocols = tuple(meta.get("protocols") or [meta["protocol"]])
    json_version = meta.get("jsonVersion", "1.0")
    # JSON 1.0 services answer with the absolute shape id; botocore's prefix is the namespace.
    namespace = target_prefix.rsplit(".", 1)[0] if "." in target_prefix else f"com.amazonaws.{name}"
    svc = Service(
        name=name,
        api_version=meta["apiVersion"],
        protocols=protocols,
        json_version=json_version,
        target_prefix=target_prefix,
        target_name=target_prefix.rsplit(".", 1)[-1],
        signing_name=meta.get("signingName", meta["endpointPrefix"]),
        arn_service=SERVICES[name][1],
        error_namespace=namespace,
        shapes=shapes,
        json_content_type=f"application/x-amz-json-{json_version}",
    )
    for sname, shape in shapes.items():
        if shape.get("exception") and "error" in shape and "httpStatusCode" in shape["error"]:
            svc.error_status[sname] = shape["error"]["httpStatusCode"]
    compiler = validate.Compiler(shapes)
    for op_name, op in model["operations"].items():
        inp = op.get("input", {}).get("shape")
        out = op.get("output", {}).get("shape")
        svc.operations[op_name] = Operation(
            name=op_name,
            method_name=xform_name(op_name),
            input_shape=inp,
            output_shape=out,
            errors=frozenset(e["shape"] for e in op.get("errors", [])),
            validator=compiler.compile(inp) if inp else None,
            timestamp_paths=_timestamp_paths(shapes, out),
            readonly=op_name.startswith(("Get", "List", "Describe")),
        )
    return svc


@cache
def services() -> dict[str, Service]:
    return {name: build_service(name) for name in SERVICES}


@cache
def by_target_name() -> dict[str, Service]:
    return {svc.target_name: svc for svc in services().values()}


@cache
def by_signing_name() -> dict[str, Service]:
    return {svc.signing_name: svc for svc in services().values()}


def models_path() -> pathlib.Path:
    """The shipped models, laid out as botocore's data folder: for AWS_DATA_PATH or a loader's search path."""
    return DATA
