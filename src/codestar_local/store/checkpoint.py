"""WAL checkpoints on a thread of their own, so no request waits for one.

SQLite's automatic checkpoint runs inside the COMMIT that pushes the WAL past 1,000 pages: that request, and under
group commit every request of its batch, waits while pages are copied back into the database file (5-8 ms on the
machine of docs/PERFORMANCE.md, the whole tail of CreateConnection's p99). Here the serving connection never
checkpoints on its own; after its commits a thread with a connection of its own runs PASSIVE checkpoints, which
never block readers or writers, and SQLite releases the GIL while one runs.

Durability is unchanged: a commit is in the WAL before it is acknowledged, whoever later copies it back. Should
the thread fall behind (a WAL over FALLBACK_PAGES pages), the serving connection's own automatic checkpoint is back
until it catches up, so the WAL stays bounded as it was.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time

log = logging.getLogger("codestar_local")

# The serving connection's wal_autocheckpoint while the thread keeps up (0: never) and when it does not.
FALLBACK_PAGES = 4000
# Seconds between checkpoints while commits go on: small, so each copies few pages and the WAL restarts often.
INTERVAL = 0.02


class Checkpointer:
    __slots__ = ("path", "serving", "lock", "wake", "stopping", "thread", "behind")

    def __init__(self, path: str, serving: sqlite3.Connection, lock):
        self.path = path
        self.serving = serving
        self.lock = lock  # the store's: the serving connection is used by one thread at a time
        self.wake = threading.Event()
        self.stopping = False
        self.thread: threading.Thread | None = None
        self.behind = False
        serving.execute("PRAGMA wal_autocheckpoint=0")

    def committed(self) -> None:
        """Called (under the store's lock) after each commit of the serving connection."""
        if self.thread is None:
            # Started by the first commit, not at open: a process that forks after opening the store (a test
            # runner) gets its thread in the process that writes.
            self.thread = threading.Thread(target=self._run, name="codestar-local-checkpoint", daemon=True)
            self.thread.start()
        if not self.wake.is_set():
            self.wake.set()

    def _run(self) -> None:
        try:
            self._checkpoints()
        except Exception:
            # Whatever stopped this thread, the WAL must not grow without bound: SQLite's own checkpoints are back.
            log.exception("the WAL checkpoint thread stopped; commits checkpoint the WAL themselves again")
            self._autocheckpoint(FALLBACK_PAGES)

    def _checkpoints(self) -> None:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        try:
            while True:
                self.wake.wait()
                if self.stopping:
                    return
                self.wake.clear()
                try:
                    frames = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
                except sqlite3.Error as e:  # a full disk: the serving connection's commits say so themselves
                    log.warning("WAL checkpoint failed: %s", e)
                    frames = 0
                self._keep_bounded(frames)
                if self.stopping:
                    return
                time.sleep(INTERVAL)  # let commits gather: one checkpoint for many of them
        finally:
            db.close()

    def _keep_bounded(self, frames: int) -> None:
        behind = frames > FALLBACK_PAGES
        if behind != self.behind:
            self.behind = behind
            self._autocheckpoint(FALLBACK_PAGES if behind else 0)

    def _autocheckpoint(self, pages: int) -> None:
        with self.lock:
            try:
                self.serving.execute(f"PRAGMA wal_autocheckpoint={pages}")
            except sqlite3.Error:
                pass

    def close(self) -> None:
        self.stopping = True
        self.wake.set()
        if self.thread is not None:
            self.thread.join(10)
