"""The nesting cap on request bodies (Config.max_depth): no model here nests past 6 levels, so deeper input is
refused before the validator or a provider walks it."""

from __future__ import annotations

from ..errors import AwsError


def check_depth(value, limit: int) -> None:
    """Raise SerializationException when dicts and lists nest deeper than `limit` (the top object is level 1)."""
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if level > limit:
            raise AwsError("SerializationException", f"The request body nests deeper than {limit} levels")
        children = item.values() if type(item) is dict else item
        for child in children:
            if type(child) is dict or type(child) is list:
                stack.append((child, level + 1))
