"""codestar-local's App behind granian's RSGI interface, for bench_protocol.py's side-by-side of serving cores.

    granian --interface rsgi --app-dir bench rsgi_app:app

A bench adapter, not a supported way to serve: it buffers the body and calls App.answer, as serving/ does.
"""

from __future__ import annotations

from codestar_local.app import Request
from codestar_local.asgi import create_app

_app = create_app()


class _Rsgi:
    async def __rsgi__(self, scope, protocol):
        body = await protocol()
        headers = {k: v for k, v in scope.headers.items()}
        resp = _app.answer(Request(scope.method, scope.path, headers, body, scope.query_string, False))
        protocol.response_bytes(resp.status, [(k.decode("latin-1"), v.decode("latin-1")) for k, v in resp.headers], resp.body)

    def __rsgi_init__(self, loop):
        pass

    def __rsgi_del__(self, loop):
        pass


app = _Rsgi()
