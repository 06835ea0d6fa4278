"""SQLite store (stdlib sqlite3, WAL): the embedded default."""

from __future__ import annotations

import os
import sqlite3
import threading

from .base import SCHEMA_VERSION, Item, Store, decode, encode

SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    parent TEXT,
    data TEXT NOT NULL,
    UNIQUE (kind, id)
);
CREATE INDEX IF NOT EXISTS items_account ON items (kind, account, seq);
CREATE INDEX IF NOT EXISTS items_region ON items (kind, account, region, seq);
CREATE INDEX IF NOT EXISTS items_parent ON items (kind, parent);
CREATE TABLE IF NOT EXISTS retired (id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

COLUMNS = "seq, kind, id, account, region, parent, data"


def _item(row) -> Item:
    return Item(row[0], row[1], row[2], row[3], row[4], row[5], decode(row[6]))


class SqliteTx:
    __slots__ = ("db",)

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def get(self, kind, id):
        row = self.db.execute(f"SELECT {COLUMNS} FROM items WHERE kind = ? AND id = ?", (kind, id)).fetchone()
        return _item(row) if row else None

    def insert(self, kind, id, account, region, data, parent=None):
        cur = self.db.execute(
            "INSERT INTO items (kind, id, account, region, parent, data) VALUES (?, ?, ?, ?, ?, ?)",
            (kind, id, account, region, parent, encode(data)),
        )
        return Item(cur.lastrowid, kind, id, account, region, parent, data)

    def update(self, item):
        self.db.execute(
            "UPDATE items SET data = ?, parent = ? WHERE kind = ? AND id = ?",
            (encode(item.data), item.parent, item.kind, item.id),
        )

    def delete(self, kind, id):
        return self.db.execute("DELETE FROM items WHERE kind = ? AND id = ?", (kind, id)).rowcount > 0

    def _where(self, kind, account, region, parent):
        sql, args = ["kind = ?"], [kind]
        if account is not None:
            sql.append("account = ?")
            args.append(account)
        if region is not None:
            sql.append("region = ?")
            args.append(region)
        if parent is not None:
            sql.append("parent = ?")
            args.append(parent)
        return " AND ".join(sql), args

    def list(self, kind, account, region=None, parent=None, after=0, limit=None):
        where, args = self._where(kind, account, region, parent)
        sql = f"SELECT {COLUMNS} FROM items WHERE {where} AND seq > ? ORDER BY seq"
        args.append(after)
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return [_item(r) for r in self.db.execute(sql, args)]

    def count(self, kind, account, region=None, parent=None):
        where, args = self._where(kind, account, region, parent)
        return self.db.execute(f"SELECT COUNT(*) FROM items WHERE {where}", args).fetchone()[0]

    def retire(self, id):
        self.db.execute("INSERT OR IGNORE INTO retired (id) VALUES (?)", (id,))

    def is_retired(self, id):
        return self.db.execute("SELECT 1 FROM retired WHERE id = ?", (id,)).fetchone() is not None


class _Reading:
    """Reads are single statements: the lock only keeps threads (the in-process mock) apart."""

    __slots__ = ("lock", "tx")

    def __init__(self, lock, tx):
        self.lock = lock
        self.tx = tx

    def __enter__(self):
        self.lock.acquire()
        return self.tx

    def __exit__(self, *exc):
        self.lock.release()
        return False


class _Writing:
    """One write transaction; BEGIN IMMEDIATE serializes writers across processes too."""

    __slots__ = ("store",)

    def __init__(self, store):
        self.store = store

    def __enter__(self):
        store = self.store
        store.lock.acquire()
        try:
            store.db.execute("BEGIN IMMEDIATE")
        except BaseException:
            store.lock.release()
            raise
        return SqliteTx(store.db)

    def __exit__(self, exc_type, exc, tb):
        store = self.store
        try:
            store.db.execute("ROLLBACK" if exc_type is not None else "COMMIT")
        except BaseException:
            if exc_type is None and store.db.in_transaction:
                store.db.execute("ROLLBACK")
            raise
        finally:
            store.lock.release()
        return False


class SqliteStore(Store):
    def __init__(self, path: str):
        self.memory = path in ("memory", ":memory:")
        self.path = ":memory:" if self.memory else os.path.abspath(os.path.expanduser(path))
        self.url = "memory" if self.memory else self.path
        if not self.memory:
            os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        self.lock = threading.RLock()
        if not self.memory:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA busy_timeout=30000")
        with self.lock:
            self.db.executescript("BEGIN IMMEDIATE;" + SCHEMA + "COMMIT;")
            self.db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        self._tx = SqliteTx(self.db)
        self._reading = _Reading(self.lock, self._tx)

    # Plain context-manager objects: a generator-based one costs more than the point read it wraps.
    def read(self):
        return self._reading

    def write(self):
        return _Writing(self)

    def dump(self) -> dict:
        with self.lock:
            items = [
                {"seq": r[0], "kind": r[1], "id": r[2], "account": r[3], "region": r[4], "parent": r[5], "data": decode(r[6])}
                for r in self.db.execute(f"SELECT {COLUMNS} FROM items ORDER BY seq")
            ]
            retired = [r[0] for r in self.db.execute("SELECT id FROM retired ORDER BY id")]
        return {"items": items, "retired": retired}

    def load(self, snapshot: dict) -> None:
        with self.write() as tx:
            tx.db.execute("DELETE FROM items")
            tx.db.execute("DELETE FROM retired")
            for it in snapshot["items"]:
                tx.db.execute(
                    "INSERT INTO items (seq, kind, id, account, region, parent, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (it["seq"], it["kind"], it["id"], it["account"], it["region"], it.get("parent"), encode(it["data"])),
                )
            for rid in snapshot.get("retired", []):
                tx.retire(rid)

    def reset(self, account: str | None = None) -> None:
        with self.write() as tx:
            if account is None:
                tx.db.execute("DELETE FROM items")
            else:
                tx.db.execute("DELETE FROM items WHERE account = ?", (account,))

    def close(self) -> None:
        with self.lock:
            self.db.close()
