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

Read cache. Every write gives its account's row a new `version` (from a sequence: never reused). The server gathers
the one-statement reads that arrive together, and the read thread runs one query of their accounts' versions
(`check_versions`): each account's cached rows are kept while its version is the one they were read under, else
dropped. The hits are then answered on the event loop (`hits_only`), and the rest on the read thread
(`cached_reads`), where a point read is fetched and kept. The versions are read after every
request of the batch was received, so a write acknowledged anywhere before a request was sent is seen: the
account's version changed, and its rows are read afresh. Only rows of the caller's own account are kept (the
rules only let an account write its own), and a miss is never kept.
"""

from __future__ import annotations

import contextlib
import os
import threading

from ..errors import AwsError
from .base import Conflict, NeedsIO, NeedsSnapshot, decode
from .schema import migrate_postgres
from .sql import SqlStore, SqlTx, item_from_row

DEFAULT_POOL = 8  # connections per process; --db-pool
# The account's row, made on its first write and locked by every write: one statement either way. Two first writers
# meet on the primary key, and the second waits for the first to commit before it locks the row.
# The same statement gives the row a new version, which tells every replica's read cache that the account changed.
LOCK_ACCOUNT = ("INSERT INTO accounts (account, version) VALUES (%s, nextval('account_versions')) "
                "ON CONFLICT (account) DO UPDATE SET version = EXCLUDED.version")
LOCK_ALL = "SELECT account FROM accounts ORDER BY account FOR UPDATE"
# BEGIN and the lock in one round trip: bound on the client (psycopg.ClientCursor), a simple query may hold both;
# 70 us of client CPU against 120-146 us for two statements, measured.
BEGIN_AND_LOCK = "BEGIN; " + LOCK_ACCOUNT
NEW_VERSIONS = "UPDATE accounts SET version = nextval('account_versions')"
VERSIONS = "SELECT account, version FROM accounts WHERE account = ANY(%s)"
CACHE_ROWS = 20000  # rows kept in all, every account
CACHE_ACCOUNTS = 10000  # accounts whose versions are remembered
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


class _CachedTx(PostgresTx):
    """One-statement reads of a batch (cached_reads): a point read of the caller's account may come from the cache,
    and counts as the one statement either way."""

    __slots__ = ("rows", "account", "store")

    def __init__(self, one, rows, account, store):
        super().__init__(one)
        self.rows = rows
        self.account = account
        self.store = store

    def get(self, kind, id):
        row = self.rows.get((kind, id))
        if row is not None:
            self.db.take()
            return item_from_row(row)
        if "\x00" in id:
            return None
        row = self.db.execute(self.GET, (kind, id)).fetchone()
        if row is None:
            return None
        if row[3] == self.account:
            self.store.keep(self.rows, (kind, id), row)
        return item_from_row(row)


class _HitTx:
    """A one-statement read on the event loop: a point read the cache holds, or NeedsIO for anything else."""

    __slots__ = ("rows", "used")

    def __init__(self, rows):
        self.rows = rows
        self.used = False

    def get(self, kind, id):
        if self.used:
            raise NeedsSnapshot("a second statement")
        self.used = True
        row = self.rows.get((kind, id))
        if row is None:
            raise NeedsIO("a miss")
        return item_from_row(row)

    def __getattr__(self, name):
        raise NeedsIO(name)


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
        self._client_cursor = psycopg.ClientCursor
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
        # account -> [version, {(kind, id): row}]; changed only on the read thread, and read on the event loop
        # (hits_only) only while that thread is idle.
        self.cache: dict = {}
        self.cached = 0
        self._batch = threading.local()

    def check_versions(self, accounts) -> None:
        """Read the accounts' versions and drop what the cache holds of those that changed (on the read thread)."""
        with self.pool.connection() as conn:
            self._check(conn, accounts)

    def _check(self, conn, accounts) -> None:
        found = dict(conn.execute(VERSIONS, (list(accounts),)).fetchall())
        cache = self.cache
        if len(cache) > CACHE_ACCOUNTS:
            cache.clear()
            self.cached = 0
        for account in accounts:
            version = found.get(account)  # None: the account never wrote; a first write gives it a version
            entry = cache.get(account)
            if entry is None or entry[0] != version:
                if entry is not None:
                    self.cached -= len(entry[1])
                cache[account] = [version, {}]

    @contextlib.contextmanager
    def hits_only(self, accounts):
        """On the event loop, right after check_versions(accounts) and while the read thread is idle: the reads run
        inside are answered from the cache, or raise NeedsIO (a miss, a list, a second statement)."""
        self._batch.hits = accounts
        try:
            yield
        finally:
            self._batch.hits = None

    @contextlib.contextmanager
    def cached_reads(self, accounts, checked: bool = False):
        """Answer the reads run inside on this thread from the cache where it holds, checked once for them all
        (`checked`: check_versions already did, after every one of these reads arrived)."""
        with self.pool.connection() as conn:
            if not checked:
                self._check(conn, accounts)
            self._batch.conn = conn
            self._batch.accounts = accounts
            try:
                yield
            finally:
                self._batch.conn = None

    def keep(self, rows: dict, key, row) -> None:
        if self.cached >= CACHE_ROWS:
            for entry in self.cache.values():
                entry[1].clear()
            self.cached = 0
        if key not in rows:
            self.cached += 1
        rows[key] = row

    @contextlib.contextmanager
    def read(self, snapshot: bool = True, account: str | None = None):
        hits = getattr(self._batch, "hits", None)
        if hits is not None:
            entry = self.cache.get(account) if not snapshot and account in hits else None
            if entry is None:
                raise NeedsIO("not a one-statement read of an account just checked")
            yield _HitTx(entry[1])
            return
        conn = getattr(self._batch, "conn", None)
        if conn is not None and not snapshot and account in self._batch.accounts:  # checked by this batch
            yield _CachedTx(_OneStatement(conn), self.cache[account][1], account, self)
            return
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
                if account is None:
                    conn.execute("BEGIN")
                    conn.execute(LOCK_ALL).fetchall()
                    conn.execute(NEW_VERSIONS)
                else:
                    self._client_cursor(conn).execute(BEGIN_AND_LOCK, (account,))
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
                "INSERT INTO accounts (account, version) SELECT DISTINCT account, nextval('account_versions') FROM items "
                "ON CONFLICT DO NOTHING"
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
        self.take()
        return self.conn.execute(*args)

    def take(self) -> None:
        if self.used:
            raise NeedsSnapshot("a second statement")
        self.used = True


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
