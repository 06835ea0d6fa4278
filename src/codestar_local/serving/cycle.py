"""One Git request through App's ASGI entry: the body streams in, the answer streams out (chunked).

The Git remote (gitremote/) reads pushes of up to --max-git-body and answers packs as dulwich makes them, so
neither side is buffered whole. Reading from the client pauses while more than HIGH bytes wait unread.
"""

from __future__ import annotations

import asyncio
import collections
import logging

from .protocol import DATE, error_bytes, status_line

log = logging.getLogger("codestar_local")

HIGH = 1024 * 1024


class Cycle:
    def __init__(self, protocol, incoming):
        self.protocol = protocol
        self.incoming = incoming
        self.chunks: collections.deque = collections.deque()
        self.waiting = 0  # bytes fed and not yet received
        self.complete = False  # the whole body has arrived
        self.gone = False  # the client went away
        self.started = False
        self.done = False  # the whole response is written
        self.status = 0
        self.head: list | None = None  # the response's status and headers, written with its first body bytes
        self.chunked = False
        self.event: asyncio.Event | None = None

    # -- from the protocol -----------------------------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        if self.done:
            return  # answered before the body was read: the rest is dropped
        self.chunks.append(data)
        self.waiting += len(data)
        self._wake()
        if self.waiting > HIGH:
            self.protocol.update_reading()

    def feed_end(self) -> None:
        self.complete = True
        self._wake()

    def full(self) -> bool:
        return self.waiting > HIGH and not self.done

    def disconnected(self) -> None:
        self.gone = True
        self._wake()

    def start(self) -> None:
        self.started = True
        self.protocol.loop.create_task(self._run())

    def _wake(self) -> None:
        if self.event is not None:
            self.event.set()

    # -- the ASGI side ---------------------------------------------------------------------------------------------
    async def _run(self) -> None:
        inc = self.incoming
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": inc.version,
            "method": inc.method,
            "scheme": "http",
            "path": inc.path,
            "raw_path": inc.url.split(b"?", 1)[0],
            "query_string": inc.query.encode("latin-1"),
            "root_path": "",
            "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in inc.headers.items()],
            "client": self.protocol.peer[:2] if self.protocol.peer else None,
            "server": None,
        }
        try:
            await self.protocol.app(scope, self.receive, self.send)
        except Exception:
            log.exception("the Git request %s %s failed", inc.method, inc.path)
            if not self.done and not self.gone:
                if self.head is None:
                    self.protocol.transport.write(error_bytes(500, "InternalFailure", "The Git request failed"))
                self.protocol.transport.close()
                self.done = True
                self.protocol.busy = False
            return
        if not self.done and not self.gone:
            if self.head is None:  # the app sent nothing
                self.protocol.transport.write(error_bytes(500, "InternalFailure", "The Git request got no answer"))
                self.protocol.transport.close()
                self.done = True
                self.protocol.busy = False
                return
            await self.send({"type": "http.response.body", "body": b""})

    async def receive(self) -> dict:
        while True:
            if self.gone:
                return {"type": "http.disconnect"}
            if self.chunks:
                data = self.chunks.popleft()
                self.waiting -= len(data)
                if self.waiting <= HIGH:
                    self.protocol.update_reading()
                return {"type": "http.request", "body": data, "more_body": bool(self.chunks) or not self.complete}
            if self.complete:
                return {"type": "http.request", "body": b"", "more_body": False}
            if self.event is None:
                self.event = asyncio.Event()
            self.event.clear()
            await self.event.wait()

    async def send(self, message: dict) -> None:
        if self.gone or self.done:
            return
        kind = message["type"]
        transport = self.protocol.transport
        if kind == "http.response.start":
            self.status = message["status"]
            headers = message.get("headers", [])
            names = {k.lower() for k, _ in headers}
            self.chunked = b"content-length" not in names
            head = [status_line(self.status)]
            for k, v in headers:
                head += (k, b": ", v, b"\r\n")
            head.append(DATE.get())
            if self.chunked:
                head.append(b"transfer-encoding: chunked\r\n")
            head.append(b"\r\n")
            self.head = head
            return
        if kind != "http.response.body":
            return
        body = message.get("body", b"")
        more = message.get("more_body", False)
        out = self.head or []
        self.head = []
        if self.incoming.method != "HEAD":
            if self.chunked:
                if body:
                    out += (b"%x\r\n" % len(body), body, b"\r\n")
                if not more:
                    out.append(b"0\r\n\r\n")
            elif body:
                out.append(body)
        if out:
            transport.write(b"".join(out))
        if self.protocol.paused_writing:
            await self._drain()
        if not more:
            self.done = True
            self.chunks.clear()
            self.waiting = 0
            self.protocol.cycle_done(self.incoming, keep_alive=self.complete)

    async def _drain(self) -> None:
        # The client reads slower than the answer is made: wait until the transport's buffer drains.
        while self.protocol.paused_writing and not self.gone:
            await asyncio.sleep(0.005)
