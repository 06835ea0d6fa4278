"""mock_codestar: boto3/botocore clients answered in-process by App.handle().

How requests are caught: importing this module adds one handler to botocore's
BUILTIN_HANDLERS for the `before-send` events of codestar-connections,
codeconnections and codestar. Every botocore Session made afterwards copies
the built-in handlers, and every client copies its session's, so a client is
covered whether it was made before or inside a `with mock_codestar()` block,
as long as its session was made after this import (the pytest plugin imports
it when pytest starts). boto3's default session, if it is older, gets the
handler when a mock starts. Outside a mock the handler returns None and
botocore sends the request as usual; other services never reach it.

Which mock answers: the innermost one entered in the current thread or asyncio
task; a thread or task that entered none (a worker thread started by the code
under test) gets the most recently entered mock that is still active.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import io
import os
import sys
import threading
import unittest
import urllib.parse

import botocore.awsrequest
import botocore.handlers
import orjson

from .. import spec

SERVICE_IDS = ("codestar-connections", "codeconnections", "codestar")
DEFAULT_ACCOUNT = "000000000000"
# FAKE_KEY_ID is set when the environment has no AWS_ACCESS_KEY_ID. Not 12 digits, so the mock maps it to its `account`.
from .clients import DEFAULT_REGION, FAKE_KEY_ID, FAKE_SECRET, make_client, use_models  # noqa: E402,F401  (FAKE_SECRET re-exported)
_PROBE_EVENT = "codestar-local.probe"
_PROBE_ANSWER = object()
_HELD = "_codestar_local_mock"  # instance attribute for class-decorated tests that enter in setup_method

_own: contextvars.ContextVar[tuple] = contextvars.ContextVar("codestar_local_mock", default=())
_active: list = []  # every active mock, in the order entered
_lock = threading.Lock()
_Request = None  # app.Request, once a mock has started


def current():
    """The mock that would answer a request made here and now, or None."""
    for mock in reversed(_own.get()):
        if mock.active:
            return mock
    try:
        return _active[-1]
    except IndexError:
        return None


def _before_send(request, **kwargs):
    mock = current()
    if mock is None:
        return None
    return mock._answer(request)


def _probe(**kwargs):
    return _PROBE_ANSWER


def _install() -> None:
    handlers = botocore.handlers.BUILTIN_HANDLERS
    # A reloaded module must not leave its old handler behind: each request would be answered twice.
    handlers[:] = [h for h in handlers if getattr(h[1], "__module__", None) != __name__]
    for sid in SERVICE_IDS:
        handlers.append((f"before-send.{sid}", _before_send))
    handlers.append((_PROBE_EVENT, _probe))


_install()


def hooked(events) -> bool:
    """Whether a session's or client's event system (session or client.meta.events) has our handler."""
    responses = events.emit(_PROBE_EVENT)
    return any(answer is _PROBE_ANSWER for _, answer in responses)


def _hook_session(session) -> None:
    """Give a botocore Session made before this module was imported the handler."""
    if hooked(session):
        return
    for sid in SERVICE_IDS:
        session.register(f"before-send.{sid}", _before_send, unique_id=f"codestar-local-{sid}")
    session.register(_PROBE_EVENT, _probe, unique_id="codestar-local-probe")


class _Raw(io.BytesIO):
    """The body, readable the way botocore reads a urllib3 response."""

    def stream(self, amt=None, decode_content=None):
        data = self.read()
        if data:
            yield data


class _Content(bytes):
    """Response bytes that aiobotocore can also await (it reads `await response.content`)."""

    def __await__(self):
        return bytes(self)
        yield  # a generator, so that `await` gets the bytes at once


class _Response(botocore.awsrequest.AWSResponse):
    """One response for botocore and aiobotocore clients alike: the same before-send hook answers both."""

    @property
    def content(self):
        return _Content(self.raw.getvalue())


def _body_bytes(body) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytearray, memoryview)):
        return bytes(body)
    # A file-like body: read it and put it back where it was, for a retry.
    where = body.tell()
    data = body.read()
    body.seek(where)
    return data if isinstance(data, bytes) else data.encode("utf-8")


def _with_account(authorization: str, account: str) -> str:
    """Put `account` in place of an access key id that is not 12 digits (the server's rule names no account)."""
    start = authorization.find("Credential=")
    if start < 0:
        return authorization
    start += len("Credential=")
    end = authorization.find("/", start)
    key = authorization[start:end]
    if end < 0 or (len(key) == 12 and key.isdigit()):
        return authorization
    return authorization[:start] + account + authorization[end:]


def fix_default_session(models: str) -> list:
    """Hook boto3's default session if it is older than this module, and let its loader find `models`.

    Returns what to give unfix_loaders() afterwards.
    """
    boto3 = sys.modules.get("boto3")
    default = getattr(boto3, "DEFAULT_SESSION", None) if boto3 else None
    if default is None:
        return []
    session = default._session
    _hook_session(session)
    loader = session.get_component("data_loader")
    return [(loader, models)] if use_models(loader) else []


def unfix_loaders(added: list) -> None:
    for loader, path in added:
        if path in loader.search_paths:
            loader.search_paths.remove(path)


# -- the environment, set while any mock is active ------------------------------
class _Env:
    """Fake credentials, a default region and the shipped models path, restored when the last mock ends."""

    def __init__(self):
        self.changed = {}  # name -> (previous value or None, value we set)
        self.loader_paths = []  # (loader, path) we appended to

    def apply(self, region: str) -> None:
        wanted = {}
        if not os.environ.get("AWS_ACCESS_KEY_ID"):
            wanted["AWS_ACCESS_KEY_ID"] = FAKE_KEY_ID
            wanted["AWS_SECRET_ACCESS_KEY"] = FAKE_SECRET
        if not os.environ.get("AWS_DEFAULT_REGION"):  # botocore reads no other region variable
            wanted["AWS_DEFAULT_REGION"] = region
        models = str(spec.models_path())
        data_path = os.environ.get("AWS_DATA_PATH", "")
        if models not in data_path.split(os.pathsep):
            wanted["AWS_DATA_PATH"] = models + (os.pathsep + data_path if data_path else "")
        for name, value in wanted.items():
            self.changed[name] = (os.environ.get(name), value)
            os.environ[name] = value
        self.loader_paths += fix_default_session(models)

    def restore(self) -> None:
        for name, (before, ours) in self.changed.items():
            if os.environ.get(name) != ours:
                continue  # changed by someone else meanwhile: leave it
            if before is None:
                del os.environ[name]
            else:
                os.environ[name] = before
        self.changed.clear()
        unfix_loaders(self.loader_paths)
        self.loader_paths.clear()


_env = _Env()


class MockCodestar:
    """One in-memory emulator answering botocore clients while active. Use mock_codestar() to make one."""

    def __init__(
        self,
        *,
        account: str = DEFAULT_ACCOUNT,
        region: str = DEFAULT_REGION,
        auto_handshake: bool | float | None = None,
        state: dict | None = None,
        app=None,
        store=None,
    ):
        if not (type(account) is str and len(account) == 12 and account.isdigit()):
            raise ValueError(f"account must be 12 digits, not {account!r}")
        if not (type(region) is str and region):
            raise ValueError(f"region must be a region name, not {region!r}")
        if app is not None and store is not None:
            raise ValueError("pass app or store, not both")
        self.options = dict(account=account, region=region, auto_handshake=auto_handshake, state=state, app=app, store=store)
        self.account = account
        self.region = region
        self.app = None
        self.active = False

    # -- life cycle ----------------------------------------------------------
    def _make_app(self):
        global _Request
        from ..app import App, Config, Request

        _Request = Request  # imported here, not at module import: the pytest plugin loads this module in every run

        shared = self.options["app"]
        if isinstance(shared, MockCodestar):
            shared = shared.app
        if shared is not None:
            return shared
        auto = self.options["auto_handshake"]
        if auto is True:
            auto = 0.0
        elif auto is False:
            auto = None
        return App(self.options["store"] or "memory", Config(auto_handshake=auto))

    def start(self) -> MockCodestar:
        if self.active:
            raise RuntimeError("this mock_codestar is already active; make another one to nest")
        self.app = self._make_app()
        state = self.options["state"]
        if state is not None:
            self.load(state)
        with _lock:
            if not _active:
                _env.apply(self.region)
            _active.append(self)
            self.active = True
        _own.set(_own.get() + (self,))
        return self

    def stop(self) -> None:
        if not self.active:
            return
        with _lock:
            self.active = False
            _active.remove(self)
            if not _active:
                _env.restore()
        # Only this context's view; a mock ended from another context is skipped by current() as inactive.
        _own.set(tuple(m for m in _own.get() if m is not self))

    def __enter__(self) -> MockCodestar:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def fresh(self) -> MockCodestar:
        """A new, inactive mock with the same options (its own state unless app/store was given)."""
        return MockCodestar(**self.options)

    # -- requests ------------------------------------------------------------
    def _answer(self, request) -> botocore.awsrequest.AWSResponse:
        url = urllib.parse.urlsplit(request.url)
        headers = {}
        for name, value in request.headers.items():
            headers[name.lower()] = value.decode("latin-1") if isinstance(value, bytes) else value
        auth = headers.get("authorization")
        if auth is not None:
            headers["authorization"] = _with_account(auth, self.account)
        resp = self.app.handle(_Request(request.method, url.path or "/", headers, _body_bytes(request.body), url.query))
        out = {name.decode("latin-1"): value.decode("latin-1") for name, value in resp.headers}
        out["content-length"] = str(len(resp.body))
        return _Response(request.url, resp.status, out, _Raw(resp.body))

    # -- operator actions, through the same control API as the server --------
    def control(self, method: str, path: str, body: dict | None = None) -> dict:
        from ..app import Request

        data = orjson.dumps(body) if body is not None else b""
        resp = self.app.handle(Request(method, "/_codestar-local/" + path.lstrip("/"), {"content-type": "application/json"}, data))
        answer = orjson.loads(resp.body) if resp.body else {}
        if resp.status != 200:
            err = answer.get("error", {}) if isinstance(answer, dict) else {}
            raise RuntimeError(f"control {method} {path}: {resp.status} {err.get('code')}: {err.get('message')}")
        return answer

    def handshake(self, connection_arn: str, installation_id: str | None = None) -> dict:
        """Finish a connection's console handshake: PENDING -> AVAILABLE."""
        body = {"ConnectionArn": connection_arn}
        if installation_id is not None:
            body["InstallationId"] = installation_id
        return self.control("POST", "connections/handshake", body)

    def client(self, service: str, account: str | None = None, region: str | None = None, **kw):
        """A boto3 client of its own botocore session (on the shipped models); `account` becomes the key id."""
        return make_client(service, None, account, region or self.region, **kw)

    def reset(self) -> None:
        self.app.store.reset()

    def dump(self) -> dict:
        return self.app.store.dump()

    def load(self, state: dict) -> None:
        """A Store.dump() dict, or a snapshot exported by the control API (checked before loading)."""
        if "format" in state:
            self.control("PUT", "state", state)
        else:
            self.app.store.load(state)

    # -- decorator -----------------------------------------------------------
    def __call__(self, target):
        if isinstance(target, type):
            return self._decorate_class(target)
        if not callable(target):
            raise TypeError("mock_codestar decorates functions, coroutine functions and classes")
        return self._wrap(target)

    def _wrap(self, func, skip_if_held=False):
        def held(args) -> bool:
            if not skip_if_held or not args:
                return False
            mock = getattr(args[0], "__dict__", {}).get(_HELD)
            return mock is not None and mock.active

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def run_async(*args, **kwargs):
                if held(args):
                    return await func(*args, **kwargs)
                with self.fresh():
                    return await func(*args, **kwargs)

            return run_async

        @functools.wraps(func)
        def run(*args, **kwargs):
            if held(args):
                return func(*args, **kwargs)
            with self.fresh():
                return func(*args, **kwargs)

        return run

    def _decorate_class(self, cls):
        if issubclass(cls, unittest.TestCase):
            # setUp, the test, tearDown and cleanups all run in one fresh mock.
            set_up = cls.setUp
            make = self.fresh

            @functools.wraps(set_up)
            def setUp(test, *args, **kwargs):
                mock = make().start()
                test.addCleanup(mock.stop)
                return set_up(test, *args, **kwargs)

            cls.setUp = setUp
            return cls
        for name in dir(cls):
            if not name.startswith("test"):
                continue
            raw = inspect.getattr_static(cls, name)
            if isinstance(raw, staticmethod):
                setattr(cls, name, staticmethod(self._wrap(raw.__func__)))
            elif isinstance(raw, classmethod):
                setattr(cls, name, classmethod(self._wrap(raw.__func__)))
            elif inspect.isfunction(raw):
                setattr(cls, name, self._wrap(raw, skip_if_held=True))
        if hasattr(cls, "setup_method"):
            self._hold_across_setup(cls)
        return cls

    def _hold_across_setup(self, cls) -> None:
        """pytest's setup_method/teardown_method run in the same mock as the test."""
        setup = cls.setup_method
        teardown = getattr(cls, "teardown_method", None)
        make = self.fresh

        def call(func, test, method):
            # pytest passes `method` only to a function that takes it; do the same.
            code = getattr(func, "__code__", None)
            return func(test) if code is not None and code.co_argcount < 2 else func(test, method)

        def setup_method(test, method=None):
            mock = test.__dict__[_HELD] = make().start()
            try:
                return call(setup, test, method)
            except BaseException:
                # pytest skips teardown_method when setup_method fails.
                del test.__dict__[_HELD]
                mock.stop()
                raise

        def teardown_method(test, method=None):
            try:
                if teardown is not None:
                    call(teardown, test, method)
            finally:
                mock = test.__dict__.pop(_HELD, None)
                if mock is not None:
                    mock.stop()

        cls.setup_method = setup_method
        cls.teardown_method = teardown_method


def mock_codestar(target=None, /, **options):
    """Answer codestar-connections, codeconnections and codestar clients in-process.

    `with mock_codestar() as m:`, `@mock_codestar`, `@mock_codestar(account=...)` on a
    function, coroutine function or test class. Options: account, region,
    auto_handshake (True or seconds), state (a Store.dump() dict or an exported
    snapshot), app or store (share state instead of starting empty).
    """
    mock = MockCodestar(**options)
    return mock if target is None else mock(target)
