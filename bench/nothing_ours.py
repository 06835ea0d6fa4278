"""The do-nothing app under codestar-local's own server (serving/): the floor of the chosen serving core.

    python bench/nothing_ours.py PORT

It answers every request 200 `{}` with the headers bench/nothing.py sends, through the same protocol, limits and
response writing as `codestar-local serve`, with no routing, decoding or store.
"""

from __future__ import annotations

import sys

from codestar_local.app import Config, Response
from codestar_local.serving.server import Server, bind

HEADERS = [(b"Content-Type", b"application/x-amz-json-1.0"), (b"x-amzn-RequestId", b"00000000-0000-0000-0000-000000000000")]


class _Store:
    blocking = False


class Nothing:
    config = Config()
    store = _Store()

    def refuse_host(self, headers):  # any Host
        return None

    def body_limit(self, path):
        return self.config.max_body

    def answer(self, req):
        return Response(200, list(HEADERS), b"{}")

    def startup(self):
        pass

    def shutdown(self):
        pass


if __name__ == "__main__":
    Server(Nothing()).run([bind("127.0.0.1", int(sys.argv[1]))])
