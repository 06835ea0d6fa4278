"""pytest plugin, registered as the `codestar_local` pytest11 entry point.

Fixtures:
- codestar_local: a real server on 127.0.0.1 (one per session, in a thread,
  in-memory state), reset before each test; .endpoint_url, .reset(),
  .handshake(arn), .client(service, account=None, region=...), .app.
- codestar_local_server: the same server without the per-test reset, for
  session-scoped fixtures.
- codestar_mock: mock_codestar() around the test; options from
  @pytest.mark.codestar_mock(account=..., region=..., auto_handshake=..., state=...).

While codestar_local is active, AWS_ENDPOINT_URL_CODESTAR_CONNECTIONS,
AWS_ENDPOINT_URL_CODECONNECTIONS and AWS_ENDPOINT_URL_CODESTAR point at the
server, so code under test that makes its own clients reaches it.
"""

from __future__ import annotations

import os

import pytest

# Imported now, before test modules make clients, so that every botocore session has the mock's hook.
from . import mock as _mock
from .server import ENDPOINT_VARS, ThreadServer


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "codestar_mock(account=..., region=..., auto_handshake=..., state=...): options for the codestar_mock fixture",
    )


def _set_client_env(request, monkeypatch, endpoint_url: str) -> None:
    for name in ENDPOINT_VARS:
        monkeypatch.setenv(name, endpoint_url)
    if not os.environ.get("AWS_ACCESS_KEY_ID"):
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", _mock.FAKE_KEY_ID)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", _mock.FAKE_SECRET)
    if not os.environ.get("AWS_DEFAULT_REGION"):
        monkeypatch.setenv("AWS_DEFAULT_REGION", _mock.DEFAULT_REGION)
    models = str(_mock.spec.models_path())
    data_path = os.environ.get("AWS_DATA_PATH", "")
    if models not in data_path.split(os.pathsep):
        monkeypatch.setenv("AWS_DATA_PATH", models + (os.pathsep + data_path if data_path else ""))
    added = _mock.fix_default_session(models)
    request.addfinalizer(lambda: _mock.unfix_loaders(added))


@pytest.fixture(scope="session")
def codestar_local_server():
    """One codestar-local server for the session (127.0.0.1, free port, in-memory), not reset between tests."""
    server = ThreadServer().start()
    yield server
    server.stop()


@pytest.fixture
def codestar_local(request, codestar_local_server, monkeypatch):
    """The session's server, emptied before this test; AWS_ENDPOINT_URL_* point at it during the test."""
    codestar_local_server.reset()
    _set_client_env(request, monkeypatch, codestar_local_server.endpoint_url)
    return codestar_local_server


@pytest.fixture
def codestar_mock(request):
    """mock_codestar() around this test; options from @pytest.mark.codestar_mock(...)."""
    marker = request.node.get_closest_marker("codestar_mock")
    options = dict(marker.kwargs) if marker is not None else {}
    with _mock.MockCodestar(**options) as mock:
        yield mock
