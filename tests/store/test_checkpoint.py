"""WAL checkpoints run on a thread of their own (store/checkpoint.py): commits reach the database file while no
request's COMMIT copies pages, and the WAL stays bounded if that thread stops."""

from __future__ import annotations

import shutil
import sqlite3
import time

from codestar_local.app import App
from codestar_local.store import checkpoint, open_store
from codestar_local.testing.server import ThreadServer


def rows_in_main_file(path, tmp_path) -> int:
    """Connections in the database file alone, as a checkpoint left it (the WAL is not copied)."""
    copy = tmp_path / "main-only.db"
    shutil.copyfile(path, copy)
    db = sqlite3.connect(copy)
    try:
        return db.execute("SELECT COUNT(*) FROM items WHERE kind = 'connection'").fetchone()[0]
    except sqlite3.DatabaseError:
        return 0
    finally:
        db.close()


def test_commits_reach_the_database_file_without_a_checkpoint_in_any_request(tmp_path):
    path = str(tmp_path / "state.db")
    app = App(path)
    statements = []
    app.store.db.set_trace_callback(statements.append)
    server = ThreadServer(app).start()
    try:
        client = server.client("codestar-connections", account="111111111111")
        for i in range(30):
            client.create_connection(ProviderType="GitHub", ConnectionName=f"c{i}")
        # Far fewer than SQLite's own 1,000-page threshold: only the thread puts these in the file this soon.
        deadline = time.time() + 5
        while rows_in_main_file(path, tmp_path) < 30 and time.time() < deadline:
            time.sleep(0.05)
        assert rows_in_main_file(path, tmp_path) == 30
        assert app.store.db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        assert not [s for s in statements if "checkpoint" in s.lower() and "autocheckpoint" not in s.lower()]
        assert len(client.list_connections()["Connections"]) == 30
    finally:
        server.stop()


def test_the_wal_stays_bounded_when_the_thread_stops(tmp_path, monkeypatch):
    def broken(self):
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(checkpoint.Checkpointer, "_checkpoints", broken)
    monkeypatch.setattr(checkpoint, "FALLBACK_PAGES", 50)
    path = str(tmp_path / "state.db")
    store = open_store(path)
    try:
        with store.write("1") as tx:  # the first commit starts the thread, which fails at once
            tx.insert("connection", "c", "1", "us-east-1", {})
        store.checkpointer.thread.join(5)
        assert store.db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 50
        for i in range(300):
            with store.write("1") as tx:
                tx.insert("connection", f"c{i}", "1", "us-east-1", {"pad": "x" * 3000})
        # SQLite's own checkpoints ran: the WAL restarted, so it holds far fewer frames than the 300 commits wrote.
        frames = sqlite3.connect(path).execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
        assert frames < 200, frames
    finally:
        store.close()


def test_a_wal_the_thread_cannot_keep_up_with_is_checkpointed_by_commits_again(tmp_path, monkeypatch):
    monkeypatch.setattr(checkpoint, "FALLBACK_PAGES", 20)
    store = open_store(str(tmp_path / "state.db"))
    try:
        reader = sqlite3.connect(str(tmp_path / "state.db"), isolation_level=None)
        reader.execute("BEGIN")
        reader.execute("SELECT COUNT(*) FROM items").fetchone()  # an open read holds checkpoints back
        for i in range(100):
            with store.write("1") as tx:
                tx.insert("connection", f"c{i}", "1", "us-east-1", {"pad": "x" * 3000})
        deadline = time.time() + 5
        while store.db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] != 20 and time.time() < deadline:
            time.sleep(0.02)
        assert store.db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 20
        reader.execute("COMMIT")
        reader.close()
    finally:
        store.close()
