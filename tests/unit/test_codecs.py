"""The codecs against botocore's own client serializer and parser.

Requests: a sample input for every operation, serialized by botocore
(`create_serializer`), must decode to the same values. Responses: a sample
output encoded by our codec must parse (`create_parser`) back to the same values,
timestamps included; every error must parse to the same code and message.
"""

from __future__ import annotations

import base64
import datetime

import botocore.model
import cbor2
import orjson
import pytest
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from codestar_local import spec
from codestar_local.errors import FRAMEWORK, FRONT_END, AwsError
from codestar_local.protocol import CBOR, JSON

CONNECTIONS = ("codestar-connections", "codeconnections")
# Every service speaks JSON; CBOR only where the model lists it.
PROTOCOLS = [(s, "json") for s in (*CONNECTIONS, "codestar")] + [("codeconnections", "smithy-rpc-v2-cbor")]
CODECS = {"json": JSON, "smithy-rpc-v2-cbor": CBOR}

# A fixed instant with millisecond precision, which both wire formats carry exactly.
WHEN = datetime.datetime(2024, 2, 29, 12, 34, 56, 789000, tzinfo=datetime.timezone.utc)


def botocore_model(name: str) -> botocore.model.ServiceModel:
    return botocore.model.ServiceModel(spec.load_model(name), service_name=name)


def sample(shape: botocore.model.Shape, name: str = "x", depth: int = 0):
    """A value for every member, deterministic, within length/range limits."""
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        if depth > 6:
            return {}
        return {m: sample(s, m, depth + 1) for m, s in shape.members.items()}
    if kind == "list":
        return [sample(shape.member, name, depth + 1), sample(shape.member, name + "2", depth + 1)]
    if kind == "map":
        return {"key-a": sample(shape.value, name, depth + 1)}
    if kind == "string":
        if shape.enum:
            return shape.enum[-1]
        value = f"{name}-é✓"  # non-ASCII survives both codecs
        low, high = meta.get("min", 1), meta.get("max", 64)
        return (value * 8)[: max(low, min(high, len(value)))]
    if kind in ("integer", "long"):
        return max(meta.get("min", 0), min(meta.get("max", 1 << 40), 42))
    if kind in ("float", "double"):
        return 2.5
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return WHEN
    if kind == "blob":
        return b"\x00\xffblob"
    raise AssertionError(f"no sample for {kind}")


def as_decoded(value, shape: botocore.model.Shape, protocol: str):
    """What our decoder should return for a botocore input value."""
    kind = shape.type_name
    if kind == "structure":
        return {k: as_decoded(v, shape.members[k], protocol) for k, v in value.items()}
    if kind == "list":
        return [as_decoded(v, shape.member, protocol) for v in value]
    if kind == "map":
        return {k: as_decoded(v, shape.value, protocol) for k, v in value.items()}
    if kind == "timestamp":
        return value if protocol != "json" else value.timestamp()
    if kind == "blob":
        return value if protocol != "json" else base64.b64encode(value).decode()
    return value


def as_output(value, shape: botocore.model.Shape):
    """A sample value as a provider returns it: timestamps as epoch seconds."""
    kind = shape.type_name
    if kind == "structure":
        return {k: as_output(v, shape.members[k]) for k, v in value.items()}
    if kind == "list":
        return [as_output(v, shape.member) for v in value]
    if kind == "map":
        return {k: as_output(v, shape.value) for k, v in value.items()}
    if kind == "timestamp":
        return value.timestamp()
    return value


def operations(protocols=PROTOCOLS):
    for name, protocol in protocols:
        model = botocore_model(name)
        for op in model.operation_names:
            yield pytest.param(name, protocol, op, id=f"{name}-{protocol}-{op}")


def headers_of(pairs) -> dict:
    return {k.decode().lower(): v.decode() for k, v in pairs}


@pytest.mark.parametrize("name,protocol,op", list(operations()))
def test_request_decodes_to_botocore_input(name, protocol, op):
    model = botocore_model(name)
    op_model = model.operation_model(op)
    shape = op_model.input_shape
    params = sample(shape) if shape is not None else {}
    request = create_serializer(protocol, include_validation=True).serialize_to_request(params, op_model)
    decoded = CODECS[protocol].decode(request["body"])
    assert decoded == (as_decoded(params, shape, protocol) if shape is not None else {})


