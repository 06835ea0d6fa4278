"""Shared fixtures: a real server over HTTP, real clients.

Each test gets its own random 12-digit account (the access key id is the
account), so tests are isolated without resets and can run in parallel.
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import time
import urllib.request

import boto3
import botocore.config
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_SESSIONS: dict = {}


def boto_session() -> boto3.session.Session:
    """One boto3 session per AWS_DATA_PATH: a fresh session re-reads the models (~0.3 s per client).

    Its clients use the shipped models, as mock_codestar's do, so the suite also runs on a botocore
    older than these services' models (tests/compat).
    """
    from codestar_local.testing.clients import use_models

    key = os.environ.get("AWS_DATA_PATH")
    if key not in _SESSIONS:
        _SESSIONS[key] = boto3.session.Session()
        use_models(_SESSIONS[key]._session.get_component("data_loader"))
    return _SESSIONS[key]


class Server:
    def __init__(self, state="memory", extra=(), env=None):
        self.port = free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self.state = state
        cmd = [sys.executable, "-m", "codestar_local.cli", "serve", "--port", str(self.port), "--state", state, *extra]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.proc.stdout.read().decode()}")
            try:
                with urllib.request.urlopen(self.endpoint_url + "/_codestar-local/health", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("server did not become healthy")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def client(self, service, account="000000000000", region="us-east-1", retries=1, validate=True, **kw):
        # validate=False turns off botocore's client-side checks, to send invalid input to the server.
        return boto_session().client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=region,
            aws_access_key_id=account,
            aws_secret_access_key="secret",
            config=botocore.config.Config(retries={"max_attempts": retries, "mode": "standard"}, parameter_validation=validate),
            **kw,
        )


@pytest.fixture(scope="session")
def server():
    s = Server()
    yield s
    s.stop()


@pytest.fixture
def fresh_server():
    """A server of the test's own, for tests that need the default account to themselves."""
    s = Server()
    yield s
    s.stop()


@pytest.fixture
def account() -> str:
    return "".join(random.choice("0123456789") for _ in range(12))


@pytest.fixture(params=["codestar-connections", "codeconnections"])
def service(request) -> str:
    return request.param


# -- target: the HTTP server or the in-process mock ------------------------------
# Tests that get their clients from `client`/`make_client` (and do not use `server`
# directly) can run against mock_codestar too: --target server|mock|both, or
# CODESTAR_LOCAL_TEST_TARGET. Without either, these modules run on both and the rest
# on the server only.
BOTH_TARGETS_BY_DEFAULT = ("test_connections.py", "test_tags.py")


def pytest_addoption(parser):
    parser.addoption(
        "--target",
        choices=("server", "mock", "both"),
        default=os.environ.get("CODESTAR_LOCAL_TEST_TARGET") or None,
        help="what answers the client/make_client fixtures (default: server, both for a few core modules)",
    )


def pytest_generate_tests(metafunc):
    if "target" not in metafunc.fixturenames or "server" in metafunc.fixturenames:
        return
    chosen = metafunc.config.getoption("--target")
    if chosen is None:
        chosen = "both" if os.path.basename(str(metafunc.definition.path)) in BOTH_TARGETS_BY_DEFAULT else "server"
    if chosen != "server":  # server alone keeps the test ids unchanged
        metafunc.parametrize("target", ["server", "mock"] if chosen == "both" else ["mock"], indirect=True)


class MockTarget:
    """mock_codestar in place of the server: the same client(), with no endpoint (nothing is sent)."""

    endpoint_url = None
    client = Server.client

    def __init__(self, mock):
        self.mock = mock


@pytest.fixture
def target(request):
    if getattr(request, "param", "server") == "server":
        yield request.getfixturevalue("server")
        return
    from codestar_local import mock_codestar

    with mock_codestar() as mock:
        yield MockTarget(mock)


@pytest.fixture
def client(target, service, account):
    """A boto3 client of the parametrized connections service, in a fresh account."""
    return target.client(service, account=account)


@pytest.fixture
def make_client(target, account):
    def make(service, region="us-east-1", acct=None, **kw):
        return target.client(service, account=acct or account, region=region, **kw)

    return make


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def workers(request, tmp_path_factory):
    """Two server processes sharing one state: a SQLite file, or a PostgreSQL database."""
    from pg import fresh_database

    if request.param == "sqlite":
        s = Server(state=str(tmp_path_factory.mktemp("workers") / "state.db"), extra=["--workers", "2"])
        yield s
        s.stop()
    else:
        with fresh_database() as url:
            s = Server(state=url, extra=["--workers", "2"])
            yield s
            s.stop()
