"""Input validation compiled from the service model.

Each input shape is compiled once into a tree of small closures, so a request
costs one walk of its own values and never a walk of the model. All constraint
failures of one request are gathered into one ValidationException in AWS's
(Coral's) format; a value of the wrong JSON/CBOR type is a
SerializationException, as the AWS front end answers it.

The message rules live in RULES, in one place.
"""

from __future__ import annotations

import datetime
from typing import Callable

import regex

from .errors import AwsError

RULES = {
    "required": "Member must not be null",
    "max_len": "Member must have length less than or equal to {}",
    "min_len": "Member must have length greater than or equal to {}",
    "pattern": "Member must satisfy regular expression pattern: {}",
    "enum": "Member must satisfy enum value set: [{}]",
    "max": "Member must have value less than or equal to {}",
    "min": "Member must have value greater than or equal to {}",
}

# What the AWS front end says when a JSON value has the wrong type.
TYPE_NAMES = {
    "string": "a String",
    "integer": "an Integer",
    "long": "a Long",
    "boolean": "a Boolean",
    "timestamp": "a Timestamp",
    "blob": "a Blob",
    "float": "a Float",
    "double": "a Double",
}

# Seconds one pattern match may take (patterns without a max length have no other bound).
MATCH_TIMEOUT = 0.1

Validator = Callable[[object], None]
Check = Callable[[object, str, list], None]


def render(value) -> str:
    """A value as Coral prints it inside 'Value ... at'."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(render(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={render(v)}" for k, v in value.items()) + "}"
    return str(value)


def message(errors: list[tuple[str, object, str]]) -> str:
    """errors: (path, value or None for null, rule text)."""
    parts = []
    for path, value, rule in errors:
        shown = "null" if value is None else f"'{render(value)}'"
        parts.append(f"Value {shown} at '{path}' failed to satisfy constraint: {rule}")
    n = len(errors)
    return f"{n} validation error{'s' if n != 1 else ''} detected: " + "; ".join(parts)


def path_name(member: str) -> str:
    return member[:1].lower() + member[1:]


def java_length(s: str) -> int:
    """String length in UTF-16 code units, as Java counts it."""
    if s.isascii():
        return len(s)
    return len(s.encode("utf-16-le")) // 2


# Java's predefined classes (ASCII unless UNICODE_CHARACTER_CLASS) and its dot (no line terminator), spelled out
# so that \p{...} keeps its full Unicode meaning: a regex.ASCII flag would narrow \p{L} to ASCII letters too.
_JAVA_CLASSES = {
    "w": ("[a-zA-Z0-9_]", "a-zA-Z0-9_"),
    "W": ("[^a-zA-Z0-9_]", "\\x00-\\x2F\\x3A-\\x40\\x5B-\\x5E\\x60\\x7B-\\U0010FFFF"),
    "d": ("[0-9]", "0-9"),
    "D": ("[^0-9]", "\\x00-\\x2F\\x3A-\\U0010FFFF"),
    "s": ("[ \\t\\n\\x0B\\f\\r]", " \\t\\n\\x0B\\f\\r"),
    "S": ("[^ \\t\\n\\x0B\\f\\r]", "\\x00-\\x08\\x0E-\\x1F\\x21-\\U0010FFFF"),
}
_JAVA_DOT = "[^\\n\\r\\u0085\\u2028\\u2029]"


def linear(pattern: str) -> bool:
    """Whether matching the pattern takes time linear in the value: at most one quantifier, no group and no
    alternation (a character class counts as one character). Only other patterns can backtrack for long, so only
    they pay for the regex module's timeout (about 1.6 us a match)."""
    quantifiers = 0
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            if pattern[i + 1 : i + 2] in ("p", "P", "u", "x", "N"):
                return False  # \p{..} and kin: braces the scan below would misread
            i += 2
            continue
        if c == "[":
            i += 1
            if pattern[i : i + 1] == "^":
                i += 1
            if pattern[i : i + 1] == "]":
                i += 1  # a leading ] is a literal
            while i < n and pattern[i] != "]":
                if pattern[i] == "[":
                    return False  # nested classes, unions: not worth reading
                i += 2 if pattern[i] == "\\" else 1
            if i >= n:
                return False
        elif c in "(|":
            return False
        elif c in "*+?{":
            quantifiers += 1
            if c == "{":
                close = pattern.find("}", i)
                if close < 0:
                    return False
                i = close
        i += 1
    return quantifiers <= 1


