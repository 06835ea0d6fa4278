"""HTTP/1.1 on one connection: httptools parses, App answers, each response goes out in one write.

No ASGI on the hot path: a whole buffered request becomes a `Request`, and on an in-process store App.answer runs
inside the parser's callback, so a request costs no task, no future and no message dicts. A blocking store
(PostgreSQL) answers on App._threads. Git requests stream both ways, so they go through App's ASGI entry (cycle.py).

Requests on a connection are answered in order (pipelining): one is answered at a time, later complete ones wait
in `ready`, and reading pauses while any wait, so a client that never reads cannot grow the queue.

One write per response matters to clients too: the AWS SDK for Go v2 (and Terraform's AWS provider) now and then
closes a keep-alive connection between a header segment and a body segment, then retries the request whether or
not it is idempotent (aws-sdk-go-v2#2737). With status, headers and body in one write that gap does not exist.

The transport limits of docs/SECURITY.md: at most `max_headers` headers and `max_header_bytes` of request line and
headers (else 431); `request_timeout` seconds to send a whole request, and to start one on a new connection (else
408, or a plain close when nothing was sent); `keep_alive` seconds idle between requests.
"""

from __future__ import annotations

import collections
import http
import logging
import time
import urllib.parse

import httptools
import orjson

from ..app import CONTROL_PREFIX, GIT_PREFIX, Request, Response

access_log = logging.getLogger("codestar_local.access")

_STATUS = {s.value: f"HTTP/1.1 {s.value} {s.phrase}\r\n".encode() for s in http.HTTPStatus}
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


def status_line(status: int) -> bytes:
    line = _STATUS.get(status)
    return line if line is not None else f"HTTP/1.1 {status} Unknown\r\n".encode()


class _Date:
    """The Date header, made once a second."""

    __slots__ = ("second", "header")

    def __init__(self):
        self.second = -1
        self.header = b""

    def get(self) -> bytes:
        now = int(time.time())
        if now != self.second:
            self.second = now
            self.header = b"date: " + time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(now)).encode() + b"\r\n"
        return self.header


DATE = _Date()


def error_bytes(status: int, code: str, message: str) -> bytes:
    """A whole closing response for a request refused before App sees it."""
    body = orjson.dumps({"__type": code, "message": message})
    return (
        status_line(status)
        + f"content-type: application/json\r\nx-amzn-ErrorType: {code}\r\nx-content-type-options: nosniff\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode()
        + body
    )


class Limits:
    __slots__ = ("max_headers", "max_header_bytes", "request_timeout", "keep_alive")

    def __init__(self, max_headers=100, max_header_bytes=32 * 1024, request_timeout=30.0, keep_alive=5.0):
        self.max_headers = max_headers
        self.max_header_bytes = max_header_bytes
        self.request_timeout = request_timeout
        self.keep_alive = keep_alive


class _Refused(Exception):
    """Raised in a parser callback to stop parsing a request past a limit."""


class Incoming:
    """One request as it is parsed."""

    __slots__ = ("method", "url", "path", "query", "headers", "chunks", "size", "limit", "too_big", "keep_alive",
                 "refusal", "cycle", "version")

    def __init__(self):
        self.url = b""
        self.headers: dict = {}
        self.chunks: list = []
        self.size = 0
        self.too_big = False
        self.refusal: Response | None = None
        self.cycle = None  # a Git request's ASGI cycle (cycle.py)