@pytest.mark.parametrize("name,protocol,op", list(operations()))
def test_output_parses_back(name, protocol, op):
    model = botocore_model(name)
    op_model = model.operation_model(op)
    shape = op_model.output_shape
    svc = spec.services()[name]
    ours = svc.operations[op]
    expected = sample(shape) if shape is not None else {}
    output = as_output(expected, shape) if shape is not None else {}
    headers, body = CODECS[protocol].encode_output(svc, ours, output)
    parsed = create_parser(protocol).parse({"status_code": 200, "headers": headers_of(headers), "body": body}, shape)
    parsed.pop("ResponseMetadata", None)
    assert parsed == expected
    content_type = headers_of(headers)["content-type"]
    if protocol == "json":
        assert content_type == svc.json_content_type
    else:
        assert content_type == "application/cbor"
        assert headers_of(headers)["smithy-protocol"] == "rpc-v2-cbor"


def _find(value, path):
    for key in path:
        value = value[0] if key == "*" else value[key]
    return value


@pytest.mark.parametrize("protocol", ["json", "smithy-rpc-v2-cbor"])
def test_sync_status_timestamps_on_the_wire(protocol):
    """JSON carries epoch-seconds numbers; CBOR wraps them in tag 1."""
    svc = spec.services()["codeconnections"]
    op = svc.operations["GetResourceSyncStatus"]
    shape = botocore_model("codeconnections").operation_model("GetResourceSyncStatus").output_shape
    output = as_output(sample(shape), shape)
    _, body = CODECS[protocol].encode_output(svc, op, output)
    if protocol == "json":
        raw = orjson.loads(body)
        kind = float
    else:
        # Tag 1 (0xc1) around a float64 (0xfb): StartedAt twice and two Events' Time twice.
        assert body.count(b"\xc1\xfb") == 6
        raw = cbor2.loads(body)  # cbor2 turns tag 1 into datetime
        kind = datetime.datetime
    for path in (("LatestSync", "StartedAt"), ("LatestSync", "Events", "*", "Time"), ("LatestSuccessfulSync", "StartedAt")):
        value = _find(raw, path)
        assert isinstance(value, kind)
        assert value == (WHEN.timestamp() if kind is float else WHEN)


@pytest.mark.parametrize("protocol", ["json", "smithy-rpc-v2-cbor"])
def test_integral_and_datetime_timestamps(protocol):
    """Whole-second epochs and datetime values also reach botocore as the same instant."""
    svc = spec.services()["codeconnections"]
    op = svc.operations["UpdateSyncBlocker"]
    shape = botocore_model("codeconnections").operation_model("UpdateSyncBlocker").output_shape
    expected = sample(shape)
    output = as_output(expected, shape)
    output["SyncBlocker"]["CreatedAt"] = 1700000000
    expected["SyncBlocker"]["CreatedAt"] = datetime.datetime.fromtimestamp(1700000000, datetime.timezone.utc)
    output["SyncBlocker"]["ResolvedAt"] = WHEN
    headers, body = CODECS[protocol].encode_output(svc, op, output)
    parsed = create_parser(protocol).parse({"status_code": 200, "headers": headers_of(headers), "body": body}, shape)
    assert parsed["SyncBlocker"]["CreatedAt"] == expected["SyncBlocker"]["CreatedAt"]
    assert parsed["SyncBlocker"]["ResolvedAt"] == WHEN


@pytest.mark.parametrize("protocol", ["json", "smithy-rpc-v2-cbor"])
def test_null_timestamp_and_output_left_untouched(protocol):
    svc = spec.services()["codeconnections"]
    op = svc.operations["GetSyncBlockerSummary"]
    shape = botocore_model("codeconnections").operation_model("GetSyncBlockerSummary").output_shape
    blocker = {"Id": "b1", "Type": "AUTOMATED", "Status": "ACTIVE", "CreatedReason": "r", "CreatedAt": 1700000000.25, "ResolvedAt": None}
    output = {"SyncBlockerSummary": {"ResourceName": "res", "LatestBlockers": [blocker]}}
    before = repr(output)
    headers, body = CODECS[protocol].encode_output(svc, op, output)
    assert repr(output) == before, "the provider's output must not be changed"
    parsed = create_parser(protocol).parse({"status_code": 200, "headers": headers_of(headers), "body": body}, shape)
    got = parsed["SyncBlockerSummary"]["LatestBlockers"][0]
    assert got["CreatedAt"] == datetime.datetime.fromtimestamp(1700000000.25, datetime.timezone.utc)
    assert "ResolvedAt" not in got


def error_cases():
    for name, protocol in PROTOCOLS:
        model = botocore_model(name)
        for code in model.error_shapes and [s.name for s in model.error_shapes]:
            yield pytest.param(name, protocol, code, True, id=f"{name}-{protocol}-{code}")
        for code in FRAMEWORK:
            yield pytest.param(name, protocol, code, False, id=f"{name}-{protocol}-{code}")


