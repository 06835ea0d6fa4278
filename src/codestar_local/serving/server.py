"""The server `codestar-local serve` runs: listening sockets, connections, start-up and a graceful stop.

It runs on uvloop where there is one (asyncio otherwise). SIGTERM and SIGINT stop it: it stops accepting, lets
each connection finish the response it is making (at most GRACE seconds), closes idle ones, then flushes the
metrics and closes the App. A server in a thread (testing.ThreadServer) is stopped by setting `should_exit`.

Group commit: on a SQLite store, the requests that become complete in one step of the event loop (on any
connections) are answered together inside one store batch: each write is a savepoint of one transaction with one
COMMIT, and no answer is written before that COMMIT. Under load that writes the WAL once for many requests; a lone
request is answered as before, in a transaction of its own.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import socket
import threading

from ..errors import AwsError
from ..store import NeedsIO
from .protocol import HttpProtocol, Limits

log = logging.getLogger("codestar_local")

GRACE = 5.0


def bind(host: str, port: int, backlog: int = 2048) -> socket.socket:
    """A listening socket on host:port (IPv4 or IPv6, SO_REUSEADDR)."""
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError:
        sock.close()
        raise
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # Windows
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


class Server:
    def __init__(self, app, *, keep_alive: float = 5.0, access_log: bool = False, grace: float = GRACE):
        config = app.config
        self.app = app
        self.limits = Limits(config.max_headers, config.max_header_bytes, config.request_timeout, keep_alive)
        self.access_log = access_log
        self.grace = grace
        self.connections: set = set()
        self.exiting = False
        self.should_exit = False  # set from any thread to stop
        self.started = False
        self.loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        store = app.store
        # CODESTAR_LOCAL_GROUP_COMMIT=off answers each request in a transaction of its own (bench/, comparisons).
        self.batching = (hasattr(store, "batch") and not getattr(store, "blocking", False)
                         and os.environ.get("CODESTAR_LOCAL_GROUP_COMMIT", "on") != "off")
        self.pending: list = []  # (connection, request being answered, Request) of this loop step
        # A store on a network database with a read cache (postgres.py): one-statement reads are gathered while the
        # read thread is busy, then answered together with the cache checked once (App.answer_reads).
        self.read_batching = (hasattr(store, "cached_reads") and getattr(store, "blocking", False)
                              and os.environ.get("CODESTAR_LOCAL_READ_CACHE", "on") != "off")
        self.reads: list = []  # (connection, request being answered, Request, account) waiting for the read thread
        self.reading = False

    # -- group commit -------------------------------------------------------------------------------------------
    def enqueue(self, conn, cur, req) -> None:
        self.pending.append((conn, cur, req))
        if len(self.pending) == 1:
            conn.loop.call_soon(self._flush)

    def _flush(self) -> None:
        batch, self.pending = self.pending, []
        app = self.app
        if len(batch) == 1:
            conn, cur, req = batch[0]
            conn.answered(cur, app.answer(req))
            return
        try:
            with app.store.batch():
                answers = [app.answer(req) for _, _, req in batch]
        except Exception:
            # The COMMIT failed (a full disk, an I/O error): none of these writes happened, and each request says so.
            log.exception("a group commit of %d requests failed", len(batch))
            err = AwsError("InternalFailure", "The request could not be stored; nothing of it was kept. Retry it.", status=500)
            answers = [app.failure(req, err) for _, _, req in batch]
        for (conn, cur, _), resp in zip(batch, answers):
            conn.answered(cur, resp)

    # -- gathered reads (a blocking store with a read cache) --------------------------------------------------------
    def enqueue_read(self, conn, cur, req, account) -> None:
        self.reads.append((conn, cur, req, account))
        if not self.reading and len(self.reads) == 1:
            conn.loop.call_soon(self._send_reads)

    def _send_reads(self) -> None:
        if self.reading or not self.reads:
            return
        batch, self.reads = self.reads, []
        self.reading = True
        accounts = {r[3] for r in batch}
        future = self.loop.run_in_executor(self.app._read_thread, self.app.store.check_versions, accounts)
        future.add_done_callback(lambda f: self._versions_checked(batch, accounts, f))

    def _versions_checked(self, batch, accounts, future) -> None:
        """The cache's hits are answered here on the loop (cheaper than on a thread, which contends for the GIL);
        the rest go to the read thread."""
        app = self.app
        checked = future.exception() is None
        if not checked:
            log.warning("the read cache could not be checked: %r", future.exception())
            rest = batch
        else:
            rest = []
            with app.store.hits_only(accounts):
                for item in batch:
                    try:
                        resp = app.answer(item[2])
                    except NeedsIO:
                        rest.append(item)
                        continue
                    item[0].answered(item[1], resp)
        if not rest:
            self.reading = False
            self._send_reads()  # what gathered meanwhile
            return
        # Checked already: their versions were read after they all arrived, and nothing changed the cache since.
        future = self.loop.run_in_executor(app._read_thread, app.answer_reads, [r[2] for r in rest], {r[3] for r in rest},
                                           checked)
        future.add_done_callback(lambda f: self._reads_done(rest, f))

    def _reads_done(self, batch, future) -> None:
        self.reading = False
        if future.exception() is not None:  # the read thread was shut down under us
            err = AwsError("ServiceUnavailableException", "The server is shutting down", status=503)
            answers = [self.app.failure(req, err) for _, _, req, _ in batch]
        else:
            answers = future.result()
        for (conn, cur, _, _), resp in zip(batch, answers):
            conn.answered(cur, resp)
        self._send_reads()  # what gathered meanwhile

    def run(self, sockets: list, *, startup: bool = True) -> None:
        """Serve on these listening sockets until stopped, on a loop of this thread's own."""
        loop = new_loop()
        try:
            loop.run_until_complete(self.serve(sockets, startup=startup))
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def serve(self, sockets: list, *, startup: bool = True) -> None:
        loop = asyncio.get_running_loop()
        self.loop = loop
        self._stop = asyncio.Event()
        if startup:
            self.app.startup()
            # What building the App made (models, validators, routes) lives as long as the process: out of the
            # collector's sight, a full collection no longer walks it and stalls every request on the loop.
            gc.freeze()
        listeners = []
        try:
            for sock in sockets:
                listeners.append(await loop.create_server(lambda: HttpProtocol(self.app, self.limits, self, loop), sock=sock,
                                                          backlog=2048))
            if threading.current_thread() is threading.main_thread():
                for sig in (signal.SIGINT, signal.SIGTERM):
                    try:
                        loop.add_signal_handler(sig, self._stop.set)
                    except (NotImplementedError, RuntimeError):  # Windows
                        signal.signal(sig, lambda *_: loop.call_soon_threadsafe(self._stop.set))
            self.started = True
            while not self.should_exit:
                try:
                    await asyncio.wait_for(self._stop.wait(), 0.1)
                    break
                except asyncio.TimeoutError:
                    continue
            await self._shut_down(listeners)
        finally:
            if startup:
                self.app.shutdown()

    async def _shut_down(self, listeners: list) -> None:
        self.exiting = True
        for listener in listeners:
            listener.close()
        for conn in list(self.connections):
            conn.shutdown()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.grace
        while self.connections and loop.time() < deadline:
            await asyncio.sleep(0.02)
        for conn in list(self.connections):
            log.warning("closing a connection whose response was not made within %g s of the stop", self.grace)
            conn.transport.abort()
        for listener in listeners:
            await listener.wait_closed()

