"""The Git remote when dulwich is not installed: Git requests are told how to get it; nothing else changes."""

from __future__ import annotations

MESSAGE = (
    "Git sync's remote needs the gitsync extra, which this installation lacks: "
    "pip install 'codestar-local[gitsync]' (dulwich, PyYAML, cfn-lint), then restart the server.\n"
)


class NoGitRemote:
    def __init__(self, app, reason: str):
        self.app = app
        self.reason = reason

    async def __call__(self, scope, receive, send, headers: dict) -> None:
        body = MESSAGE.encode()
        await send({"type": "http.response.start", "status": 501, "headers": [
            (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    # No repositories were made without dulwich: DeleteRepositoryLink, reset and state import have none to remove.
    def forget(self, link_id: str) -> None:
        pass

    def sweep(self) -> int:
        return 0

    def close(self) -> None:
        pass
