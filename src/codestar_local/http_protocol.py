"""The HTTP/1.1 protocol `codestar-local serve` runs: uvicorn's httptools protocol, sending each response in one write.

uvicorn writes the status line and headers when the application starts a response and the body when it sends it:
two send() calls, so two TCP segments. The AWS SDK for Go v2, and with it Terraform's AWS provider, now and then closes
a keep-alive connection between the two (seen on the wire: the client's FIN right after the header segment). Its read
of the body then fails with "use of closed network connection", an error the SDK retries (aws-sdk-go-v2#2737, #2949)
whether or not the operation is idempotent: a CreateConnection the server has already carried out is sent again and
makes a second connection. With the whole response in one segment the body is in the client's buffer with the
headers, and the close no longer loses it. Against AWS the gap between the segments is rarely hit; a local server
answers within a millisecond and leaves it open more often.

The transport wrapper gathers the writes made in one step of the event loop (uvicorn's header and body writes happen
in the same step) and hands them to the real transport together, at the latest when the connection is closed.

The protocol also enforces the transport limits of docs/SECURITY.md, which uvicorn's httptools protocol lacks: at
most Config.max_headers headers and Config.max_header_bytes of request line and headers (else 431), and
Config.request_timeout seconds to send a whole request, and to start one on a new connection (else 408, or a
plain close when nothing was sent). Between requests uvicorn's keep-alive timeout applies.
"""

from __future__ import annotations

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# For uvicorn.Config(http=...): an import string also works in worker processes.
PROTOCOL = "codestar_local.http_protocol:OneWriteHttpToolsProtocol"


class OneWriteTransport:
    """An asyncio transport whose writes of one event-loop step go out as a single write."""

    __slots__ = ("_transport", "_loop", "_chunks")

    def __init__(self, transport, loop):
        self._transport = transport
        self._loop = loop
        self._chunks: list[bytes] = []

    def write(self, data) -> None:
        if not data:
            return
        if not self._chunks:
            self._loop.call_soon(self.flush)
        self._chunks.append(bytes(data))

    def flush(self) -> None:
        if not self._chunks:
            return
        data = b"".join(self._chunks)
        self._chunks.clear()
        if not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._chunks.clear()
        self._transport.abort()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(map(len, self._chunks))

    def __getattr__(self, name):
        # is_closing, get_extra_info, pause_reading, resume_reading, set_protocol, ...
        return getattr(self._transport, name)


_LIMITS = None


def _limits() -> tuple:
    """(max headers, max header bytes, request timeout) of this process, from the environment serve sets."""
    global _LIMITS
    if _LIMITS is None:
        from .asgi import config_from_env

        c = config_from_env()
        _LIMITS = (c.max_headers, c.max_header_bytes, c.request_timeout)
    return _LIMITS


class _Refused(Exception):
    """Raised in a parser callback to stop parsing a request past a limit."""


def _error(status: int, reason: str, code: str, message: str) -> bytes:
    body = orjson.dumps({"__type": code, "message": message})
    return (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\nx-amzn-ErrorType: {code}\r\n"
        f"x-content-type-options: nosniff\r\ncontent-length: {len(body)}\r\nconnection: close\r\n\r\n"
    ).encode() + body


class OneWriteHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._max_headers, self._max_header_bytes, self._request_timeout = _limits()
        self._header_bytes = 0
        self._deadline = None
        self._began = None  # loop time the request being received began, None between requests
        self._refusal: bytes | None = None
        self._requests = 0

    def connection_made(self, transport) -> None:
        super().connection_made(OneWriteTransport(transport, self.loop))
        if self._request_timeout:
            # One timer a connection, not one a request: it checks the request in progress when it fires.
            self._deadline = self.loop.call_later(self._request_timeout, self._check_deadline)

    def connection_lost(self, exc) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        super().connection_lost(exc)

    def _check_deadline(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        began = self._began
        if began is None:
            if self._requests == 0:
                self.transport.close()  # a new connection that sent nothing
                return
            left = self._request_timeout  # between requests uvicorn's keep-alive timeout applies
        else:
            left = began + self._request_timeout - self.loop.time()
            if left <= 0:
                message = f"The request was not received within {self._request_timeout:g} seconds"
                self.transport.write(_error(408, "Request Timeout", "RequestTimeoutException", message))
                self.transport.close()
                return
        self._deadline = self.loop.call_later(left, self._check_deadline)

    # -- parser callbacks ----------------------------------------------------------------------------------------
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_bytes = 0
        self._requests += 1
        self._began = self.loop.time()

    def on_url(self, url: bytes) -> None:
        self._header_bytes += len(url)
        if self._header_bytes > self._max_header_bytes:
            self._refuse("The request line and headers are larger than %d bytes" % self._max_header_bytes)
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        # uvicorn's on_header, with the two caps.
        self._header_bytes += len(name) + len(value) + 4
        if len(self.headers) >= self._max_headers:
            self._refuse("The request has more than %d headers" % self._max_headers)
        if self._header_bytes > self._max_header_bytes:
            self._refuse("The request line and headers are larger than %d bytes" % self._max_header_bytes)
        name = name.lower()
        if name == b"expect" and value.lower() == b"100-continue":
            self.expect_100_continue = True
        self.headers.append((name, value))

    def on_message_complete(self) -> None:
        self._began = None
        super().on_message_complete()

    def _refuse(self, message: str):
        self._refusal = _error(431, "Request Header Fields Too Large", "RequestHeaderFieldsTooLargeException", message)
        raise _Refused(message)

    def send_400_response(self, msg: str) -> None:
        # uvicorn answers any parser error with 400; a refusal of ours is the parser error it sees.
        if self._refusal is not None:
            self.transport.write(self._refusal)
            self.transport.close()
            return
        super().send_400_response(msg)
