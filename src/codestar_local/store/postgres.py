"""PostgreSQL store (psycopg 3): one shared state for many server processes and replicas.

Write transactions take one transaction-scoped advisory lock first, so the
check-then-write rules of the providers (quotas, uniqueness, references) hold
across replicas exactly as SQLite's BEGIN IMMEDIATE makes them hold across
workers. Reads run as single autocommit statements.
"""

from __future__ import annotations

import contextlib
import threading

from .base import SCHEMA_VERSION
from .sql import SCHEMA, SqlStore, SqlTx

WRITE_LOCK = 0x636F6465  # any constant: the advisory lock every writer takes


class PostgresTx(SqlTx):
    __slots__ = ()
    P = "%s"


class PostgresStore(SqlStore):
    def __init__(self, url: str):
        import psycopg

        self.url = _redact(url)
        self.db = psycopg.connect(url, autocommit=True)
        self.lock = threading.RLock()
        with self.write() as tx:
            tx.db.execute(SCHEMA.format(serial="BIGSERIAL PRIMARY KEY"))
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

    def load(self, snapshot: dict) -> None:
        with self.write() as tx:
            self._load_rows(tx, snapshot)
            # Sequence numbers never go back: keep the counter past every loaded item.
            tx.db.execute(
                "SELECT setval(pg_get_serial_sequence('items', 'seq'), GREATEST((SELECT COALESCE(MAX(seq), 0) FROM items), "
                "(SELECT last_value FROM items_seq_seq)))"
            )

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
