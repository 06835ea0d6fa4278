"""PostgreSQL store (psycopg 3): one shared state for many server processes and replicas.

Write transactions take one transaction-scoped advisory lock first, so the
check-then-write rules of the providers (quotas, uniqueness, references) hold
across replicas exactly as SQLite's BEGIN IMMEDIATE makes them hold across
workers. Reads run as single autocommit statements.
"""

from __future__ import annotations

import contextlib
import threading

from .base import SCHEMA_VERSION, Item, Store, decode, encode

WRITE_LOCK = 0x636F6465  # any constant: the advisory lock every writer takes

SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    seq BIGSERIAL PRIMARY KEY,
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


class PostgresTx:
    __slots__ = ("db",)

    def __init__(self, db):
        self.db = db

    def get(self, kind, id):
        row = self.db.execute(f"SELECT {COLUMNS} FROM items WHERE kind = %s AND id = %s", (kind, id)).fetchone()
        return _item(row) if row else None

    def insert(self, kind, id, account, region, data, parent=None):
        seq = self.db.execute(
            "INSERT INTO items (kind, id, account, region, parent, data) VALUES (%s, %s, %s, %s, %s, %s) RETURNING seq",
            (kind, id, account, region, parent, encode(data)),
        ).fetchone()[0]
        return Item(seq, kind, id, account, region, parent, data)

    def update(self, item):
        self.db.execute(
            "UPDATE items SET data = %s, parent = %s WHERE kind = %s AND id = %s",
            (encode(item.data), item.parent, item.kind, item.id),
        )

    def delete(self, kind, id):
        return self.db.execute("DELETE FROM items WHERE kind = %s AND id = %s", (kind, id)).rowcount > 0

    def _where(self, kind, account, region, parent):
        sql, args = ["kind = %s"], [kind]
        for column, value in (("account", account), ("region", region), ("parent", parent)):
            if value is not None:
                sql.append(f"{column} = %s")
                args.append(value)
        return " AND ".join(sql), args

    def list(self, kind, account, region=None, parent=None, after=0, limit=None):
        where, args = self._where(kind, account, region, parent)
        sql = f"SELECT {COLUMNS} FROM items WHERE {where} AND seq > %s ORDER BY seq"
        args.append(after)
        if limit is not None:
            sql += " LIMIT %s"
            args.append(limit)
        return [_item(r) for r in self.db.execute(sql, args)]

    def count(self, kind, account, region=None, parent=None):
        where, args = self._where(kind, account, region, parent)
        return self.db.execute(f"SELECT COUNT(*) FROM items WHERE {where}", args).fetchone()[0]

    def retire(self, id):
        self.db.execute("INSERT INTO retired (id) VALUES (%s) ON CONFLICT DO NOTHING", (id,))

    def is_retired(self, id):
        return self.db.execute("SELECT 1 FROM retired WHERE id = %s", (id,)).fetchone() is not None


class PostgresStore(Store):
    def __init__(self, url: str):
        import psycopg

        self.url = _redact(url)
        self.db = psycopg.connect(url, autocommit=True)
        self.lock = threading.RLock()
        with self.write() as tx:
            tx.db.execute(SCHEMA)
            tx.db.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', %s) ON CONFLICT DO NOTHING", (str(SCHEMA_VERSION),)
            )
        self._tx = PostgresTx(self.db)

    @contextlib.contextmanager
    def read(self):
        with self.lock:
            yield self._tx

    @contextlib.contextmanager
    def write(self):
        with self.lock, self.db.transaction():
            self.db.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            yield PostgresTx(self.db)

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
            with tx.db.cursor() as cur:
                cur.executemany(
                    "INSERT INTO items (seq, kind, id, account, region, parent, data) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    [
                        (it["seq"], it["kind"], it["id"], it["account"], it["region"], it.get("parent"), encode(it["data"]))
                        for it in snapshot["items"]
                    ],
                )
                cur.executemany(
                    "INSERT INTO retired (id) VALUES (%s) ON CONFLICT DO NOTHING", [(r,) for r in snapshot.get("retired", [])]
                )
            # Sequence numbers never go back: keep the counter past every loaded item.
            tx.db.execute(
                "SELECT setval(pg_get_serial_sequence('items', 'seq'), GREATEST((SELECT COALESCE(MAX(seq), 0) FROM items), "
                "(SELECT last_value FROM items_seq_seq)))"
            )

    def reset(self, account: str | None = None) -> None:
        with self.write() as tx:
            if account is None:
                tx.db.execute("DELETE FROM items")
            else:
                tx.db.execute("DELETE FROM items WHERE account = %s", (account,))

    def close(self) -> None:
        with self.lock:
            self.db.close()


def _redact(url: str) -> str:
    """The URL without its password, for logs and /health."""
    head, sep, tail = url.partition("@")
    if not sep or "://" not in head:
        return url
    scheme, _, cred = head.partition("://")
    user = cred.split(":", 1)[0]
    return f"{scheme}://{user}@{tail}" if user else f"{scheme}://{tail}"
