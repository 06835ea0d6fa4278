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
"""

from __future__ import annotations

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


class OneWriteHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport) -> None:
        super().connection_made(OneWriteTransport(transport, self.loop))
