"""Hypothesis strategies from the service models: values a model accepts, and requests that break it.

    shapes = Shapes(spec.services()["codeconnections"], transport="cbor", hints={"ConnectionArn": True})
    shapes.valid("CreateConnectionInput")        # documents the model accepts
    shapes.mutations("CreateConnectionInput")    # Mutation: 1-3 spoiled members or a spoiled body, and the codes due
    shapes.request_body(mutation, fill)          # its body bytes (JSON or CBOR), hints filled in, and the codes

Patterns. The models' patterns are Java regexes (AWS validates with java.util.regex); hypothesis' from_regex reads
Python's `re` dialect, so `python_pattern` translates, and writes down where it narrows:

- `.` becomes `[^\\n\\r\\x85\\u2028\\u2029]`: Java's dot excludes every line terminator, Python's only `\\n`;
- `\\p{L}`, `\\p{N}`, `\\p{Z}` (which `re` lacks) become explicit sets: exactly their Latin-1 members, plus a few
  ranges beyond it (Latin Extended-A, CJK ideographs, Arabic-Indic digits, Unicode spaces). That is a subset of the
  Java class, so what is drawn is valid, but not every valid string can be drawn (the fallback);
- a `-` right after a class escape inside `[...]` is a literal in Java (`[\\w-.+]`), an error in `re`: it becomes `\\-`;
- `\\b` is dropped: the one pattern that has it (RepositoryLinkId) puts it between a hex digit and `-`, where it holds;
- `\\w`, `\\d`, `\\s` keep Java's ASCII meaning through re.ASCII; `^`/`$` are kept and from_regex(fullmatch=True)
  anchors the rest, as Java's matches() does.

Valid strings are drawn from the translated pattern and kept when their length in UTF-16 units (Java's) is in range.
The same translation, compiled, is the oracle for "breaks the pattern". It is exact for characters of Latin-1, the
line terminators and the extra ranges, which is all a pattern-breaking candidate is made of (a drawn valid value with
one such character put in).

Other narrowings: valid lists and maps hold at most LIST_CAP members (the "too-many" mutation goes past each model
maximum); timestamps are epoch numbers; a shape that recurs past depth 8 gets only its required members.
"""

from __future__ import annotations

import base64
import functools
import io
import json
import re
import unicodedata
from dataclasses import dataclass

import cbor2
from hypothesis import strategies as st

DOT = "[^\\n\\r\\x85\\u2028\\u2029]"


def _latin1(prefix: str) -> str:
    return "".join(re.escape(c) for c in map(chr, range(256)) if unicodedata.category(c).startswith(prefix))


# \p{X} -> the members of X that `re` gets to see: all of Latin-1's, and some ranges beyond.
P_CLASSES = {
    "L": _latin1("L") + "\u0100-\u017f\u4e00-\u9fa5",
    "N": _latin1("N") + "\u0660-\u0669",
    "Z": _latin1("Z") + "\u2000-\u200a\u2028\u2029\u3000",
}


@functools.cache
def python_pattern(pattern: str) -> str:
    """A model's Java pattern in Python's dialect, compiled with re.ASCII (see the module docstring)."""
    out = []
    i, n = 0, len(pattern)
    in_class = False
    after_class_escape = False
    while i < n:
        c = pattern[i]
        if c == "\\":
            nxt = pattern[i + 1]
            if nxt in "pP":
                end = pattern.index("}", i)
                if nxt == "P" or pattern[i + 2] != "{":
                    raise ValueError(f"unsupported class in {pattern!r}")
                chars = P_CLASSES[pattern[i + 3 : end]]  # KeyError: a class this table does not know yet
                out.append(chars if in_class else f"[{chars}]")
                i = end + 1
                after_class_escape = in_class
                continue
            if nxt == "b":
                i += 2
                continue
            token = pattern[i : i + 6] if nxt == "u" else pattern[i : i + 2]
            out.append(token)
            i += len(token)
            after_class_escape = in_class and nxt in "wWdDsS"
            continue
        if in_class:
            if c == "]":
                in_class = False
            elif c == "-" and after_class_escape and i + 1 < n and pattern[i + 1] != "]":
                c = "\\-"
        elif c == "[":
            in_class = True
        elif c == ".":
            c = DOT
        out.append(c)
        after_class_escape = False
        i += 1
    return "".join(out)


@functools.cache
def matcher(pattern: str):
    return re.compile(python_pattern(pattern), re.ASCII).fullmatch


