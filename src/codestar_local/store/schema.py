"""Schema versions: the steps that build a store's tables, and bring an older store up to this release.

A store records its version in meta('schema_version'). At start the store is migrated in one transaction: a fresh
store runs every step, an older one the steps past its version, a newer one is refused (SchemaError) untouched.
Each step is frozen once released: a schema change is a new step at the end, never an edit of an old one, and
tests/data keeps a state file of each released version that must still open (docs/OPERATIONS.md).
"""

from __future__ import annotations

import datetime
import os
import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    version: int  # what the store is once the step has run
    about: str
    sqlite: tuple[str, ...]
    postgres: tuple[str, ...]


def _tables(serial: str) -> tuple[str, ...]:
    return (
        f"""CREATE TABLE IF NOT EXISTS items (
            seq {serial},
            kind TEXT NOT NULL,
            id TEXT NOT NULL,
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            parent TEXT,
            data TEXT NOT NULL,
            UNIQUE (kind, id)
        )""",
        "CREATE INDEX IF NOT EXISTS items_account ON items (kind, account, seq)",
        "CREATE INDEX IF NOT EXISTS items_region ON items (kind, account, region, seq)",
        "CREATE INDEX IF NOT EXISTS items_parent ON items (kind, parent)",
        "CREATE TABLE IF NOT EXISTS retired (id TEXT PRIMARY KEY)",
    )


# One row per account that has state: PostgreSQL writers lock their account's row (SELECT ... FOR UPDATE), so
# writers of different accounts never wait on each other. SQLite has the table too (one schema) but serializes
# all writers with BEGIN IMMEDIATE and does not keep it up to date.
_ACCOUNTS = (
    "CREATE TABLE IF NOT EXISTS accounts (account TEXT PRIMARY KEY)",
    "INSERT INTO accounts (account) SELECT DISTINCT account FROM items WHERE true ON CONFLICT (account) DO NOTHING",
)

# Each write gives its account's row a new version (PostgreSQL: from a sequence, so a version is never reused), and a
# replica's read cache is good for an account while the version it holds is the row's (postgres.py).
_VERSIONS_SQLITE = ("ALTER TABLE accounts ADD COLUMN version INTEGER NOT NULL DEFAULT 0",)
_VERSIONS_POSTGRES = (
    "CREATE SEQUENCE IF NOT EXISTS account_versions",
    "ALTER TABLE accounts ADD COLUMN version BIGINT NOT NULL DEFAULT 0",
    "UPDATE accounts SET version = nextval('account_versions')",
)

STEPS = (
    Step(1, "items, retired ids and meta", _tables("INTEGER PRIMARY KEY AUTOINCREMENT"), _tables("BIGSERIAL PRIMARY KEY")),
    Step(2, "accounts: the per-account rows writers lock, filled from the accounts in items", _ACCOUNTS, _ACCOUNTS),
    Step(3, "accounts.version: a new one at each write of the account, for the replicas' read caches",
         _VERSIONS_SQLITE, _VERSIONS_POSTGRES),
)
VERSION = STEPS[-1].version

META = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
# Any constant: the transaction-scoped advisory lock that makes PostgreSQL replicas migrate one at a time. It is
# taken before meta exists (two CREATE TABLE IF NOT EXISTS race otherwise), so it cannot be a row or table lock.
PG_LOCK = 0x6D696772


class SchemaError(Exception):
    """The store cannot be used by this release; nothing was changed."""

    def __init__(self, message: str, found=None):
        super().__init__(message)
        self.found = found


@dataclass(frozen=True)
class Migration:
    """What one start did: found is None for a fresh store; ran lists the versions of the steps applied."""

    found: int | None
    ran: tuple[int, ...]

    @property
    def version(self) -> int:
        return self.ran[-1] if self.ran else self.found  # type: ignore[return-value]


def check(found: int | None, where: str) -> list[Step]:
    """The steps a store at version `found` (None: fresh) needs, or SchemaError."""
    if found is None:
        return list(STEPS)
    if found > VERSION:
        from .. import __version__

        raise SchemaError(
            f"{where} has schema version {found}, but codestar-local {__version__} knows versions up to {VERSION}: "
            f"a newer codestar-local wrote it. Upgrade codestar-local to a release that knows version {found}, or "
            "start this one with a new state (another --state file or database). Nothing was changed.",
            found,
        )
    if found < 1:
        raise SchemaError(f"{where} has schema version {found}, which no codestar-local release wrote. Nothing was changed.", found)
    return [s for s in STEPS if s.version > found]


def _parse(value, where: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SchemaError(f"{where} has schema version {value!r}, not a number: it is not a codestar-local state. Nothing was changed.") from None


def _stamp() -> str:
    from .. import __version__

    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    return f"{now} codestar-local {__version__} pid {os.getpid()}"


def _record(execute, found: int | None, steps: list[Step], p: str) -> None:
    """meta: the version, and when each step ran (a plain INSERT: a step that ran twice would fail the transaction)."""
    if found is None:
        execute(f"INSERT INTO meta (key, value) VALUES ('schema_version', {p})", (str(VERSION),))
        execute(f"INSERT INTO meta (key, value) VALUES ('created', {p})", (f"{_stamp()} at version {VERSION}",))
        return
    execute(f"UPDATE meta SET value = {p} WHERE key = 'schema_version'", (str(VERSION),))
    for step in steps:
        execute(f"INSERT INTO meta (key, value) VALUES ({p}, {p})", (f"migrated_to_{step.version}", f"{_stamp()} from version {found}"))


def migrate_sqlite(db, where: str = "the SQLite state") -> Migration:
    """Bring a sqlite3 connection (isolation_level=None, no open transaction) to VERSION, in one transaction."""
    try:
        db.execute("BEGIN IMMEDIATE")  # one worker at a time: the others wait (busy_timeout), then find it done
        found = None
        if db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone():
            row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            found = None if row is None else _parse(row[0], where)
        steps = check(found, where)
        if steps:
            db.execute(META)
            for step in steps:
                for statement in step.sqlite:
                    db.execute(statement)
            _record(db.execute, found, steps, "?")
        db.execute("COMMIT")
    except BaseException as e:
        if db.in_transaction:
            db.execute("ROLLBACK")
        if type(e) is sqlite3.DatabaseError:  # not OperationalError (locked, full disk): the file itself is wrong
            raise SchemaError(f"{where} is not a codestar-local state: SQLite says \"{e}\". Nothing was changed.") from None
        raise
    return Migration(found, tuple(s.version for s in steps))


def migrate_postgres(conn, where: str = "the PostgreSQL database") -> Migration:
    """Bring a psycopg 3 connection's database to VERSION, in one transaction; replicas that start at once wait for
    each other, so exactly one migrates and the rest find it done."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (PG_LOCK,))
        found = None
        if conn.execute("SELECT to_regclass('meta')").fetchone()[0] is not None:
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            found = None if row is None else _parse(row[0], where)
        steps = check(found, where)
        if steps:
            conn.execute(META)
            for step in steps:
                for statement in step.postgres:
                    conn.execute(statement)
            _record(conn.execute, found, steps, "%s")
    return Migration(found, tuple(s.version for s in steps))