class HttpProtocol:
    """An asyncio protocol (duck-typed: asyncio.Protocol adds nothing we use) for one client connection."""

    def __init__(self, app, limits: Limits, server, loop):
        self.app = app
        self.limits = limits
        self.server = server  # connections, and whether it is shutting down
        self.loop = loop
        self.blocking = app.store.blocking
        self.batching = server.batching
        self.read_batching = server.read_batching
        self.max_body = app.body_limit("/")
        self.control_limit = app.body_limit(CONTROL_PREFIX)
        self.max_headers = limits.max_headers
        self.max_header_bytes = limits.max_header_bytes
        self.transport = None
        self.parser = httptools.HttpRequestParser(self)
        self.cur: Incoming | None = None
        self.ready: collections.deque = collections.deque()
        self.busy = False  # a response is being made (on a thread, or a Git cycle)
        self.closed = False
        self.paused_writing = False
        self.reading = True
        self.requests = 0
        self.header_bytes = 0
        self.began: float | None = None  # loop time the request being received began; None between requests
        self.idle_since = 0.0
        self.timer = None
        self.refusal: bytes | None = None
        self.peer = None
        self.close_after = False  # an Upgrade request ended the parser: close once it is answered

    # -- asyncio.Protocol ----------------------------------------------------------------------------------------
    def connection_made(self, transport) -> None:
        self.transport = transport
        self.peer = transport.get_extra_info("peername")
        self.server.connections.add(self)
        self.idle_since = self.loop.time()
        if self.limits.request_timeout or self.limits.keep_alive:
            # One timer a connection, not one a request: it looks at the request in progress when it fires.
            self.timer = self.loop.call_later(self._first_check(), self._check_time)

    def connection_lost(self, exc) -> None:
        self.closed = True
        self.server.connections.discard(self)
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        cur = self.cur
        if cur is not None and cur.cycle is not None:
            cur.cycle.disconnected()
        for item in self.ready:
            if item.cycle is not None:
                item.cycle.disconnected()
        self.ready.clear()

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            # No upgrades here: the request is answered (on_message_complete ran) and the connection then ends.
            self.close_after = True
            self._finish_if_idle()
        except httptools.HttpParserError:
            if self.refusal is not None:
                self._abort_with(self.refusal)
            else:
                self._abort_with(error_bytes(400, "BadRequestException", "Invalid HTTP request received"))

    def eof_received(self):
        return None  # close once written

    def pause_writing(self) -> None:
        self.paused_writing = True
        self.update_reading()

    def resume_writing(self) -> None:
        self.paused_writing = False
        self.update_reading()

    # -- httptools callbacks -------------------------------------------------------------------------------------
    def on_message_begin(self) -> None:
        self.cur = Incoming()
        self.header_bytes = 0
        self.requests += 1
        self.began = self.loop.time()

    def on_url(self, url: bytes) -> None:
        self.header_bytes += len(url)
        if self.header_bytes > self.max_header_bytes:
            self._refuse("The request line and headers are larger than %d bytes" % self.max_header_bytes)
        self.cur.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.header_bytes += len(name) + len(value) + 4
        headers = self.cur.headers
        if self.header_bytes > self.max_header_bytes or len(headers) >= self.max_headers:
            self._header_refusal()
        headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def _header_refusal(self):
        if len(self.cur.headers) >= self.max_headers:
            self._refuse("The request has more than %d headers" % self.max_headers)
        self._refuse("The request line and headers are larger than %d bytes" % self.max_header_bytes)

    def on_headers_complete(self) -> None:
        cur = self.cur
        parser = self.parser
        cur.method = parser.get_method().decode("ascii")
        cur.version = parser.get_http_version()
        cur.keep_alive = parser.should_keep_alive() and not self.server.exiting
        if cur.url == b"/":  # every AWS JSON and CBOR call
            cur.path, cur.query = "/", ""
        else:
            url = httptools.parse_url(cur.url)
            path = url.path.decode("latin-1")
            cur.path = urllib.parse.unquote(path) if "%" in path else path
            cur.query = url.query.decode("latin-1") if url.query else ""
        cur.refusal = self.app.refuse_host(cur.headers)
        if cur.refusal is not None:
            cur.limit = 0
        elif cur.path.startswith(GIT_PREFIX):
            from .cycle import Cycle

            cur.cycle = Cycle(self, cur)
            cur.limit = -1  # the Git remote applies its own
            if not self.busy and not self.ready:
                self._start_cycle(cur)
            return
        else:
            cur.limit = self.control_limit if cur.path.startswith(CONTROL_PREFIX) else self.max_body
        if "expect" in cur.headers and cur.headers["expect"].lower() == "100-continue" and not self.busy and not self.ready:
            length = cur.headers.get("content-length", "")
            if cur.limit and not (length.isdigit() and int(length) > cur.limit):
                self.transport.write(CONTINUE)

    def on_body(self, body: bytes) -> None:
        cur = self.cur
        if cur.cycle is not None:
            cur.cycle.feed(body)
            return
        if cur.too_big:
            return
        cur.size += len(body)
        if cur.size > cur.limit:
            cur.too_big = True
            cur.chunks = []
        else:
            cur.chunks.append(body)

    def on_message_complete(self) -> None:
        cur = self.cur
        self.cur = None
        self.began = None
        if cur.cycle is not None:
            cur.cycle.feed_end()
            if cur.cycle.started:
                return
        if self.busy or self.ready:
            self.ready.append(cur)
            self.update_reading()
            return
        self._dispatch(cur)

    def _refuse(self, message: str):
        self.refusal = error_bytes(431, "RequestHeaderFieldsTooLargeException", message)
        raise _Refused(message)

    # -- answering -----------------------------------------------------------------------------------------------
    def _dispatch(self, cur: Incoming) -> None:
        """Answer one complete request: here and now, on a thread, or as a Git cycle."""
        if cur.refusal is not None:
            self._respond(cur, cur.refusal)
            return
        if cur.cycle is not None:
            self._start_cycle(cur)
            return
        req = Request(cur.method, cur.path, cur.headers, b"".join(cur.chunks), cur.query, cur.too_big)
        if not self.blocking:
            if self.batching and not cur.path.startswith(CONTROL_PREFIX):
                self.busy = True
                self.server.enqueue(self, cur, req)  # answered with the others of this loop step (group commit)
            else:
                self._respond(cur, self.app.answer(req))
            return
        self.busy = True
        if self.read_batching:
            account = self.app.batched_read(req)
            if account is not None:
                self.server.enqueue_read(self, cur, req, account)  # with the other reads waiting (the read cache)
                return
        future = self.loop.run_in_executor(self.app._threads, self.app.answer, req)
        future.add_done_callback(lambda f: self._answered(cur, f))

    def _answered(self, cur: Incoming, future) -> None:
        self.busy = False
        if self.closed:
            return
        exc = future.exception()
        if exc is not None:  # App.answer catches everything; this is a thread pool shut down under us
            logging.getLogger("codestar_local").error("request failed outside App.handle: %r", exc)
            self._abort_with(error_bytes(503, "ServiceUnavailableException", "The server is shutting down"))
            return
        self._respond(cur, future.result())
        self._next()

    def answered(self, cur: Incoming, resp: Response) -> None:
        """The server's group commit is done: write this request's answer."""
        self.busy = False
        if self.closed:
            return
        self._respond(cur, resp)
        self._next()

    def _start_cycle(self, cur: Incoming) -> None:
        self.busy = True
        cur.cycle.start()

    def cycle_done(self, cur: Incoming, keep_alive: bool) -> None:
        """A Git cycle has written its whole response."""
        self.busy = False
        self._log(cur, cur.cycle.status)
        if not keep_alive or not cur.keep_alive or self.server.exiting:
            self.transport.close()
            return
        self._next()

    def _next(self) -> None:
        """Answer the requests that waited, in order, until one goes off to a thread or a Git cycle."""
        while self.ready and not self.busy and not self.closed:
            self._dispatch(self.ready.popleft())
        if not self.busy and not self.closed:
            self.update_reading()
            cur = self.cur
            if cur is not None and cur.cycle is not None and not cur.cycle.started:
                self._start_cycle(cur)  # a Git request that arrived behind another one
            if self.server.exiting and not self.ready and cur is None:
                self.transport.close()

    def _respond(self, cur: Incoming, resp: Response) -> None:
        if self.closed:
            return
        body = resp.body
        parts = [status_line(resp.status)]
        for name, value in resp.headers:
            parts += (name, b": ", value, b"\r\n")
        parts.append(DATE.get())
        parts.append(b"content-length: %d\r\n" % len(body))
        keep_alive = cur.keep_alive and not self.server.exiting and not self.close_after
        if not keep_alive:
            parts.append(b"connection: close\r\n")
        parts.append(b"\r\n")
        if cur.method != "HEAD":
            parts.append(body)
        self.transport.write(b"".join(parts))
        self.idle_since = self.loop.time()
        if self.server.access_log:
            self._log(cur, resp.status)
        if not keep_alive:
            self.transport.close()
            self.closed = True

    def _log(self, cur: Incoming, status: int) -> None:
        if self.server.access_log:
            host = "%s:%d" % self.peer[:2] if self.peer else "-"
            access_log.info('%s - "%s %s HTTP/%s" %d', host, cur.method, cur.url.decode("latin-1"), cur.version, status)

    def _abort_with(self, data: bytes) -> None:
        if not self.closed:
            self.transport.write(data)
            self.transport.close()
            self.closed = True

    def _finish_if_idle(self) -> None:
        if not self.busy and not self.ready:
            self.transport.close()
            self.closed = True

    def update_reading(self) -> None:
        """Read while nothing waits and the client keeps up with what we write."""
        want = not self.ready and not self.paused_writing and (self.cur is None or self.cur.cycle is None
                                                                or not self.cur.cycle.full())
        if want != self.reading and not self.closed:
            self.reading = want
            if want:
                self.transport.resume_reading()
            else:
                self.transport.pause_reading()


    # -- time limits and shutdown --------------------------------------------------------------------------------
    def _first_check(self) -> float:
        limits = self.limits
        return limits.request_timeout or limits.keep_alive

    def _check_time(self) -> None:
        self.timer = None
        if self.closed or self.transport.is_closing():
            return
        limits = self.limits
        now = self.loop.time()
        began = self.began
        if began is not None:
            left = began + limits.request_timeout - now if limits.request_timeout else 3600.0
            if left <= 0:
                message = f"The request was not received within {limits.request_timeout:g} seconds"
                self._abort_with(error_bytes(408, "RequestTimeoutException", message))
                return
        elif self.busy or self.ready:
            left = limits.request_timeout or limits.keep_alive  # a response is being made: not idle
        elif self.requests == 0:
            if limits.request_timeout and now - self.idle_since >= limits.request_timeout:
                self.transport.close()  # a new connection that sent nothing
                self.closed = True
                return
            left = limits.request_timeout - (now - self.idle_since) if limits.request_timeout else limits.keep_alive
        else:
            if limits.keep_alive and now - self.idle_since >= limits.keep_alive:
                self.transport.close()  # idle between requests
                self.closed = True
                return
            left = limits.keep_alive - (now - self.idle_since) if limits.keep_alive else limits.request_timeout
        self.timer = self.loop.call_later(max(left, 0.05), self._check_time)

    def shutdown(self) -> None:
        """The server is stopping: close now if idle, else after the response being made."""
        if self.closed:
            return
        if not self.busy and not self.ready and self.cur is None:
            self.transport.close()
            self.closed = True