def java_length(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


def _breakable(pattern: str) -> bool:
    """Whether some string breaks the pattern (`[\\s\\S]*` takes everything)."""
    return not all(matcher(pattern)(p) for p in ("", "\n", "\r", " ", "\x00", ":", "\u65e5", "a\u2028"))


@dataclass(frozen=True)
class Hint:
    """A placeholder for an id the test fills in: a resource of the caller's account, or (foreign) of another's."""

    member: str
    foreign: bool = False


@dataclass
class Mutation:
    """One way of breaking a request. `expect`: the error codes the answer must have (empty: any allowed answer)."""

    label: str
    document: object = None  # encoded with the transport's codec, unless `body` is given
    body: bytes | None = None  # these bytes as the body, whatever they are
    expect: frozenset = frozenset()
    content_type: str | None = None  # instead of the protocol's
    mangle: tuple = ()  # ("truncate", n), ("append", bytes), ("other-codec",): what happens to the encoded document

    def __repr__(self):
        shown = repr(self.body[:300]) if self.body is not None else repr(self.document)[:3000]
        return f"Mutation({self.label!r}, expect={sorted(self.expect)}, content_type={self.content_type!r}, mangle={self.mangle!r}, {shown})"


# Valid lists and maps hold at most this many members (the models allow up to 200 tags): an example stays cheap,
# and the "too-many" mutation still goes past each model maximum.
LIST_CAP = 12
SERIALIZATION = frozenset({"SerializationException"})
VALIDATION = frozenset({"ValidationException"})
# Characters put into a valid value to break its pattern; all inside the oracle's exact domain.
BREAKERS = ("\n", "\r", "\x85", "\u2028", " ", "\x00", "\t", ":", "/", "-", "_", "@", "\u00e9", "\u65e5", "!", "A", "0", "\\")
UNKNOWN_NAMES = st.sampled_from(["Unknown", "__proto__", "constructor", "X-Amz-Target", "_next", "\u00fcber", ""])
ALPHABET = st.characters(codec="utf-8")  # any code point but surrogates
def _nested(inner: st.SearchStrategy) -> st.SearchStrategy:
    return st.lists(inner, max_size=4) | st.dictionaries(st.text(ALPHABET, max_size=10), inner, max_size=4)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False, allow_infinity=False) | st.text(ALPHABET, max_size=20),
    _nested,
    max_leaves=12,
)


@dataclass(frozen=True)
class Deep:
    """A value nested `depth` lists (or maps) deep; written out by the encoders, which would recurse too deep."""

    depth: int
    kind: str = "list"

    def json(self) -> bytes:
        return (b"[" * self.depth + b"1" + b"]" * self.depth) if self.kind == "list" else (b'{"a":' * self.depth + b"1" + b"}" * self.depth)

    def cbor(self) -> bytes:
        return (b"\x81" if self.kind == "list" else b"\xa1\x61a") * self.depth + b"\x01"


def nest(depth: int, kind: str = "list") -> Deep:
    return Deep(depth, kind)


def _with_deep(document, encode, splice) -> bytes:
    """Encode a document whose Deep values are replaced by sentinels, then splice their bytes in."""
    found: list = []

    def swap(value):
        if isinstance(value, Deep):
            found.append(value)
            return f"\x00deep{len(found) - 1}\x00"
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [swap(v) for v in value]
        return value

    body = encode(swap(document))
    for i, deep in enumerate(found):
        body = splice(body, f"\x00deep{i}\x00", deep)
    return body


