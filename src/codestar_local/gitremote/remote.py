"""The Git remote of every repository link, over smart HTTP (dulwich's upload-pack and receive-pack).

    <endpoint>/_codestar-local/git/<RepositoryLinkId>.git
    <endpoint>/_codestar-local/git/<account>/<OwnerId>/<RepositoryName>.git

Both reach the same repository. The ASGI side reads the body (up to Config.max_git_body, not the API's
max_body: pushes are large) into a spooled file and runs dulwich's WSGI application on a worker thread.
Under --admin-token every Git request needs the token as the HTTP password (any user name). A push that moves
a branch starts Git sync (gitsync.engine) before it is answered.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import gzip
import logging
import re
import tempfile
import urllib.parse
import zlib

from dulwich.errors import GitProtocolError, HangupException, ObjectFormatException
from dulwich.server import Backend
from dulwich.web import ChunkedEncodingError, GunzipFilter, HTTPGitApplication, LimitedInputFilter

from ..services.connections import REPOSITORY_LINK
from .repositories import Repositories, default_git_dir
from .urls import PREFIX

log = logging.getLogger("codestar_local.git")

BY_ID = re.compile(r"(?P<id>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\.git(?P<tail>/.*)?")
BY_NAME = re.compile(r"(?P<account>[0-9]{12})/(?P<owner>[^/]+)/(?P<repo>[^/]+?)\.git(?P<tail>/.*)?")
REALM = b'Basic realm="codestar-local git"'
SPOOL_BYTES = 1024 * 1024
BAD_REQUEST = (GitProtocolError, HangupException, ObjectFormatException, ChunkedEncodingError, EOFError, ValueError,
               gzip.BadGzipFile, zlib.error)


class _Answer(Exception):
    def __init__(self, status: int, text: str, headers=()):
        self.status, self.text, self.headers = status, text, list(headers)


class _OneRepository(Backend):
    """dulwich's view of the storage: the one repository the request's URL named."""

    def __init__(self, repo):
        self.repo = repo

    def open_repository(self, path):
        return self.repo


class _SyncHook:
    """receive-pack's post-receive hook: refs have moved; start Git sync and tell the client what it does."""

    def __init__(self, remote, link_arn, repo):
        self.remote, self.link_arn, self.repo = remote, link_arn, repo

    def execute(self, client_refs):
        _point_head(self.repo, client_refs)
        lines = self.remote.sync.on_push(self.link_arn, self.repo, client_refs)
        return "".join(line + "\n" for line in lines).encode("utf-8") or None


def _point_head(repo, client_refs) -> None:
    """A repository's first branch becomes its HEAD when HEAD names no branch yet (as Git hosts do)."""
    head = repo.refs.get_symrefs().get(b"HEAD")
    if head is None or head in repo.refs:
        return
    for _, new, ref in client_refs:
        if ref.startswith(b"refs/heads/") and set(new) != {ord("0")}:
            repo.refs.set_symbolic_ref(b"HEAD", ref)
            return


