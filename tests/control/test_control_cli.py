"""The operator subcommands of `codestar-local` against a running server."""

from __future__ import annotations

import json
import subprocess
import sys

from control_http import free_port


def cli(server, *args, endpoint=True):
    extra = ("--endpoint", server.endpoint_url) if endpoint else ()
    return subprocess.run([sys.executable, "-m", "codestar_local.cli", *args, *extra], capture_output=True, text=True, timeout=120)


def test_connection_handshake_and_status(server, account):
    client = server.client("codestar-connections", account=account)
    arn = client.create_connection(ConnectionName="cli", ProviderType="GitHub")["ConnectionArn"]
    done = cli(server, "connection", "handshake", arn, "--installation", "octo-org (42)")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == client.get_connection(ConnectionArn=arn)["Connection"]
    assert client.get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"] == "AVAILABLE"
    errored = cli(server, "connection", "status", arn, "ERROR")
    assert errored.returncode == 0, errored.stderr
    assert json.loads(errored.stdout)["ConnectionStatus"] == "ERROR"
    assert client.get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"] == "ERROR"


def test_host_setup_and_status(server, account):
    client = server.client("codeconnections", account=account)
    arn = client.create_host(Name="cli", ProviderType="GitLabSelfManaged", ProviderEndpoint="https://cli.example.com")["HostArn"]
    done = cli(server, "host", "setup", arn)
    assert done.returncode == 0, done.stderr
    assert client.get_host(HostArn=arn)["Status"] == "AVAILABLE"
    failed = cli(server, "host", "status", arn, "VPC_CONFIG_FAILED_INITIALIZATION", "--message", "no subnet")
    assert failed.returncode == 0, failed.stderr
    listed = next(h for h in client.list_hosts()["Hosts"] if h["HostArn"] == arn)
    assert (listed["Status"], listed["StatusMessage"]) == ("VPC_CONFIG_FAILED_INITIALIZATION", "no subnet")


def test_reset_one_account(server, account):
    client = server.client("codestar-connections", account=account)
    client.create_connection(ConnectionName="gone", ProviderType="GitHub")
    done = cli(server, "reset", "--account", account)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"reset": True, "AccountId": account}
    assert client.list_connections()["Connections"] == []


def test_requests(server, account):
    server.client("codestar-connections", account=account).list_hosts()
    done = cli(server, "requests", "--limit", "5")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["requests"]
    assert 1 <= len(rows) <= 5
    assert {"time", "service", "operation", "account", "status", "latency_ms"} <= set(rows[0])


def test_errors_exit_1_with_the_server_message(server, account):
    arn = f"arn:aws:codestar-connections:us-east-1:{account}:connection/none"
    missing = cli(server, "connection", "handshake", arn)
    assert missing.returncode == 1
    assert missing.stdout == ""
    assert f"ResourceNotFound: Connection {arn} does not exist" in missing.stderr
    bad = cli(server, "reset", "--account", "12")
    assert bad.returncode == 1
    assert "AccountId must be 12 digits" in bad.stderr


def test_bad_status_is_refused_by_the_parser(server):
    refused = cli(server, "connection", "status", "arn:x", "READY")
    assert refused.returncode == 2
    assert "invalid choice" in refused.stderr


def test_unreachable_server(server):
    down = subprocess.run(
        [sys.executable, "-m", "codestar_local.cli", "host", "setup", "arn:x", "--endpoint", f"http://127.0.0.1:{free_port()}"],
        capture_output=True, text=True, timeout=120,
    )
    assert down.returncode == 1
    assert "cannot reach" in down.stderr
    assert "Traceback" not in down.stderr