class Shapes:
    def __init__(self, service, transport: str = "json", hints: dict | None = None):
        """hints: member name -> whether another account's id may stand there too (see Hint)."""
        self.shapes = service.shapes
        self.transport = transport
        self.hints = dict(hints or {})
        self._valid: dict = {}

    # -- encoding ----------------------------------------------------------
    def encode(self, document) -> bytes:
        return encode_cbor(document) if self.transport == "cbor" else encode_json(document)

    # -- valid values --------------------------------------------------------
    def valid(self, shape_name: str, member: str | None = None, depth: int = 0) -> st.SearchStrategy:
        key = (shape_name, member if member in self.hints else None)
        found = self._valid.get(key)
        if found is None:
            found = self._valid[key] = self._build_valid(shape_name, member, depth)
        return found

    def _build_valid(self, name: str, member: str | None, depth: int) -> st.SearchStrategy:
        shape = self.shapes[name]
        kind = shape["type"]
        if kind == "structure":
            members = shape.get("members", {})
            required = set(shape.get("required", ()))
            if depth > 8:  # a recursive shape: only what it must have
                members = {m: r for m, r in members.items() if m in required}
            strategies = {m: self.valid(r["shape"], m, depth + 1) for m, r in members.items()}
            return st.fixed_dictionaries(
                {m: s for m, s in strategies.items() if m in required},
                optional={m: s for m, s in strategies.items() if m not in required},
            )
        if kind == "list":
            item = self.valid(shape["member"]["shape"], None, depth + 1)
            lo = shape.get("min", 0)
            return st.lists(item, min_size=lo, max_size=max(lo, min(shape.get("max", LIST_CAP), LIST_CAP)))
        if kind == "map":
            lo = shape.get("min", 0)
            return st.dictionaries(
                self.valid(shape["key"]["shape"]), self.valid(shape["value"]["shape"], None, depth + 1),
                min_size=lo, max_size=max(lo, min(shape.get("max", LIST_CAP), LIST_CAP)),
            )
        base = self._scalar(shape)
        if member in self.hints:
            placeholders = [Hint(member)] + ([Hint(member, foreign=True)] if self.hints[member] else [])
            return st.one_of(st.sampled_from(placeholders), base)
        return base

    def _scalar(self, shape: dict) -> st.SearchStrategy:
        kind = shape["type"]
        if kind == "string":
            return self._string(shape)
        if kind in ("integer", "long"):
            bits = 31 if kind == "integer" else 63
            return st.integers(shape.get("min", -(2**bits)), shape.get("max", 2**bits - 1))
        if kind == "boolean":
            return st.booleans()
        if kind == "timestamp":
            return st.integers(0, 4_102_444_800) | st.floats(0, 4_102_444_800)
        if kind == "blob":
            return st.binary(max_size=64)
        if kind in ("float", "double"):
            return st.floats(allow_nan=False, allow_infinity=False)
        raise ValueError(f"no strategy for {kind}")

    def _string(self, shape: dict) -> st.SearchStrategy:
        if shape.get("enum"):
            return st.sampled_from(shape["enum"])
        lo, hi = shape.get("min", 0), shape.get("max")
        pattern = shape.get("pattern")
        if pattern:
            strategy = st.from_regex(re.compile(python_pattern(pattern), re.ASCII), fullmatch=True, alphabet=ALPHABET)
            ok = matcher(pattern)
            # The bounds themselves, where a repeated character satisfies the pattern.
            bounds = [c * n for c in "a0A_" for n in {lo, hi or lo} if n and ok(c * n)][:2]
            if bounds:
                strategy = st.one_of(strategy, st.sampled_from(bounds))
        else:
            strategy = st.text(ALPHABET, min_size=lo, max_size=hi if hi is not None else lo + 64)
        if lo or hi is not None:
            strategy = strategy.filter(lambda v: lo <= java_length(v) <= (hi if hi is not None else 1 << 30))
        return strategy

    # -- values that break one member --------------------------------------
    def broken(self, name: str, required: bool) -> st.SearchStrategy:
        """(label, value, expected codes) for a value that breaks `name` (or, for null, may just unset it)."""
        shape = self.shapes[name]
        kind = shape["type"]
        choices = [st.tuples(st.just("wrong-type"), self._wrong_type(kind), st.just(SERIALIZATION))]
        choices.append(st.tuples(st.just("deep"), st.integers(100, 300).map(nest), st.just(SERIALIZATION)))
        choices.append(st.just(("null", None, VALIDATION if required else frozenset())))
        if kind == "string":
            lo, hi = shape.get("min", 0), shape.get("max")
            if hi is not None:
                too_long = st.integers(hi + 1, hi + 64).map(lambda n: "x" * n)
                choices.append(st.tuples(st.just("too-long"), too_long, st.just(VALIDATION)))
            if lo:
                choices.append(st.tuples(st.just("too-short"), st.integers(0, lo - 1).map(lambda n: "x" * n), st.just(VALIDATION)))
            if shape.get("enum"):
                enum = shape["enum"]
                bad = st.one_of(st.sampled_from(enum).map(str.lower), st.sampled_from(enum).map(lambda e: e + " "), st.text(ALPHABET, max_size=12))
                choices.append(st.tuples(st.just("not-in-enum"), bad.filter(lambda v: v not in enum), st.just(VALIDATION)))
            if shape.get("pattern") and _breakable(shape["pattern"]):
                choices.append(st.tuples(st.just("pattern"), self._pattern_break(shape), st.just(VALIDATION)))
        elif kind in ("integer", "long"):
            if "max" in shape:
                choices.append(st.tuples(st.just("above-max"), st.integers(shape["max"] + 1, 2**63 - 1), st.just(VALIDATION)))
            if "min" in shape:
                choices.append(st.tuples(st.just("below-min"), st.integers(-(2**63), shape["min"] - 1), st.just(VALIDATION)))
        elif kind == "list":
            item = self.valid(shape["member"]["shape"])
            if "max" in shape:
                many = st.tuples(item, st.integers(shape["max"] + 1, shape["max"] + 20)).map(lambda t: [t[0]] * t[1])
                choices.append(st.tuples(st.just("too-many"), many, st.just(VALIDATION)))
            if shape.get("min", 0) >= 1:
                choices.append(st.just(("empty-list", [], VALIDATION)))
            choices.append(st.tuples(st.just("null-item"), st.lists(item, max_size=3).map(lambda v: v + [None]), st.just(VALIDATION)))
        elif kind == "map":
            key_shape = self.shapes[shape["key"]["shape"]]
            value = self.valid(shape["value"]["shape"])
            if "max" in shape:
                many = st.tuples(value, st.integers(shape["max"] + 1, shape["max"] + 20)).map(lambda t: {f"k{i}": t[0] for i in range(t[1])})
                choices.append(st.tuples(st.just("too-many"), many, st.just(VALIDATION)))
            if key_shape.get("pattern") and _breakable(key_shape["pattern"]):
                bad_key = st.tuples(self._pattern_break(key_shape), value).map(lambda t: {t[0]: t[1]})
                choices.append(st.tuples(st.just("bad-key"), bad_key, st.just(VALIDATION)))
            choices.append(st.tuples(st.just("null-value"), st.just({"k": None}), st.just(VALIDATION)))
        return st.one_of(choices)

    def _wrong_type(self, kind: str) -> st.SearchStrategy:
        text = st.text(ALPHABET, max_size=8)
        lists = st.lists(st.integers(), max_size=3)
        dicts = st.dictionaries(text, st.integers(), max_size=2)
        fractions = st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer())
        ints = st.integers(-(2**53), 2**53)
        if kind == "string":
            options = [ints, fractions, st.booleans(), lists, dicts] + ([st.binary(max_size=8)] if self.transport == "cbor" else [])
        elif kind in ("integer", "long"):
            options = [text, fractions, st.booleans(), lists, dicts]
        elif kind == "boolean":
            options = [text, ints, fractions, lists, dicts]
        elif kind in ("structure", "map"):
            options = [text, ints, st.booleans(), lists]
        elif kind == "list":
            options = [text, ints, st.booleans(), dicts]
        elif kind == "timestamp":
            options = [st.booleans(), lists, dicts]
        else:  # blob, float, double
            options = [st.booleans(), lists, dicts]
        return st.one_of(options)

    def _pattern_break(self, shape: dict) -> st.SearchStrategy:
        pattern = shape["pattern"]
        ok = matcher(pattern)

        @st.composite
        def draw(draw_):
            base = draw_(self._string({k: v for k, v in shape.items() if k != "enum"}))
            at = draw_(st.integers(0, len(base)))
            for breaker in draw_(st.permutations(BREAKERS)):
                candidate = base[:at] + breaker + base[at:]
                if not ok(candidate):
                    return candidate
            return "\n" + base if not ok("\n" + base) else "\u2028"  # some breaker always breaks a breakable pattern

        return draw().filter(lambda v: not ok(v))

    # -- mutated requests ----------------------------------------------------
    def paths(self, name: str, value, required: bool = False, path: tuple = ()):
        """(path, shape name, required) for every place below a value that a mutation may spoil."""
        shape = self.shapes[name]
        kind = shape["type"]
        if path:
            yield path, name, required
        if isinstance(value, Hint):
            return
        if kind == "structure" and isinstance(value, dict):
            needed = set(shape.get("required", ()))
            for m, ref in shape.get("members", {}).items():
                yield from self.paths(ref["shape"], value.get(m), m in needed, path + (m,))
        elif kind == "list" and isinstance(value, list):
            for i, x in enumerate(value[:3]):
                yield from self.paths(shape["member"]["shape"], x, False, path + (i,))
        elif kind == "map" and isinstance(value, dict):
            for k in list(value)[:3]:
                yield from self.paths(shape["value"]["shape"], value[k], False, path + (k,))

    def mutations(self, input_shape: str) -> st.SearchStrategy:
        # Members twice as often as bodies: there are many more ways to spoil them.
        member = self._member_mutation(input_shape)
        return st.one_of(member, member, self._body_mutation(input_shape))

    def _member_mutation(self, input_shape: str) -> st.SearchStrategy:
        """One to three members of a valid document spoiled (none inside another).

        A wrong type anywhere is a SerializationException (the validator stops at it), else a broken constraint is a
        ValidationException; a null optional member is only unset.
        """

        @st.composite
        def draw(draw_):
            document = draw_(self.valid(input_shape))
            places = list(self.paths(input_shape, document))
            chosen = draw_(st.lists(st.sampled_from(places), min_size=1, max_size=3, unique_by=lambda p: p[0]))
            chosen = [c for c in chosen if not any(o[0] != c[0] and c[0][: len(o[0])] == o[0] for o in chosen)]
            labels, expects = [], []
            for path, name, required in chosen:
                label, value, expect = draw_(self.broken(name, required))
                document = put(document, path, value)
                labels.append(f"{label}@{'.'.join(map(str, path))}")
                expects.append(expect)
            expect = SERIALIZATION if SERIALIZATION in expects else VALIDATION if VALIDATION in expects else frozenset()
            return Mutation(" + ".join(labels), document, expect=expect)

        return draw()

    def _body_mutation(self, input_shape: str) -> st.SearchStrategy:
        valid = self.valid(input_shape)
        members = self.shapes[input_shape].get("members", {})
        unknown = st.tuples(valid, UNKNOWN_NAMES.filter(lambda n: n not in members), JSON_VALUES).map(lambda t: Mutation("unknown-member", {**t[0], t[1]: t[2]}))
        deep = st.tuples(valid, st.integers(100, 1200), st.sampled_from(["list", "map"])).map(
            lambda t: Mutation(f"deep-unknown-{t[2]}-{t[1]}", {**t[0], "Unknown": nest(t[1], t[2])}))
        random_bytes = st.binary(max_size=256).map(lambda b: Mutation("random-bytes", body=b))
        garbage = st.sampled_from([b"<xml/>", b"Action=ListConnections&Version=2019-12-01", b"{", b"[]", b'"s"', b"1", b"null",
                                   b"{'a': 1}", b'{"a": NaN}', b"{}{}", b'{"a":1,}', b"\xef\xbb\xbf{}", b"\x00", b"\xa0\xff"])
        not_the_protocol = st.one_of(
            garbage.map(lambda b: Mutation("garbage", body=b)),
            st.tuples(valid, st.integers(0, 1 << 12)).map(lambda t: Mutation(f"truncated-{t[1]}", t[0], mangle=("truncate", t[1]))),
            valid.map(lambda d: Mutation("trailing-garbage", d, mangle=("append", b" }x"))),
            valid.map(lambda d: Mutation("other-codec", d, mangle=("other-codec",))),
        )
        content_type = st.tuples(valid, st.sampled_from(["text/plain", "application/json", "application/x-amz-json-1.1",
                                                          "application/x-amz-json-1.0", "application/cbor", "multipart/form-data", ""])).map(
            lambda t: Mutation(f"content-type-{t[1] or 'none'}", t[0], content_type=t[1]))
        return st.one_of(unknown, deep, random_bytes, not_the_protocol, content_type)

    def request_body(self, mutation: Mutation, fill) -> tuple[bytes, frozenset]:
        """The body a mutation sends (hints filled in by `fill`), and the codes its answer must have."""
        if mutation.body is not None:
            return mutation.body, self._parse_oracle(mutation.body)
        document = resolve(mutation.document, fill)
        if not mutation.mangle:
            return self.encode(document), mutation.expect
        how = mutation.mangle[0]
        if how == "other-codec":
            body = encode_json(document) if self.transport == "cbor" else encode_cbor(document)
        elif how == "truncate":
            body = self.encode(document)[: mutation.mangle[1]]
        else:
            body = self.encode(document) + mutation.mangle[1]
        return body, self._parse_oracle(body)

    def _parse_oracle(self, body: bytes) -> frozenset:
        """SerializationException when the body surely does not decode to an object; else no expectation."""
        if self.transport == "cbor":
            if not body:
                return frozenset()
            fp = io.BytesIO(body)
            try:
                value = cbor2.CBORDecoder(fp).decode()
            except Exception:
                return SERIALIZATION
            if fp.tell() != len(body):
                return SERIALIZATION  # bytes after the first item
            return frozenset() if value is None or value is cbor2.undefined or type(value) is dict else SERIALIZATION
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return SERIALIZATION
        if not text or text.isspace():
            return frozenset()
        try:
            # Python's json is laxer than the server's orjson (NaN, 1e400, lone surrogates): what it refuses, so does orjson.
            value = json.loads(text, parse_constant=_refuse)
        except ValueError:
            return SERIALIZATION
        return frozenset() if type(value) is dict else SERIALIZATION


