"""Shared fixtures: a real server over HTTP, real clients.

Each test gets its own random 12-digit account (the access key id is the
account), so tests are isolated without resets and can run in parallel.
"""

from __future__ import annotations

import importlib.util
import os
import random

import pytest

from servers import Server

try:
    # tests/fuzz's "ci" and "long" profiles, registered before the Hypothesis plugin reads --hypothesis-profile.
    import hypothesis_profiles  # noqa: F401
except ModuleNotFoundError as e:  # a venv without the test extras (tests/compat runs some suites in one)
    if e.name != "hypothesis":
        raise


# The suites that run whole on each store: the session server is then a SQLite file, then a PostgreSQL database.
STORE_SUITES = ("api", "codestar")


@pytest.fixture(scope="session")
def store(request) -> str:
    return getattr(request, "param", "memory")


@pytest.fixture(scope="session")
def server(store, tmp_path_factory):
    if store == "postgres":
        from pg import fresh_database

        with fresh_database() as url:
            s = Server(state=url)
            yield s
            s.stop()
        return
    s = Server(state=str(tmp_path_factory.mktemp("state") / "state.db") if store == "sqlite" else "memory")
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
    names = metafunc.fixturenames
    if ("server" in names or "target" in names) and metafunc.definition.path.parent.name in STORE_SUITES:
        # Without psycopg (tests/compat's venvs of a user's environment, no postgres extra) the SQLite file only.
        stores = ["sqlite", "postgres"] if importlib.util.find_spec("psycopg") else ["sqlite"]
        metafunc.parametrize("store", stores, indirect=True, scope="session")
    if "target" not in names or "server" in names:
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
def target(request, store):
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