@pytest.mark.parametrize("name,protocol,code,modelled", list(error_cases()))
def test_error_parses_to_code_and_message(name, protocol, code, modelled):
    svc = spec.services()[name]
    message = f"Something about {code} — ✓"
    status, headers, body = CODECS[protocol].encode_error(svc, AwsError(code, message))
    response = {"status_code": status, "headers": headers_of(headers), "body": body}
    parsed = create_parser(protocol).parse(response, None)
    assert parsed["Error"] == {"Code": code, "Message": message}
    if modelled:
        model = botocore_model(name)
        shape = model.shape_for(code)
        declared = shape.metadata.get("error", {}).get("httpStatusCode")
        # No declared status: AWS JSON's 400, or 500 for a server fault (FACTS 4.4).
        fault = shape.metadata.get("fault") or code == "InternalServerException"
        assert status == (declared or (500 if fault else 400))
        # botocore fills the modelled members (Message) from the same body.
        fields = create_parser(protocol).parse(response, shape)
        if "Message" in shape.members:
            assert fields["Message"] == message
        if "message" in shape.members:
            assert fields["message"] == message
    else:
        assert status == FRAMEWORK[code][1]
    raw = orjson.loads(body) if protocol == "json" else cbor2.loads(body)
    if protocol == "smithy-rpc-v2-cbor" or svc.json_version == "1.0":
        assert "#" in raw["__type"] and raw["__type"].endswith("#" + code)  # absolute shape id
    else:
        assert raw["__type"] == code  # JSON 1.1: the bare name
    if protocol == "json":
        assert headers_of(headers)["x-amzn-errortype"] == code
        assert headers_of(headers)["content-type"] == svc.json_content_type
    else:
        # Smithy RPC v2 CBOR errors do not name their type in a header (FACTS 7.4), except the front end's auth errors.
        assert headers_of(headers).get("x-amzn-errortype") == (code if code in FRONT_END else None)
        assert headers_of(headers)["smithy-protocol"] == "rpc-v2-cbor"


def test_codeconnections_error_statuses_come_from_the_model():
    model = botocore_model("codeconnections")
    statuses = {s.name: s.metadata["error"]["httpStatusCode"] for s in model.error_shapes}
    assert statuses["ResourceNotFoundException"] == 404
    assert statuses["LimitExceededException"] == 429
    for code, status in statuses.items():
        assert CBOR.encode_error(spec.services()["codeconnections"], AwsError(code, "m"))[0] == status


def test_error_without_message():
    svc = spec.services()["codeconnections"]
    for codec, protocol in ((JSON, "json"), (CBOR, "smithy-rpc-v2-cbor")):
        status, headers, body = codec.encode_error(svc, AwsError("UnknownOperationException"))
        parsed = create_parser(protocol).parse({"status_code": status, "headers": headers_of(headers), "body": body}, None)
        assert status == 400
        assert parsed["Error"] == {"Code": "UnknownOperationException", "Message": ""}


@pytest.mark.parametrize(
    "body",
    [b"", b"\xa0", b"\xf6", b"\xf7"],
    ids=["empty", "empty-map", "null", "undefined"],
)
def test_cbor_empty_input(body):
    assert CBOR.decode(body) == {}


def test_cbor_undefined_member_is_null():
    assert CBOR.decode(cbor2.dumps({"a": cbor2.undefined, "b": [cbor2.undefined]})) == {"a": None, "b": [None]}


def test_cbor_indefinite_length_and_half_float():
    # Indefinite-length map and text, and a half-precision float: readers must accept them.
    body = b"\xbf" + b"\x61a" + b"\x7f\x62he\x63llo\xff" + b"\x61b" + b"\xf9\x3e\x00" + b"\xff"
    assert CBOR.decode(body) == {"a": "hello", "b": 1.5}


@pytest.mark.parametrize(
    "codec,body",
    [
        (CBOR, b"\x81\x01"),  # a list, not a map
        (CBOR, b"\xa1\x01\x02"),  # integer key
        (CBOR, b"\xbf\x61"),  # truncated
        (CBOR, b"\xc2\x41\x01"),  # a tag other than a timestamp where a structure is expected
        (JSON, b"[1]"),
        (JSON, b"{"),
        (JSON, b'"x"'),
    ],
)
def test_malformed_body_is_serialization_exception(codec, body):
    with pytest.raises(AwsError) as e:
        codec.decode(body)
    assert e.value.code == "SerializationException"
