"""What the SQL stores share: the statements of a transaction, dump and reset (the tables: schema.py).

SQLite and PostgreSQL run the same SQL; only the placeholder style differs, filled in per backend.
"""

from __future__ import annotations

from .base import Item, Store, decode, encode

COLUMNS = "seq, kind, id, account, region, parent, data"


def item_from_row(row) -> Item:
    return Item(row[0], row[1], row[2], row[3], row[4], row[5], decode(row[6]))


class SqlTx:
    """The store's transaction API over a DB-API connection; subclasses set P, the placeholder."""

    __slots__ = ("db",)
    P = "?"

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        p = cls.P
        cls.GET = f"SELECT {COLUMNS} FROM items WHERE kind = {p} AND id = {p}"
        cls.INSERT = f"INSERT INTO items (kind, id, account, region, parent, data) VALUES ({p}, {p}, {p}, {p}, {p}, {p}) RETURNING seq"
        cls.UPDATE = f"UPDATE items SET data = {p}, parent = {p} WHERE kind = {p} AND id = {p}"
        cls.DELETE = f"DELETE FROM items WHERE kind = {p} AND id = {p}"
        cls.RETIRE = f"INSERT INTO retired (id) VALUES ({p}) ON CONFLICT DO NOTHING"
        cls.IS_RETIRED = f"SELECT 1 FROM retired WHERE id = {p}"

    def __init__(self, db):
        self.db = db

    def get(self, kind, id):
        row = self.db.execute(self.GET, (kind, id)).fetchone()
        return item_from_row(row) if row else None

    def insert(self, kind, id, account, region, data, parent=None):
        seq = self.db.execute(self.INSERT, (kind, id, account, region, parent, encode(data))).fetchone()[0]
        return Item(seq, kind, id, account, region, parent, data)

    def update(self, item):
        self.db.execute(self.UPDATE, (encode(item.data), item.parent, item.kind, item.id))

    def delete(self, kind, id):
        return self.db.execute(self.DELETE, (kind, id)).rowcount > 0

    def _where(self, kind, account, region, parent):
        p = self.P
        sql, args = [f"kind = {p}"], [kind]
        for column, value in (("account", account), ("region", region), ("parent", parent)):
            if value is not None:
                sql.append(f"{column} = {p}")
                args.append(value)
        return " AND ".join(sql), args

    def list(self, kind, account, region=None, parent=None, after=0, limit=None):
        where, args = self._where(kind, account, region, parent)
        sql = f"SELECT {COLUMNS} FROM items WHERE {where} AND seq > {self.P} ORDER BY seq"
        args.append(after)
        if limit is not None:
            sql += f" LIMIT {self.P}"
            args.append(limit)
        return [item_from_row(r) for r in self.db.execute(sql, args)]

    def count(self, kind, account, region=None, parent=None):
        where, args = self._where(kind, account, region, parent)
        return self.db.execute(f"SELECT COUNT(*) FROM items WHERE {where}", args).fetchone()[0]

    def count_by_kind(self) -> dict:
        """Items of each kind in the whole store, every account (the metrics' resources gauge)."""
        return dict(self.db.execute("SELECT kind, COUNT(*) FROM items GROUP BY kind").fetchall())

    def retire(self, id):
        self.db.execute(self.RETIRE, (id,))

    def is_retired(self, id):
        return self.db.execute(self.IS_RETIRED, (id,)).fetchone() is not None


class SqlStore(Store):
    """dump/reset for stores with `self.db`, `self.lock` and `write()`."""

    tx_class = SqlTx

    def dump(self) -> dict:
        with self.lock:
            # One read transaction: in WAL mode both SELECTs see one snapshot, whatever other processes commit.
            self.db.execute("BEGIN")
            try:
                items = [
                    {"seq": r[0], "kind": r[1], "id": r[2], "account": r[3], "region": r[4], "parent": r[5], "data": decode(r[6])}
                    for r in self.db.execute(f"SELECT {COLUMNS} FROM items ORDER BY seq")
                ]
                retired = [r[0] for r in self.db.execute("SELECT id FROM retired ORDER BY id")]
            finally:
                self.db.execute("COMMIT")
        return {"items": items, "retired": retired}

    def _load_rows(self, tx, snapshot: dict) -> None:
        p = tx.P
        tx.db.execute("DELETE FROM items")
        tx.db.execute("DELETE FROM retired")
        cur = tx.db.cursor()  # executemany is a cursor method in psycopg
        try:
            cur.executemany(
                f"INSERT INTO items (seq, kind, id, account, region, parent, data) VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p})",
                [
                    (it["seq"], it["kind"], it["id"], it["account"], it["region"], it.get("parent"), encode(it["data"]))
                    for it in snapshot["items"]
                ],
            )
            retired = [(r,) for r in snapshot.get("retired", [])]
            if retired:
                cur.executemany(tx.RETIRE, retired)
        finally:
            cur.close()

    def reset(self, account: str | None = None) -> None:
        with self.write(account) as tx:
            if account is None:
                tx.db.execute("DELETE FROM items")
            else:
                tx.db.execute(f"DELETE FROM items WHERE account = {tx.P}", (account,))
