"""SQLite store (stdlib sqlite3, WAL): the embedded default."""

from __future__ import annotations

import os
import sqlite3
import threading

from .checkpoint import Checkpointer
from .schema import SchemaError, migrate_sqlite
from .sql import SqlStore, SqlTx, item_from_row

CACHE_ROWS = 20000
# --durability: SQLite's synchronous setting in WAL mode (docs/OPERATIONS.md). normal: a commit survives a crash of
# the process, not always a power loss; full: each commit is fsynced, so it survives both.
DURABILITY = {"normal": "NORMAL", "full": "FULL"}


class SqliteTx(SqlTx):
    __slots__ = ()
    P = "?"


class CachedReadTx(SqliteTx):
    """The read transaction: point reads come from a cache of raw rows.

    Rows are decoded on every hit, so callers never share a dict. The cache is
    cleared by our own commits and, for a file, whenever SQLite's data_version
    says another connection (another worker, the CLI) committed.
    """

    __slots__ = ("cache",)

    def __init__(self, db):
        super().__init__(db)
        self.cache: dict = {}

    def get(self, kind, id):
        key = (kind, id)
        row = self.cache.get(key)
        if row is None:
            row = self.db.execute(self.GET, key).fetchone()
            if row is None:
                return None
            if len(self.cache) >= CACHE_ROWS:
                self.cache.clear()
            self.cache[key] = row
        return item_from_row(row)


class _Reading:
    """Reads are single statements: the lock only keeps threads (the in-process mock) apart.

    For a file, each read first asks SQLite whether another connection committed (PRAGMA data_version, about
    2.5 us, a quarter of a cached GetConnection). Inside a group commit it asks once per batch: every request of a
    batch was wholly received before the batch began, so a write acknowledged elsewhere before any of them was
    sent is already seen by that one check."""

    __slots__ = ("store", "lock", "tx", "shared", "version")

    def __init__(self, store, tx, shared):
        self.store = store
        self.lock = store.lock
        self.tx = tx
        self.shared = shared  # a file other connections may write to
        self.version = None

    def __enter__(self):
        self.lock.acquire()
        if self.shared:
            batch = self.store.batch_open
            if batch is not None:
                if batch.checked:
                    return self.tx
                batch.checked = True
            try:
                version = self.tx.db.execute("PRAGMA data_version").fetchone()[0]
            except BaseException:
                self.lock.release()
                raise
            if version != self.version:
                self.tx.cache.clear()
                self.version = version
        return self.tx

    def __exit__(self, *exc):
        self.lock.release()
        return False


class _Writing:
    """One write transaction; BEGIN IMMEDIATE serializes writers across processes too. Inside a group commit
    (_Batch) it is a savepoint of the batch's transaction instead: its own changes still go or stay together."""

    __slots__ = ("store", "nested")

    def __init__(self, store):
        self.store = store
        self.nested = False

    def __enter__(self):
        store = self.store
        store.lock.acquire()
        try:
            batch = store.batch_open
            self.nested = batch is not None
            if batch is None:
                store.db.execute("BEGIN IMMEDIATE")
            else:
                if not batch.begun:
                    store.db.execute("BEGIN IMMEDIATE")
                    batch.begun = True
                store.db.execute("SAVEPOINT request")
        except BaseException:
            store.lock.release()
            raise
        return SqliteTx(store.db)

    def __exit__(self, exc_type, exc, tb):
        store = self.store
        db = store.db
        try:
            if self.nested:
                if exc_type is not None:
                    db.execute("ROLLBACK TO request")
                db.execute("RELEASE request")
            else:
                db.execute("ROLLBACK" if exc_type is not None else "COMMIT")
                if store.checkpointer is not None:
                    store.checkpointer.committed()
        except BaseException:
            if exc_type is None and db.in_transaction and not self.nested:
                db.execute("ROLLBACK")
            raise
        finally:
            store._tx.cache.clear()
            store.lock.release()
        return False


class _Batch:
    """Group commit: the writes of the requests answered inside it share one transaction, each in a savepoint, and
    one COMMIT. Nothing is acknowledged before that COMMIT (the server writes the answers after it), so durability is
    what it is for one write; a failed COMMIT fails every request of the batch."""

    __slots__ = ("store", "begun", "checked")

    def __init__(self, store):
        self.store = store
        self.begun = False
        self.checked = False  # the read cache was checked against other connections' commits (_Reading)

    def __enter__(self):
        store = self.store
        store.lock.acquire()
        self.begun = False
        self.checked = False
        store.batch_open = self
        return self

    def __exit__(self, exc_type, exc, tb):
        store = self.store
        try:
            if self.begun:
                try:
                    store.db.execute("ROLLBACK" if exc_type is not None else "COMMIT")
                    if store.checkpointer is not None:
                        store.checkpointer.committed()
                except BaseException:
                    if store.db.in_transaction:
                        store.db.execute("ROLLBACK")
                    raise
                finally:
                    store._tx.cache.clear()
        finally:
            store.batch_open = None
            store.lock.release()
        return False


class SqliteStore(SqlStore):
    def __init__(self, path: str, durability: str = "normal"):
        if durability not in DURABILITY:
            raise ValueError(f"durability must be one of {', '.join(DURABILITY)}, not {durability!r}")
        self.memory = path in ("memory", ":memory:")
        self.path = ":memory:" if self.memory else os.path.abspath(os.path.expanduser(path))
        self.url = "memory" if self.memory else self.path
        if not self.memory:
            os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        self.lock = threading.RLock()
        self.db.execute("PRAGMA busy_timeout=30000")
        # Before the WAL switch, which rewrites the header: a refused file is left byte for byte as it was.
        try:
            self.migration = migrate_sqlite(self.db, "memory" if self.memory else self.path)
        except (SchemaError, sqlite3.DatabaseError):
            self.db.close()
            raise
        if not self.memory:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute(f"PRAGMA synchronous={DURABILITY[durability]}")
        self.checkpointer = None if self.memory or os.environ.get("CODESTAR_LOCAL_CHECKPOINT") == "inline" else (
            Checkpointer(self.path, self.db, self.lock))
        self.batch_open: _Batch | None = None
        self._tx = CachedReadTx(self.db)
        self._reading = _Reading(self, self._tx, shared=not self.memory)

    # Plain context-manager objects: a generator-based one costs more than the point read it wraps.
    def read(self, snapshot=True, account=None):
        return self._reading

    def write(self, account=None):
        # One writer at a time for the whole file (BEGIN IMMEDIATE): every account's rules hold.
        return _Writing(self)

    def batch(self):
        """A group commit for requests answered one after another on this thread (serving/server.py)."""
        return _Batch(self)

    def load(self, snapshot: dict) -> None:
        # AUTOINCREMENT keeps the sequence past every seq ever used, so it never goes back.
        with self.write() as tx:
            self._load_rows(tx, snapshot)

    @property
    def durability(self) -> str | None:
        """What the connection runs with (PRAGMA synchronous, read back), for /health; None in memory."""
        if self.memory:
            return None
        with self.lock:
            level = self.db.execute("PRAGMA synchronous").fetchone()[0]
        return {1: "normal", 2: "full"}.get(level, f"synchronous={level}")

    def close(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.close()
        with self.lock:
            self.db.close()
