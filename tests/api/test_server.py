"""The server as a process: health, restarts, signals, several workers, transactional rules under concurrency."""

from __future__ import annotations

import concurrent.futures
import json
import os
import signal
import subprocess
import sys
import urllib.request

import botocore.exceptions
import pytest

from servers import Server, free_port
from pg import fresh_database


def health(url):
    with urllib.request.urlopen(url + "/_codestar-local/health", timeout=5) as r:
        return r.status, json.loads(r.read())


def test_health_lists_services_and_version(server):
    status, body = health(server.endpoint_url)
    assert status == 200
    assert body["status"] == "ok"
    assert body["services"] == ["codeconnections", "codestar", "codestar-connections"]
    from codestar_local import __version__

    assert body["version"] == __version__


def test_state_survives_restart(tmp_path):
    state = str(tmp_path / "state.db")
    first = Server(state=state)
    try:
        c = first.client("codeconnections", account="111122223333")
        arn = c.create_connection(ProviderType="Bitbucket", ConnectionName="kept", Tags=[{"Key": "k", "Value": "v"}])[
            "ConnectionArn"
        ]
        host = c.create_host(Name="ghes", ProviderType="GitHubEnterpriseServer", ProviderEndpoint="https://ghes.example")[
            "HostArn"
        ]
    finally:
        first.stop()
    assert first.proc.returncode == 0  # SIGTERM is a clean shutdown
    second = Server(state=state)
    try:
        c = second.client("codeconnections", account="111122223333")
        conn = c.get_connection(ConnectionArn=arn)["Connection"]
        assert conn["ConnectionName"] == "kept" and conn["ProviderType"] == "Bitbucket"
        assert c.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "k", "Value": "v"}]
        assert c.get_host(HostArn=host)["Name"] == "ghes"
        # A new connection after the restart gets a new ARN and the old one stays.
        arn2 = c.create_connection(ProviderType="GitHub", ConnectionName="new")["ConnectionArn"]
        assert arn2 != arn
        assert {x["ConnectionArn"] for x in c.list_connections()["Connections"]} == {arn, arn2}
    finally:
        second.stop()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signals_shut_down_cleanly(tmp_path, sig):
    s = Server(state=str(tmp_path / "s.db"))
    s.proc.send_signal(sig)
    s.proc.wait(15)
    out = s.proc.stdout.read().decode()
    assert s.proc.returncode == 0, out
    assert "Traceback" not in out


def test_serve_prints_state_path(tmp_path):
    port = free_port()
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "HOME": str(tmp_path)}
    env.pop("CODESTAR_LOCAL_STATE", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "codestar_local.cli", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        line = proc.stdout.readline().decode()
        assert f"http://127.0.0.1:{port}" in line
        expected = os.path.join(str(tmp_path / "data"), "codestar-local", "state.db")
        assert expected in line
    finally:
        proc.terminate()
        proc.wait(15)
    assert os.path.exists(expected)


def test_memory_state_refuses_several_workers():
    result = subprocess.run(
        [sys.executable, "-m", "codestar_local.cli", "serve", "--state", "memory", "--workers", "2", "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "memory" in result.stderr


def test_postgres_state_survives_restart(account):
    with fresh_database() as url:
        first = Server(state=url)
        try:
            c = first.client("codestar-connections", account=account)
            arn = c.create_connection(ProviderType="GitLab", ConnectionName="pg")["ConnectionArn"]
            status, body = health(first.endpoint_url)
            assert body["state"].startswith("postgresql://")
        finally:
            first.stop()
        second = Server(state=url)
        try:
            c = second.client("codeconnections", account=account)
            assert c.get_connection(ConnectionArn=arn)["Connection"]["ConnectionName"] == "pg"
        finally:
            second.stop()


def test_workers_share_state_and_enforce_quota(workers, account):
    """260 concurrent creates in one account over 2 processes: exactly 250 succeed (the quota holds)."""
    c = workers.client("codestar-connections", account=account)

    def create(i):
        try:
            c.create_connection(ProviderType="GitHub", ConnectionName=f"c{i}")
            return "ok"
        except botocore.exceptions.ClientError as e:
            return e.response["Error"]["Code"]

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(create, range(260)))
    assert outcomes.count("ok") == 250
    assert outcomes.count("LimitExceededException") == 10
    seen = []
    kwargs = {}
    while True:
        page = c.list_connections(MaxResults=100, **kwargs)
        seen += [x["ConnectionArn"] for x in page["Connections"]]
        if "NextToken" not in page:
            break
        kwargs = {"NextToken": page["NextToken"]}
    assert len(seen) == len(set(seen)) == 250


def test_no_connection_left_on_a_deleted_host(workers, account):
    """Creating connections on a host while deleting it: never a connection pointing at a deleted host."""
    c = workers.client("codestar-connections", account=account)
    for round_ in range(5):
        host = c.create_host(Name=f"h{round_}", ProviderType="GitLabSelfManaged", ProviderEndpoint=f"https://gl{round_}.example")[
            "HostArn"
        ]

        def create(i):
            try:
                return c.create_connection(HostArn=host, ConnectionName=f"c{i}")["ConnectionArn"]
            except botocore.exceptions.ClientError as e:
                assert e.response["Error"]["Code"] == "ResourceUnavailableException"
                return None

        def delete(_):
            try:
                c.delete_host(HostArn=host)
                return True
            except botocore.exceptions.ClientError as e:
                assert e.response["Error"]["Code"] in ("ResourceUnavailableException", "ResourceNotFoundException")
                return False

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(create, i) for i in range(6)] + [pool.submit(delete, 0)]
            results = [f.result() for f in futures]
        deleted = results[-1]
        made = [a for a in results[:-1] if a]
        on_host = c.list_connections(HostArnFilter=host)["Connections"]
        if deleted:
            assert on_host == []
            assert made == []  # a successful delete means no connection was ever made on it
            with pytest.raises(botocore.exceptions.ClientError) as e:
                c.get_host(HostArn=host)
            assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
        else:
            assert {x["ConnectionArn"] for x in on_host} == set(made)
            assert made
        for arn in made:
            c.delete_connection(ConnectionArn=arn)
        if not deleted:
            c.delete_host(HostArn=host)
