"""The pytest plugin's fixtures, run as a user's test suite would run them (pytester)."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

CLEAN_ENV = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION", "AWS_DATA_PATH",
             "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_CODESTAR_CONNECTIONS", "AWS_ENDPOINT_URL_CODECONNECTIONS",
             "AWS_ENDPOINT_URL_CODESTAR")

SERVER_TESTS = '''
import os

import boto3
import pytest


def names(client):
    return sorted(c["ConnectionName"] for c in client.list_connections()["Connections"])


@pytest.mark.parametrize("name", ["first", "second"])
def test_each_test_starts_empty(codestar_local, name):
    client = codestar_local.client("codestar-connections", account="123456789012")
    assert names(client) == []
    client.create_connection(ConnectionName=name, ProviderType="GitHub")
    assert names(client) == [name]


def test_code_under_test_finds_the_server(codestar_local):
    for var in ("AWS_ENDPOINT_URL_CODESTAR_CONNECTIONS", "AWS_ENDPOINT_URL_CODECONNECTIONS", "AWS_ENDPOINT_URL_CODESTAR"):
        assert os.environ[var] == codestar_local.endpoint_url
    client = boto3.client("codeconnections")  # no endpoint_url, credentials or region given
    arn = client.create_connection(ConnectionName="app", ProviderType="GitHub")["ConnectionArn"]
    assert arn.startswith("arn:aws:codeconnections:us-east-1:000000000000:connection/")
    assert client.get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"] == "PENDING"
    assert codestar_local.handshake(arn)["ConnectionStatus"] == "AVAILABLE"
    assert client.get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"] == "AVAILABLE"
    projects = boto3.client("codestar")  # the fixture supplies the model botocore lacks
    projects.create_project(name="app", id="app")
    assert projects.list_projects()["projects"][0]["projectId"] == "app"
    assert [r[1:3] for r in codestar_local.app.recent][-1] == ("codestar", "ListProjects")


def test_handshake_of_an_unknown_connection_fails(codestar_local):
    with pytest.raises(RuntimeError, match="404"):
        codestar_local.handshake("arn:aws:codestar-connections:us-east-1:000000000000:connection/6f1c1d0e-8f55-4a52-9f1d-0c8e2b7a1a11")


def test_environment_is_restored_after_the_fixture():
    assert "AWS_ENDPOINT_URL_CODESTAR_CONNECTIONS" not in os.environ
    assert "AWS_ACCESS_KEY_ID" not in os.environ


def test_session_fixture_is_one_server(codestar_local, codestar_local_server):
    assert codestar_local is codestar_local_server
'''

MOCK_TESTS = '''
import boto3
import pytest

from codestar_local import mock_codestar
from codestar_local.testing import current


def names(client):
    return sorted(c["ConnectionName"] for c in client.list_connections()["Connections"])


@pytest.mark.codestar_mock(account="123456789012", region="eu-west-1", auto_handshake=True)
def test_marker_options(codestar_mock):
    client = boto3.client("codestar-connections")
    arn = client.create_connection(ConnectionName="m", ProviderType="GitHub")["ConnectionArn"]
    assert arn.startswith("arn:aws:codestar-connections:eu-west-1:123456789012:connection/")
    assert client.get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"] == "AVAILABLE"
    assert current() is codestar_mock


@pytest.mark.parametrize("name", ["one", "two"])
def test_isolated(codestar_mock, name):
    client = boto3.client("codestar-connections")
    assert names(client) == []
    arn = client.create_connection(ConnectionName=name, ProviderType="GitHub")["ConnectionArn"]
    assert codestar_mock.handshake(arn)["ConnectionStatus"] == "AVAILABLE"


def test_no_mock_after_the_fixture():
    assert current() is None


@mock_codestar
class TestWithSetupMethod:
    def setup_method(self, method):
        self.client = boto3.client("codestar-connections")
        self.arn = self.client.create_connection(ConnectionName="setup", ProviderType="GitHub")["ConnectionArn"]

    def test_sees_setup_state(self):
        assert names(self.client) == ["setup"]
        self.client.delete_connection(ConnectionArn=self.arn)

    def test_again_fresh(self):
        assert names(self.client) == ["setup"]


@mock_codestar
def test_decorated_test_function():
    assert names(boto3.client("codeconnections")) == []
'''


@pytest.fixture
def clean_env(monkeypatch):
    for name in CLEAN_ENV:
        monkeypatch.delenv(name, raising=False)


def test_codestar_local_fixture(pytester, clean_env):
    pytester.makepyfile(test_user=SERVER_TESTS)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=6)


def test_codestar_mock_fixture_marker_and_class_decorator(pytester, clean_env):
    pytester.makepyfile(test_user=MOCK_TESTS)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=7)


def test_plugin_is_loaded_by_its_entry_point(pytester, clean_env):
    pytester.makepyfile(
        test_user="""
import boto3

def test_mock(codestar_mock):
    assert boto3.client("codestar-connections").list_connections()["Connections"] == []
"""
    )
    # A separate interpreter: nothing loads the plugin but the pytest11 entry point.
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--fixtures")
    result.stdout.fnmatch_lines(["*fixtures defined from codestar_local.testing.pytest_plugin*", "codestar_local_server*"])
