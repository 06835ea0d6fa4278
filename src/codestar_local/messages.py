"""Request and Response: what a transport hands App.handle and gets back."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Request:
    method: str
    path: str
    headers: dict  # lower-case name -> str
    body: bytes = b""
    query: str = ""
    too_large: bool = False  # the transport stopped reading past Config.max_body


@dataclass(slots=True)
class Response:
    status: int
    headers: list = field(default_factory=list)  # [(bytes, bytes)]
    body: bytes = b""