def java_pattern(pattern: str) -> str:
    """A model's java.util.regex pattern in the `regex` module's V0 dialect, with Java's meaning.

    \\w \\d \\s (and negations) are ASCII, `.` excludes every line terminator (\\n \\r \\u0085 \\u2028 \\u2029),
    \\p{L} and the other Unicode classes stay Unicode, and a `-` after a class escape in [...] is a literal.
    """
    out = []
    i, n = 0, len(pattern)
    in_class = after_class_escape = False
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            found = _JAVA_CLASSES.get(nxt)
            out.append((found[1] if in_class else found[0]) if found else pattern[i : i + 2])
            after_class_escape = in_class and found is not None
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
            elif c == "-" and after_class_escape and pattern[i + 1 : i + 2] not in ("]", ""):
                c = "\\-"
        elif c == "[":
            in_class = True
        elif c == ".":
            c = _JAVA_DOT
        out.append(c)
        after_class_escape = False
        i += 1
    return "".join(out)


def _json_kind(value) -> str:
    if value is None:
        return "NULL_VALUE"
    if isinstance(value, bool):
        return "TRUE_VALUE" if value else "FALSE_VALUE"
    if isinstance(value, (int, float)):
        return "NUMBER_VALUE"
    if isinstance(value, str):
        return "STRING_VALUE"
    return "VALUE"


def type_error(value, expected: str) -> AwsError:
    if isinstance(value, dict):
        msg = "Start of structure or map found where not expected."
    elif isinstance(value, list):
        msg = "Start of list found where not expected."
    elif expected in ("structure", "map"):
        msg = f"{_json_kind(value)} can not be converted to a Structure or Map"
    elif expected == "list":
        msg = f"{_json_kind(value)} can not be converted to a List"
    else:
        msg = f"{_json_kind(value)} can not be converted to {TYPE_NAMES.get(expected, 'a ' + expected)}"
    return AwsError("SerializationException", msg)


