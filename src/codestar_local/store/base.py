"""The storage interface.

State is a set of versioned JSON documents ("items"), each with a kind, a unique
id (an ARN or a composed key), the account and region that own it, an optional
parent id (what it refers to, for reference checks) and an insertion sequence
number that never repeats, used for keyset pagination.

Providers see only a transaction object (Tx) with the methods below; the
transaction makes check-then-write rules (quotas, uniqueness, references) atomic.
"""

from __future__ import annotations

import base64
import contextlib
from dataclasses import dataclass
from typing import Iterator, Protocol

import orjson

from ..errors import AwsError


@dataclass(slots=True)
class Item:
    seq: int
    kind: str
    id: str
    account: str
    region: str
    parent: str | None
    data: dict


class Tx(Protocol):
    def get(self, kind: str, id: str) -> Item | None: ...
    def insert(self, kind: str, id: str, account: str, region: str, data: dict, parent: str | None = None) -> Item: ...
    def update(self, item: Item) -> None: ...
    def delete(self, kind: str, id: str) -> bool: ...
    def list(
        self,
        kind: str,
        account: str,
        region: str | None = None,
        parent: str | None = None,
        after: int = 0,
        limit: int | None = None,
    ) -> list[Item]: ...
    def count(self, kind: str, account: str, region: str | None = None, parent: str | None = None) -> int: ...
    def retire(self, id: str) -> None: ...
    def is_retired(self, id: str) -> bool: ...


class Conflict(Exception):
    """A write transaction lost to a concurrent one (serialization failure, deadlock); running it again may work."""


WRITE_ATTEMPTS = 5  # how many times in all a write that keeps losing (Conflict) runs before it is answered as failed


class NeedsSnapshot(Exception):
    """A read begun as one statement (Store.read(snapshot=False)) asked for a second: run it again in a snapshot."""


class NeedsIO(Exception):
    """A read tried on the event loop (a cache's hits only) needs the database: run it again on a thread."""


class Store:
    """Base class: subclasses implement read()/write() yielding a Tx."""

    url: str = ""
    # True when transactions wait on a network database: the ASGI app then runs requests on a thread pool.
    blocking: bool = False
    size: int = 1  # transactions the store can run at once

    def read(self, snapshot: bool = True, account: str | None = None) -> contextlib.AbstractContextManager[Tx]:
        """A read transaction. snapshot=False promises one statement, which a store may run without a transaction
        of its own; a second statement then raises NeedsSnapshot (reads have no side effects: run them again).
        account: the caller's, whose rows a store may answer from a cache it can vouch for (postgres.py)."""
        raise NotImplementedError

    def write(self, account: str | None = None) -> contextlib.AbstractContextManager[Tx]:
        """A write transaction for one account's rules, or (None) for every account's."""
        raise NotImplementedError

    # Whole-state operations for the control API and snapshots.
    def dump(self) -> dict:
        raise NotImplementedError

    def load(self, snapshot: dict) -> None:
        raise NotImplementedError

    def reset(self, account: str | None = None) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


def encode(data: dict) -> str:
    return orjson.dumps(data).decode()


def decode(text) -> dict:
    return orjson.loads(text)


# -- pagination tokens ---------------------------------------------------------
# CodeStar's PaginationToken pattern (^[\w/+=]+$) has no '-': it gets the standard alphabet.
def make_token(kind: str, seq: int, urlsafe: bool = True) -> str:
    raw = orjson.dumps({"v": 1, "k": kind, "s": seq})
    if urlsafe:
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return base64.b64encode(raw).decode()


def read_token(kind: str, token: str | None, error: str = "ValidationException", urlsafe: bool = True) -> int:
    """The sequence number to continue after; a token that is not ours is `error`."""
    if token is None:
        return 0
    try:
        padded = token + "=" * (-len(token) % 4)
        raw = base64.urlsafe_b64decode(padded) if urlsafe else base64.b64decode(padded, validate=True)
        value = orjson.loads(raw)
        if value.get("v") == 1 and value.get("k") == kind and type(value.get("s")) is int and value["s"] >= 0:
            return value["s"]
    except Exception:
        pass
    if error == "ValidationException":
        raise AwsError(error, "Invalid NextToken: the token is malformed or was not issued for this operation")
    raise AwsError(error, "The next token is not valid.")


def iter_scope(items: list[Item]) -> Iterator[Item]:
    yield from items