class GitRemote:
    def __init__(self, app):
        from ..gitsync.engine import GitSync

        self.app = app
        config = app.config
        root = config.git_dir if config.git_dir else default_git_dir(app.store.url)
        self.repositories = Repositories(root)
        self.sync = GitSync(app)

    # -- ASGI -----------------------------------------------------------------------
    async def __call__(self, scope, receive, send, headers: dict) -> None:
        try:
            self._authorise(scope["method"], headers)
            body = await self._read_body(receive, headers)
        except _Answer as a:
            payload = a.text.encode() + b"\n"
            await send({"type": "http.response.start", "status": a.status, "headers": a.headers + _text_headers(payload)})
            await send({"type": "http.response.body", "body": payload})
            return
        if body is None:
            return  # the client went away
        loop = asyncio.get_running_loop()
        stream = _Stream(loop)
        work = loop.run_in_executor(None, self._serve, scope, headers, body, stream)
        try:
            await stream.relay(send)
        finally:
            stream.abandon()  # a client gone mid-answer must not leave the worker thread waiting
            await work
            body.close()

    def _authorise(self, method: str, headers: dict) -> None:
        guard = self.app.control.guard
        if method not in ("GET", "HEAD", "OPTIONS"):
            reason = guard.cross_site(_Headers(headers))
            if reason:
                raise _Answer(403, f"Git requests from another web origin are refused ({reason})")
        if not guard.enabled:
            return
        given = headers.get("authorization", "")
        scheme, _, value = given.partition(" ")
        secret = None
        if scheme.lower() == "basic":
            try:
                secret = base64.b64decode(value.strip(), validate=True).partition(b":")[2]
            except (binascii.Error, ValueError):
                secret = None
        elif scheme.lower() == "bearer":
            secret = value.strip().encode("utf-8", "surrogateescape")
        if secret is None or not guard.token_matches(secret):
            text = ("The admin token is not right" if given else
                    "This server needs its admin token as the Git password (http://git:TOKEN@host/..., or let git prompt)")
            raise _Answer(401, text, [(b"www-authenticate", REALM)])

    async def _read_body(self, receive, headers: dict):
        limit = self.app.config.max_git_body
        length = headers.get("content-length")
        if length and length.isdigit() and int(length) > limit:
            raise _Answer(413, f"The Git request body is larger than {limit} bytes (serve --max-git-body)")
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                spool.close()
                return None
            chunk = message.get("body", b"")
            if chunk:
                size += len(chunk)
                if size > limit:
                    spool.close()
                    raise _Answer(413, f"The Git request body is larger than {limit} bytes (serve --max-git-body)")
                spool.write(chunk)
            if not message.get("more_body", False):
                break
        spool.seek(0)
        return spool

    # -- on a worker thread ---------------------------------------------------------
    def _serve(self, scope, headers: dict, body, stream) -> None:
        try:
            try:
                link, tail = self._resolve(urllib.parse.unquote(scope["path"][len(PREFIX):]))
            except _Answer as a:
                stream.answer(a.status, a.text)
                return
            repo = self.repositories.open(link.data["RepositoryLinkId"])
            try:
                repo.hooks["post-receive"] = _SyncHook(self, link.id, repo)
                for name in ("pre-receive", "update"):  # nothing from disk runs
                    repo.hooks.pop(name, None)
                self._wsgi(repo, scope, headers, body, tail, stream)
            finally:
                repo.close()
        except _ClientGone:
            log.info("Git client of %s %s went away", scope["method"], scope["path"])
        except Exception:
            log.exception("Git request %s %s failed", scope["method"], scope["path"])
            if not stream.started:
                stream.answer(500, "The Git request failed (see the server log)")
        finally:
            stream.finish()

    def _resolve(self, rest: str):
        """(link item, the path after .git) for the URL's tail, or a 404."""
        by_id, by_name = BY_ID.fullmatch(rest), BY_NAME.fullmatch(rest)
        with self.app.store.read() as tx:
            if by_id:
                link_id = by_id.group("id").lower()
                found = [i for i in tx.list(REPOSITORY_LINK, None) if i.data["RepositoryLinkId"].lower() == link_id]
                tail = by_id.group("tail")
            elif by_name:
                account, owner, name = by_name.group("account", "owner", "repo")
                found = [i for i in tx.list(REPOSITORY_LINK, account)
                         if i.data["OwnerId"] == owner and i.data["RepositoryName"] == name]
                tail = by_name.group("tail")
            else:
                raise _Answer(404, f"Not a Git remote of codestar-local: use {PREFIX}<RepositoryLinkId>.git "
                                   f"or {PREFIX}<account>/<OwnerId>/<RepositoryName>.git")
        if not found:
            raise _Answer(404, "No repository link for this Git remote (CreateRepositoryLink makes one)")
        if len(found) > 1:
            ids = ", ".join(sorted(i.data["RepositoryLinkId"] for i in found))
            raise _Answer(409, f"Several repository links name this repository ({ids}): use {PREFIX}<RepositoryLinkId>.git")
        return found[0], tail or "/"

    def _wsgi(self, repo, scope, headers: dict, body, tail: str, stream) -> None:
        environ = {
            "REQUEST_METHOD": scope["method"],
            "SCRIPT_NAME": "",
            "PATH_INFO": "/repo" + tail,
            "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
            "CONTENT_TYPE": headers.get("content-type", ""),
            "CONTENT_LENGTH": str(_size(body)),  # the ASGI server has undone any chunked encoding
            "SERVER_NAME": "codestar-local",
            "SERVER_PORT": "0",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": scope.get("scheme", "http"),
            "wsgi.input": body,
            "wsgi.errors": _LogStream(),
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        for name, value in headers.items():
            if name not in ("content-type", "content-length", "transfer-encoding", "authorization"):
                environ["HTTP_" + name.upper().replace("-", "_")] = value
        app = LimitedInputFilter(GunzipFilter(HTTPGitApplication(_OneRepository(repo))),
                                 max_request_size=self.app.config.max_git_body)
        answer = {}

        def start_response(status, response_headers, exc_info=None):
            answer["status"] = int(status.split(" ", 1)[0])
            answer["headers"] = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response_headers]
            return write

        def write(chunk: bytes) -> None:
            if chunk:
                if not stream.started:  # the status goes out with the first bytes: until then an error may change it
                    stream.start(answer["status"], answer["headers"])
                stream.write(chunk)

        try:
            result = app(environ, start_response)
            try:
                for chunk in result:
                    write(chunk)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except BAD_REQUEST as e:
            if stream.started:
                raise
            # A body that is not the Git protocol: the client's mistake, not ours.
            log.info("Git request %s %s is not valid: %s", scope["method"], scope["path"], e)
            stream.answer(400, "Not a valid Git smart HTTP request")
            return
        if not stream.started:
            if "status" not in answer:
                raise RuntimeError("dulwich gave no answer")
            stream.start(answer["status"], answer["headers"] + [(b"content-length", b"0")])

    # -- the repositories follow the links ---------------------------------------------
    def forget(self, link_id: str) -> None:
        """DeleteRepositoryLink: the link's repository goes with it."""
        self.repositories.remove(link_id)

    def sweep(self) -> int:
        """After a reset or a state import: remove the repositories whose link is gone."""
        def present():
            with self.app.store.read() as tx:
                return [i.data["RepositoryLinkId"] for i in tx.list(REPOSITORY_LINK, None)]

        return self.repositories.sweep(present)

    def close(self) -> None:
        self.repositories.close()


