"""PostgreSQL store (psycopg 3 and psycopg_pool): one shared state for many server processes and replicas.

The providers' check-then-write rules (quotas, uniqueness, references) are per account, so writers are serialized
per account: each write transaction first locks its account's row in `accounts` (SELECT ... FOR UPDATE). Writers of
two accounts never wait on each other; operator writes that span accounts (reset, snapshot import, control actions
without an account) lock every account row, in one order. Row locks rather than advisory locks, so the same SQL runs
on PostgreSQL-compatible distributed SQL too (docs/OPERATIONS.md).

Reads run in one REPEATABLE READ READ ONLY transaction, so an operation's statements see one snapshot. A
serialization failure or deadlock surfaces as base.Conflict, which App.handle retries a bounded number of times.

The store does blocking I/O: `blocking = True` makes the ASGI app run App.handle on a bounded thread pool, never on
the event loop.
"""

from __future__ import annotations

import contextlib
import os

from ..errors import AwsError
from .base import Conflict, NeedsSnapshot, decode
from .schema import migrate_postgres
from .sql import SqlStore, SqlTx

DEFAULT_POOL = 8  # connections per process; --db-pool
# The account's row, made on its first write and locked by every write: one statement either way. Two first writers
# meet on the primary key, and the second waits for the first to commit before it locks the row.
LOCK_ACCOUNT = "INSERT INTO accounts (account) VALUES (%s) ON CONFLICT (account) DO UPDATE SET account = EXCLUDED.account"
LOCK_ALL = "SELECT account FROM accounts ORDER BY account FOR UPDATE"
READ = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"


class PostgresTx(SqlTx):
    """PostgreSQL's text cannot hold NUL, which SQLite's can: no stored key has one, so a lookup by such a key
    finds nothing, and a write of one is refused as invalid input."""

    __slots__ = ()
    P = "%s"

    def get(self, kind, id):
        return None if "\x00" in id else super().get(kind, id)

    def delete(self, kind, id):
        return False if "\x00" in id else super().delete(kind, id)

    def is_retired(self, id):
        return False if "\x00" in id else super().is_retired(id)

    def list(self, kind, account, region=None, parent=None, after=0, limit=None):
        if _nul(account, region, parent):
            return []
        return super().list(kind, account, region, parent, after, limit)

    def count(self, kind, account, region=None, parent=None):
        return 0 if _nul(account, region, parent) else super().count(kind, account, region, parent)

    def insert(self, kind, id, account, region, data, parent=None):
        if _nul(id, account, region, parent):
            raise AwsError("ValidationException", "Identifiers must not contain the NUL character")
        return super().insert(kind, id, account, region, data, parent)


def _nul(*values) -> bool:
    return any(v is not None and "\x00" in v for v in values)


def pool_size(value=None) -> int:
    if value is None:
        value = os.environ.get("CODESTAR_LOCAL_DB_POOL") or DEFAULT_POOL
    size = int(value)
    if size < 1:
        raise ValueError("the database pool needs at least 1 connection")
    return size


class PostgresStore(SqlStore):
    blocking = True

    def __init__(self, url: str, pool: int | None = None):
        import psycopg
        from psycopg_pool import ConnectionPool

        self.url = _redact(url)
        self.size = pool_size(pool)
        self._errors = (psycopg.errors.SerializationFailure, psycopg.errors.DeadlockDetected)
        # Fail fast on a bad URL, with psycopg's message, before the pool starts retrying in the background.
        psycopg.connect(url, connect_timeout=10).close()
        self.pool = ConnectionPool(
            url, min_size=1, max_size=self.size, kwargs={"autocommit": True}, open=True, timeout=30, name="codestar-local"
        )
        try:
            with self.pool.connection() as conn:
                self.migration = migrate_postgres(conn, self.url)
        except BaseException:
            self.pool.close()
            raise

    @contextlib.contextmanager
    def read(self, snapshot: bool = True):
        with self.pool.connection() as conn:
            if not snapshot:
                # One statement is its own snapshot: no BEGIN and COMMIT round trips.
                yield PostgresTx(_OneStatement(conn))
                return
            conn.execute(READ)
            try:
                yield PostgresTx(conn)
            except BaseException:
                _rollback(conn)
                raise
            conn.execute("COMMIT")

    @contextlib.contextmanager
    def write(self, account: str | None = None):
        with self.pool.connection() as conn:
            try:
                # Plain BEGIN and COMMIT: psycopg's transaction() and pipeline() cost more client CPU (measured).
                conn.execute("BEGIN")
                if account is None:
                    conn.execute(LOCK_ALL).fetchall()
                else:
                    conn.execute(LOCK_ACCOUNT, (account,))
                yield PostgresTx(conn)
                conn.execute("COMMIT")
            except self._errors as e:
                _rollback(conn)
                raise Conflict(str(e)) from e
            except BaseException:
                _rollback(conn)
                raise

    def dump(self) -> dict:
        with self.read() as tx:  # one snapshot, even while writes go on
            items = [
                {"seq": r[0], "kind": r[1], "id": r[2], "account": r[3], "region": r[4], "parent": r[5], "data": decode(r[6])}
                for r in tx.db.execute("SELECT seq, kind, id, account, region, parent, data FROM items ORDER BY seq")
            ]
            retired = [r[0] for r in tx.db.execute("SELECT id FROM retired ORDER BY id")]
        return {"items": items, "retired": retired}

    def load(self, snapshot: dict) -> None:
        with self.write() as tx:
            self._load_rows(tx, snapshot)
            tx.db.execute(
                "INSERT INTO accounts (account) SELECT DISTINCT account FROM items ON CONFLICT DO NOTHING"
            )
            # Sequence numbers never go back: keep the counter past every loaded item.
            tx.db.execute(
                "SELECT setval(pg_get_serial_sequence('items', 'seq'), GREATEST((SELECT COALESCE(MAX(seq), 0) FROM items), "
                "(SELECT last_value FROM items_seq_seq)))"
            )

    def close(self) -> None:
        self.pool.close()


class _OneStatement:
    """A connection that runs one statement in autocommit, and refuses a second (NeedsSnapshot)."""

    __slots__ = ("conn", "used")

    def __init__(self, conn):
        self.conn = conn
        self.used = False

    def execute(self, *args):
        if self.used:
            raise NeedsSnapshot("a second statement")
        self.used = True
        return self.conn.execute(*args)


def _rollback(conn) -> None:
    with contextlib.suppress(Exception):  # a broken connection: the pool discards it
        conn.execute("ROLLBACK")


def _redact(url: str) -> str:
    """The URL without its password, for logs and /health."""
    head, sep, tail = url.partition("@")
    if not sep or "://" not in head:
        return url
    scheme, _, cred = head.partition("://")
    user = cred.split(":", 1)[0]
    return f"{scheme}://{user}@{tail}" if user else f"{scheme}://{tail}"