def _refuse(constant):
    raise ValueError(constant)


def encode_json(document) -> bytes:
    def default(value):
        if isinstance(value, bytes):
            return base64.b64encode(value).decode()
        raise TypeError(type(value).__name__)

    def dump(value) -> bytes:
        return json.dumps(value, default=default, ensure_ascii=False).encode("utf-8")

    return _with_deep(document, dump, lambda body, mark, deep: body.replace(dump(mark), deep.json()))


def encode_cbor(document) -> bytes:
    return _with_deep(document, cbor2.dumps, lambda body, mark, deep: body.replace(cbor2.dumps(mark), deep.cbor()))


def resolve(document, fill):
    if isinstance(document, Hint):
        return fill(document)
    if isinstance(document, dict):
        return {k: resolve(v, fill) for k, v in document.items()}
    if isinstance(document, list):
        return [resolve(v, fill) for v in document]
    return document


def hints_in(document) -> list[Hint]:
    if isinstance(document, Hint):
        return [document]
    if isinstance(document, dict):
        return [h for v in document.values() for h in hints_in(v)]
    if isinstance(document, list):
        return [h for v in document for h in hints_in(v)]
    return []


def put(document, path: tuple, value):
    """A copy of document with `value` at `path`."""
    if not path:
        return value
    key, rest = path[0], path[1:]
    if isinstance(document, list):
        copy = list(document)
        copy[key] = put(copy[key], rest, value)
        return copy
    copy = dict(document or {})
    copy[key] = put(copy.get(key), rest, value)
    return copy