class Compiler:
    def __init__(self, shapes: dict):
        self.shapes = shapes
        self.cache: dict[str, Check] = {}

    def compile(self, shape_name: str) -> Validator:
        check = self.check(shape_name)

        def validator(params) -> None:
            errors: list = []
            check(params, "", errors)
            if errors:
                raise AwsError("ValidationException", message(errors))

        return validator

    def check(self, name: str) -> Check:
        found = self.cache.get(name)
        if found is not None:
            return found
        # Recursive shapes: install a trampoline first.
        slot: list[Check] = []
        self.cache[name] = lambda v, p, e: slot[0](v, p, e)
        built = self._build(self.shapes[name])
        slot.append(built)
        self.cache[name] = built
        return built

    def _build(self, shape: dict) -> Check:
        kind = shape["type"]
        builder = getattr(self, f"_build_{kind}", None)
        if builder is None:
            return lambda v, p, e: None
        return builder(shape)

    # -- scalars -----------------------------------------------------------
    def _build_string(self, shape: dict) -> Check:
        enum = shape.get("enum")
        enum_set = frozenset(enum) if enum else None
        enum_rule = RULES["enum"].format(", ".join(enum)) if enum else None
        pattern = shape.get("pattern")
        matcher = regex.compile(java_pattern(pattern), regex.V0).fullmatch if pattern else None
        timed = pattern is not None and not linear(pattern)
        pattern_rule = RULES["pattern"].format(pattern) if pattern else None
        lo, hi = shape.get("min"), shape.get("max")
        lo_rule = RULES["min_len"].format(lo) if lo is not None else None
        hi_rule = RULES["max_len"].format(hi) if hi is not None else None

        # Values that matched before: a dict hit is cheaper than a backtracking ARN pattern.
        matched: dict = {}
        # A value far over its max length fails anyway; matching it could backtrack for minutes
        # (the ARN patterns are quadratic in the number of ':'), so only the length is reported.
        match_limit = hi * 2 + 1024 if hi is not None else None

        def check(v, p, e):
            if type(v) is not str:
                raise type_error(v, "string")
            if enum_set is not None and v not in enum_set:
                e.append((p, v, enum_rule))
            if matcher is not None and v not in matched and (match_limit is None or len(v) <= match_limit):
                if timed:
                    try:
                        found = matcher(v, timeout=MATCH_TIMEOUT)
                    except TimeoutError:
                        found = None  # pathological input: report it as not matching rather than stall the server
                else:
                    found = matcher(v)
                if found is None:
                    e.append((p, v, pattern_rule))
                elif len(v) <= 2048:
                    if len(matched) >= 4096:
                        matched.clear()
                    matched[v] = True
            if lo is not None or hi is not None:
                n = java_length(v)
                if lo is not None and n < lo:
                    e.append((p, v, lo_rule))
                if hi is not None and n > hi:
                    e.append((p, v, hi_rule))

        return check

    def _build_integer(self, shape: dict) -> Check:
        lo, hi = shape.get("min"), shape.get("max")
        lo_rule = RULES["min"].format(lo) if lo is not None else None
        hi_rule = RULES["max"].format(hi) if hi is not None else None
        kind = shape["type"]

        def check(v, p, e):
            if type(v) is not int:
                if type(v) is float and v.is_integer():
                    v = int(v)
                else:
                    raise type_error(v, kind)
            if lo is not None and v < lo:
                e.append((p, v, lo_rule))
            if hi is not None and v > hi:
                e.append((p, v, hi_rule))

        return check

    _build_long = _build_integer

    def _build_float(self, shape: dict) -> Check:
        def check(v, p, e):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise type_error(v, "double")

        return check

    _build_double = _build_float

    def _build_boolean(self, shape: dict) -> Check:
        def check(v, p, e):
            if type(v) is not bool:
                raise type_error(v, "boolean")

        return check

    def _build_timestamp(self, shape: dict) -> Check:
        def check(v, p, e):
            if isinstance(v, bool) or not isinstance(v, (int, float, str, datetime.datetime)):
                raise type_error(v, "timestamp")

        return check

    def _build_blob(self, shape: dict) -> Check:
        def check(v, p, e):
            if not isinstance(v, (str, bytes)):
                raise type_error(v, "blob")

        return check

    # -- aggregates --------------------------------------------------------
    def _size_checks(self, shape: dict):
        lo, hi = shape.get("min"), shape.get("max")
        lo_rule = RULES["min_len"].format(lo) if lo is not None else None
        hi_rule = RULES["max_len"].format(hi) if hi is not None else None
        return lo, hi, lo_rule, hi_rule

    def _build_list(self, shape: dict) -> Check:
        lo, hi, lo_rule, hi_rule = self._size_checks(shape)
        item = self.check(shape["member"]["shape"])

        def check(v, p, e):
            if type(v) is not list:
                raise type_error(v, "list")
            n = len(v)
            if lo is not None and n < lo:
                e.append((p, v, lo_rule))
            if hi is not None and n > hi:
                e.append((p, v, hi_rule))
            for i, x in enumerate(v, 1):
                if x is None:
                    # The models' lists are dense: a null member is missing, as a null required member is.
                    e.append((f"{p}.{i}.member", None, RULES["required"]))
                    continue
                item(x, f"{p}.{i}.member", e)

        return check

    def _build_map(self, shape: dict) -> Check:
        lo, hi, lo_rule, hi_rule = self._size_checks(shape)
        key_check = self.check(shape["key"]["shape"])
        value_check = self.check(shape["value"]["shape"])

        def check(v, p, e):
            if type(v) is not dict:
                raise type_error(v, "map")
            n = len(v)
            if lo is not None and n < lo:
                e.append((p, v, lo_rule))
            if hi is not None and n > hi:
                e.append((p, v, hi_rule))
            for k, x in v.items():
                key_errors: list = []
                key_check(k, p, key_errors)
                if key_errors:
                    rules = ", ".join(r for _, _, r in key_errors)
                    e.append((p, v, f"Map keys must satisfy constraint: [{rules}]"))
                if x is None:
                    e.append((f"{p}.{k}", None, RULES["required"]))  # dense maps, as dense lists
                else:
                    value_check(x, f"{p}.{k}", e)

        return check

    def _build_structure(self, shape: dict) -> Check:
        members = shape.get("members", {})
        required = tuple(shape.get("required", ()))
        names = {m: path_name(m) for m in members}
        member_shapes = {m: ref["shape"] for m, ref in members.items()}
        integers = frozenset(m for m, s in member_shapes.items() if self.shapes[s]["type"] in ("integer", "long"))
        # Compiled now, at start-up (recursive shapes go through the trampoline in check()).
        checks: dict[str, Check] = {m: self.check(shape_name) for m, shape_name in member_shapes.items()}

        def check(v, p, e):
            if type(v) is not dict:
                raise type_error(v, "structure")
            prefix = p + "." if p else ""
            for m in required:
                if v.get(m) is None:
                    e.append((prefix + names[m], None, RULES["required"]))
            for k, x in v.items():
                if x is None:
                    continue
                c = checks.get(k)
                if c is None:
                    continue  # unknown members are ignored, as AWS does
                c(x, prefix + names[k], e)
                if type(x) is float and k in integers:
                    v[k] = int(x)  # 5.0 is read as 5, as Jackson does

        return check
