"""Escape-by-default HTML building: every value is escaped unless it is already Safe."""

from __future__ import annotations

import html
import string


class Safe(str):
    """Markup that is already escaped (or written by us)."""


def esc(value) -> Safe:
    if isinstance(value, Safe):
        return value
    if value is None:
        return Safe("")
    return Safe(html.escape(str(value), quote=True))


def fmt(template: str, **values) -> Safe:
    """str.format with every argument escaped; templates themselves are trusted."""
    return Safe(template.format_map({k: esc(v) for k, v in values.items()}))


def join(parts, sep: str = "") -> Safe:
    return Safe(sep.join(esc(p) for p in parts))


class Template:
    """A file with $name placeholders ($$ for a dollar), filled with escaped values."""

    def __init__(self, text: str):
        self.template = string.Template(text)

    def render(self, **values) -> Safe:
        return Safe(self.template.substitute({k: esc(v) for k, v in values.items()}))