def _size(f) -> int:
    here = f.tell()
    f.seek(0, 2)
    size = f.tell()
    f.seek(here)
    return size


def _text_headers(payload: bytes) -> list:
    return [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(payload)).encode())]


class _ClientGone(Exception):
    pass


class _Stream:
    """The answer, from the worker thread running dulwich to the event loop sending it, as it is made: a clone
    of a large repository is not held in memory. A bounded queue holds the thread back when the client is slow."""

    FLUSH = 64 * 1024

    def __init__(self, loop):
        self.loop = loop
        self.queue: asyncio.Queue = asyncio.Queue(maxsize=8)
        self.started = False
        self.gone = False
        self._buffer = bytearray()

    # worker thread
    def _put(self, item) -> None:
        if self.gone:
            raise _ClientGone()
        done = asyncio.run_coroutine_threadsafe(self.queue.put(item), self.loop)
        while True:
            try:
                return done.result(timeout=1)
            except TimeoutError:
                if self.gone:
                    done.cancel()
                    raise _ClientGone() from None

    def start(self, status: int, headers: list) -> None:
        self.started = True
        self._put(("start", status, headers))

    def write(self, chunk: bytes) -> None:
        self._buffer += chunk
        if len(self._buffer) >= self.FLUSH:
            self._put(("body", bytes(self._buffer)))
            self._buffer.clear()

    def answer(self, status: int, text: str) -> None:
        payload = text.encode() + b"\n"
        self.start(status, _text_headers(payload))
        self.write(payload)

    def finish(self) -> None:
        try:
            if not self.started:
                self.answer(500, "The Git request got no answer")
            if self._buffer:
                self._put(("body", bytes(self._buffer)))
            self._put(None)
        except _ClientGone:
            pass

    # event loop
    async def relay(self, send) -> None:
        while True:
            item = await self.queue.get()
            if item is None:
                await send({"type": "http.response.body", "body": b""})
                return
            if item[0] == "start":
                await send({"type": "http.response.start", "status": item[1], "headers": item[2]})
            else:
                await send({"type": "http.response.body", "body": item[1], "more_body": True})

    def abandon(self) -> None:
        self.gone = True
        while not self.queue.empty():
            self.queue.get_nowait()


class _Headers:
    """The little of a Request that Guard.cross_site reads."""

    def __init__(self, headers: dict):
        self.headers = headers


class _LogStream:
    def write(self, text):
        if text.strip():
            log.warning("%s", text.rstrip())

    def flush(self):
        pass