# -- answers ------------------------------------------------------------------
def conforms(shapes: dict, name: str, value, path: str = "") -> list[str]:
    """Where an output value does not fit its shape: wrong types, unknown members, values outside an enum."""
    shape = shapes[name]
    kind = shape["type"]
    problems: list[str] = []
    if value is None:
        return problems
    if kind == "structure":
        if type(value) is not dict:
            return [f"{path or '<top>'}: {type(value).__name__} for a structure"]
        members = shape.get("members", {})
        for k, v in value.items():
            if k not in members:
                problems.append(f"{path}.{k}: not a member of {name}")
            else:
                problems += conforms(shapes, members[k]["shape"], v, f"{path}.{k}")
    elif kind == "list":
        if type(value) is not list:
            return [f"{path}: {type(value).__name__} for a list"]
        for i, v in enumerate(value):
            problems += conforms(shapes, shape["member"]["shape"], v, f"{path}[{i}]")
    elif kind == "map":
        if type(value) is not dict:
            return [f"{path}: {type(value).__name__} for a map"]
        for k, v in value.items():
            problems += conforms(shapes, shape["key"]["shape"], k, f"{path}<key>")
            problems += conforms(shapes, shape["value"]["shape"], v, f"{path}.{k}")
    elif kind == "string":
        if type(value) is not str:
            problems.append(f"{path}: {type(value).__name__} for a string")
        elif shape.get("enum") and value not in shape["enum"]:
            problems.append(f"{path}: {value!r} is not in the enum of {name}")
    elif kind in ("integer", "long"):
        if type(value) is not int:
            problems.append(f"{path}: {type(value).__name__} for an integer")
    elif kind == "boolean":
        if type(value) is not bool:
            problems.append(f"{path}: {type(value).__name__} for a boolean")
    elif kind == "timestamp":
        import datetime

        if isinstance(value, bool) or not isinstance(value, (int, float, datetime.datetime)):
            problems.append(f"{path}: {type(value).__name__} for a timestamp")
    return problems
