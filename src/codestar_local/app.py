"""The one request path: route -> caller -> decode -> validate -> provider -> encode.

`App.handle(Request) -> Response` is pure of any transport: the ASGI server, the
in-process mock and the tests all go through it.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import itertools
import logging
import random
import time
import uuid
from dataclasses import dataclass

from . import __version__, auth, browser, metrics, routing, spec
from .errors import AwsError
from .messages import Request, Response  # noqa: F401  (re-exported: the transports build them)
from .store import Conflict, NeedsIO, NeedsSnapshot, Store, open_store
from .store.base import WRITE_ATTEMPTS

log = logging.getLogger("codestar_local")

CONTROL_PREFIX = "/_codestar-local/"
GIT_PREFIX = "/_codestar-local/git/"


@dataclass
class Config:
    max_body: int = 2 * 1024 * 1024
    # Control API bodies (state snapshots) may be larger than any AWS request.
    max_control_body: int = 256 * 1024 * 1024
    # Seconds a host with a VPC configuration stays VPC_CONFIG_INITIALIZING before PENDING.
    vpc_init_seconds: float = 1.0
    # None = off; otherwise seconds after which new connections/hosts become AVAILABLE.
    auto_handshake: float | None = None
    request_log_size: int = 200
    # Seconds a CodeStar project stays CreateInProgress, and DeleteInProgress before it is gone.
    project_create_seconds: float = 0.5
    project_delete_seconds: float = 0.5
    # Trust (docs/SECURITY.md). auth: "off" (any signature, account from the key id) or "verify" (SigV4 against
    # the keys in the credentials file).
    auth: str = "off"
    credentials: str | None = None
    # When set, every /_codestar-local/ call but GET health needs "Authorization: Bearer <token>" or the console cookie.
    admin_token: str | None = None
    # Web origins allowed to call the AWS API and the control API from a browser (CORS); none by default.
    cors: tuple = ()
    # Transport limits: header count, header section bytes, nesting depth of JSON/CBOR bodies, and seconds a
    # client may take to send one whole request (or to start one on a new connection).
    max_headers: int = 100
    max_header_bytes: int = 32 * 1024
    max_depth: int = 32
    request_timeout: float = 30.0
    # Set by `serve` when it listens on a loopback address: then only loopback Host names (and allow_hosts) are
    # answered, so a DNS-rebinding page cannot reach the server through the browser.
    loopback_only: bool = False
    allow_hosts: tuple = ()
    # Git sync (docs/GITSYNC.md): where the links' Git repositories live (None: beside the SQLite file, or a
    # temporary directory for memory), and the largest Git request body (pushes are larger than API requests).
    git_dir: str | None = None
    max_git_body: int = 256 * 1024 * 1024
    # SQLite file state: "normal" (synchronous=NORMAL: survives a process crash) or "full" (synchronous=FULL: also
    # a power loss). Memory and PostgreSQL ignore it (docs/OPERATIONS.md).
    durability: str = "normal"
    # Prometheus metrics (metrics.py): counted per request unless off; metrics_dir is where the workers of
    # `serve --workers N` share their counts.
    metrics: bool = True
    metrics_dir: str | None = None


class Ctx:
    """What a provider method gets besides its params."""

    __slots__ = ("app", "service", "operation", "account", "region", "tx", "now", "request_id", "access_key")

    def __init__(self, app, service, operation, account, region, tx, now, request_id, access_key=None):
        self.app = app
        self.service = service
        self.operation = operation
        self.account = account
        self.region = region
        self.tx = tx
        self.now = now
        self.request_id = request_id
        self.access_key = access_key

    def arn(self, resource: str, service: str | None = None) -> str:
        return f"arn:aws:{service or self.service.arn_service}:{self.region}:{self.account}:{resource}"


class App:
    def __init__(self, store: Store | str = "memory", config: Config | None = None, clock=time.time):
        from .control import ControlApi
        from .services import providers

        self.config = config or Config()
        self.store = open_store(store, self.config.durability) if isinstance(store, str) else store
        self.clock = clock
        self.services = spec.services()
        self.providers = providers(self)
        # Provider methods resolved once: (service, operation) -> bound method.
        self._methods = {
            (name, op.name): getattr(self.providers[name], op.method_name)
            for name, svc in self.services.items()
            if name in self.providers
            for op in svc.operations.values()
            if hasattr(self.providers[name], op.method_name)
        }
        self.verifier = None
        if self.config.auth == "verify":
            from .credentials import KeyRing

            if not self.config.credentials:
                raise ValueError("auth 'verify' needs a credentials file")
            self.verifier = auth.Verifier(KeyRing(self.config.credentials))
        elif self.config.auth != "off":
            raise ValueError(f"auth must be 'off' or 'verify', not {self.config.auth!r}")
        self.recent: collections.deque = collections.deque(maxlen=self.config.request_log_size)
        self._snapshot_reads: set = set()  # read operations that ran more than one statement (App._read)
        threads = getattr(self.store, "blocking", False)  # requests run on a thread pool (see __call__)
        self.tally = metrics.Tally(self.services, self.config.metrics_dir, threads) if self.config.metrics else None
        self.control = ControlApi(self)
        # Request ids: a random per-process prefix and a counter, in UUID form (uuid4 per request costs more).
        prefix = uuid.uuid4().hex
        counter = itertools.count(1)
        head = f"{prefix[:8]}-{prefix[8:12]}-{prefix[12:16]}-{prefix[16:20]}-"
        self._request_id = lambda: f"{head}{next(counter):012x}"

    # -- the core ----------------------------------------------------------
    def handle(self, req: Request) -> Response:
        if req.path.startswith(CONTROL_PREFIX):
            return self.control.handle(req)
        started = time.perf_counter()
        request_id = self._request_id()
        service = op = None
        codec = None
        account = None
        code = entered = stored = None  # error code; when the store transaction began, and its seconds
        try:
            r = routing.route(req.method, req.path, req.headers)
            service, op, codec = r.service, r.operation, r.codec
            if req.too_large or len(req.body) > self.config.max_body:
                raise AwsError("RequestEntityTooLargeException", "Request body is too large")
            if self.verifier is None:
                caller = auth.caller(req.headers, req.query)
                auth.check_scope(caller, service)
            else:
                caller = self.verifier.caller(req, service, self.clock())
            account = caller.account
            params = codec.decode(req.body, self.config.max_depth)
            if op.validator is not None:
                op.validator(params)
            method = self._methods.get((service.name, op.name))
            if method is None:
                raise AwsError(
                    "NotImplementedException",
                    f"Operation {op.name} of {service.name} is not implemented by codestar-local yet",
                    status=501,
                )
            now = self.clock()
            entered = time.perf_counter()
            if op.readonly:
                output = self._read(method, service, op, caller, params, now, request_id)
            else:
                output = self._write(method, service, op, caller, params, now, request_id)
            stored = time.perf_counter() - entered
            headers, body = codec.encode_output(service, op, output)
            status = 200
        except NeedsIO:
            raise  # tried on the event loop from a cache (serving/server.py): it runs again on a thread
        except AwsError as err:
            if entered is not None and stored is None:
                stored = time.perf_counter() - entered
            code = err.code
            if codec is None:
                codec = routing.guess_codec(req.path)
            if service is None:
                service = getattr(err, "service", None)
            status, headers, body = codec.encode_error(service, err)
        except Exception:
            log.exception("internal error in request %s", request_id)
            if codec is None:
                codec = routing.guess_codec(req.path)
            err = AwsError("InternalFailure", f"An internal error occurred (request id {request_id})", status=500)
            code = err.code
            if entered is not None and stored is None:
                stored = time.perf_counter() - entered
            status, headers, body = codec.encode_error(service, err)
        headers.append((b"x-amzn-RequestId", request_id.encode()))
        seconds = time.perf_counter() - started
        service_name = service.name if service else None
        op_name = op.name if op else None
        self.recent.append((time.time(), service_name, op_name, account, status, seconds * 1000.0))
        if self.tally is not None:
            self.tally.request((service_name, op_name, status, code), seconds, stored)
        return Response(status, headers, body)

    def _read(self, method, service, op, caller, params, now, request_id):
        # An operation runs as one statement until it once needs two; from then on, always in a snapshot.
        key = (service.name, op.name)
        if key not in self._snapshot_reads:
            try:
                with self.store.read(snapshot=False, account=caller.account) as tx:
                    return method(Ctx(self, service, op, caller.account, caller.region, tx, now, request_id, caller.access_key), params)
            except NeedsSnapshot:
                self._snapshot_reads.add(key)
        with self.store.read() as tx:
            return method(Ctx(self, service, op, caller.account, caller.region, tx, now, request_id, caller.access_key), params)

    def _write(self, method, service, op, caller, params, now, request_id):
        for attempt in range(WRITE_ATTEMPTS):
            try:
                with self.store.write(caller.account) as tx:
                    return method(Ctx(self, service, op, caller.account, caller.region, tx, now, request_id, caller.access_key), params)
            except Conflict as e:
                log.info("request %s: a concurrent write won (%s); attempt %d of %d", request_id, e, attempt + 1, WRITE_ATTEMPTS)
                time.sleep(random.uniform(0, 0.002 * 2**attempt))
        # Clients retry these: the operation's own concurrency (or server) error where its model has one, else a 500.
        for code in ("ConcurrentModificationException", "InternalServerException"):
            if code in op.errors:
                raise AwsError(code, "The request conflicted with concurrent requests on the same account; retry it")
        raise AwsError("InternalFailure", "The request conflicted with concurrent requests on the same account; retry it", status=500)

    # -- ASGI --------------------------------------------------------------
    @functools.cached_property
    def _threads(self):
        """Where requests run when the store waits on a network database: one thread per pooled connection."""
        from concurrent.futures import ThreadPoolExecutor

        return ThreadPoolExecutor(max_workers=self.store.size, thread_name_prefix="codestar-local")

    @functools.cached_property
    def _read_thread(self):
        """Where batched reads run (answer_reads): one thread, so the store's cache has one user."""
        from concurrent.futures import ThreadPoolExecutor

        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="codestar-local-reads")

    @functools.cached_property
    def git(self):
        """The links' Git remote (gitremote/), made on first use; without the gitsync extra, one that says so."""
        try:
            from .gitremote.remote import GitRemote
        except ImportError as e:
            from .gitremote.absent import NoGitRemote

            return NoGitRemote(self, str(e))
        return GitRemote(self)

    @functools.cached_property
    def _cors(self):
        """CORS for the origins of Config.cors (browser.py), or None: no CORS at all."""
        return browser.Cors(self.config.cors) if self.config.cors else None

    @functools.cached_property
    def _hosts(self):
        """The Host check of a server listening on loopback (browser.py), or None: any Host."""
        return browser.HostCheck(self.config.allow_hosts) if self.config.loopback_only else None

    # -- HTTP (the ASGI entry below and serving/ share these) ---------------------------
    def refuse_host(self, headers: dict) -> Response | None:
        """The 403 for a Host a loopback server does not answer (DNS rebinding), else None."""
        hosts = self._hosts
        if hosts is None or hosts.allows(headers.get("host")):
            return None
        refused_headers, body = hosts.refusal(headers.get("host", ""))
        return Response(403, refused_headers, body)

    def body_limit(self, path: str) -> int:
        return self.config.max_control_body if path.startswith(CONTROL_PREFIX) else self.config.max_body

    def answer(self, req: Request) -> Response:
        """A whole buffered request (not Git) to its response: CORS preflight, App.handle, the security headers.

        The caller adds content-length. It runs where App.handle may run: on App._threads for a blocking store."""
        cors = self._cors
        if cors is not None and req.method == "OPTIONS":
            # A preflight from an allowed origin is answered here; it never reaches the AWS or control path.
            preflight = cors.preflight(req.headers)
            if preflight is not None:
                return Response(204, preflight, b"")
        resp = self.handle(req)
        if not req.path.startswith(CONTROL_PREFIX):  # control responses carry their own (control/guard.py)
            resp.headers.append(browser.NOSNIFF)
        if cors is not None:
            resp.headers.extend(cors.actual(req.headers.get("origin")))
        return resp

    def batched_read(self, req: Request) -> str | None:
        """The caller's account when `req` is a read of one statement that a store with `cached_reads` may answer
        from its cache (serving/ gathers these), else None: it is answered on its own."""
        if req.too_large or req.path.startswith(CONTROL_PREFIX):
            return None
        try:
            r = routing.route(req.method, req.path, req.headers)
            caller = auth.caller(req.headers, req.query)
        except Exception:  # App.handle answers it, with the error it deserves
            return None
        op = r.operation
        if not op.readonly or (r.service.name, op.name) in self._snapshot_reads:
            return None
        if self.verifier is not None:
            # The key's account, for the versions query only: App.handle still checks the signature, and the read
            # uses the account it verified (a cache entry of another account is never looked at).
            key = self.verifier.keyring.get(caller.access_key) if caller.access_key else None
            return key.account if key is not None else None
        return caller.account

    def answer_reads(self, reqs: list, accounts: set, checked: bool = False) -> list:
        """Answers to reads gathered by batched_read, with the store's cache checked once for them all (`checked`:
        the server already did)."""
        try:
            with self.store.cached_reads(accounts, checked):
                return [self.answer(req) for req in reqs]
        except Exception:
            log.warning("the read cache could not be checked; answering %d reads without it", len(reqs), exc_info=True)
            return [self.answer(req) for req in reqs]

    def failure(self, req: Request, err: AwsError) -> Response:
        """`err` as the answer to a request that failed outside App.handle (a group commit that could not commit),
        encoded by the request's own protocol, as App.handle encodes its errors."""
        try:
            r = routing.route(req.method, req.path, req.headers)
            service, codec = r.service, r.codec
        except AwsError as routing_error:
            service, codec = getattr(routing_error, "service", None), routing.guess_codec(req.path)
        status, headers, body = codec.encode_error(service, err)
        headers.append((b"x-amzn-RequestId", self._request_id().encode()))
        headers.append(browser.NOSNIFF)
        return Response(status, headers, body)

    def startup(self) -> None:
        if self.tally is not None:
            self.tally.start()
        self._watch_sighup()

    def shutdown(self) -> None:
        if self.tally is not None:
            self.tally.flush()
        self.close()

    # -- ASGI, for users who mount the App in a server of their own -------------------
    async def __call__(self, scope, receive, send):
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(receive, send)
            return
        if kind != "http":
            return
        # ASGI header names are already lower-case.
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        refused = self.refuse_host(headers)
        if refused is not None:
            await _send(send, refused)
            return  # before the body is read
        if scope["path"].startswith(GIT_PREFIX):
            await self.git(scope, receive, send, headers)  # its own body limit, on a worker thread
            return
        limit = self.body_limit(scope["path"])
        chunks = []
        size = 0
        too_big = False
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            if chunk and not too_big:
                size += len(chunk)
                if size > limit:
                    too_big = True
                    chunks = []
                else:
                    chunks.append(chunk)
            if not message.get("more_body", False):
                break
        req = Request(
            scope["method"], scope["path"], headers, b"".join(chunks), scope.get("query_string", b"").decode("latin-1"), too_big
        )
        if self.store.blocking:
            resp = await asyncio.get_running_loop().run_in_executor(self._threads, self.answer, req)
        else:
            resp = self.answer(req)
        await _send(send, resp)

    async def _lifespan(self, receive, send):
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.startup()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _watch_sighup(self) -> None:
        """SIGHUP re-reads the credentials file (keys rotate without a restart)."""
        import signal

        if self.verifier is None or not hasattr(signal, "SIGHUP"):
            return
        keyring = self.verifier.keyring
        try:
            signal.signal(signal.SIGHUP, lambda *_: keyring.reload_soon())
        except ValueError:  # not the main thread (an embedding server): the modification time still counts
            pass

    def close(self) -> None:
        if "_read_thread" in self.__dict__:
            self._read_thread.shutdown(wait=True)
        if "_threads" in self.__dict__:
            self._threads.shutdown(wait=True)
        if "git" in self.__dict__:
            self.git.close()
        self.store.close()

    def health(self) -> dict:
        out = {"status": "ok", "services": sorted(self.services), "version": __version__, "state": self.store.url}
        durability = getattr(self.store, "durability", None)
        if durability is not None:
            out["durability"] = durability
        return out


async def _send(send, resp: Response) -> None:
    resp.headers.append((b"content-length", str(len(resp.body)).encode()))
    await send({"type": "http.response.start", "status": resp.status, "headers": resp.headers})
    await send({"type": "http.response.body", "body": resp.body})
