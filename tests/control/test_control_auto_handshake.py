"""`serve --auto-handshake SECONDS` end to end, and explicit statuses overriding it.

An explicit status set before the timer fires must cancel the timer. On a machine so
slow that the timer fired first, the explicit status still wins, so the assertions
hold either way.
"""

from __future__ import annotations

import time

import pytest
from control_http import Server, ctl

DELAY = 1.0
VPC_DELAY = 0.5
VPC = {"VpcId": "vpc-0123456789abcdef0", "SubnetIds": ["subnet-0123456789abcdef0"], "SecurityGroupIds": ["sg-0123456789abcdef0"]}


@pytest.fixture(scope="module")
def auto_server():
    s = Server(extra=("--auto-handshake", str(DELAY), "--vpc-init-seconds", str(VPC_DELAY)))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def instant_server():
    s = Server(extra=("--auto-handshake",))
    yield s
    s.stop()


def wait_for(read, want, seconds=15.0):
    deadline = time.monotonic() + seconds
    while True:
        value = read()
        if value == want or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def test_new_connection_becomes_available_by_itself(auto_server, account, service):
    client = auto_server.client(service, account=account)
    started = time.monotonic()
    arn = client.create_connection(ConnectionName="auto", ProviderType="GitHub")["ConnectionArn"]
    first = client.get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"]
    if time.monotonic() - started < DELAY:
        assert first == "PENDING"
    read = lambda: client.get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"]  # noqa: E731
    assert wait_for(read, "AVAILABLE") == "AVAILABLE"
    listed = client.list_connections()["Connections"]
    assert [c["ConnectionStatus"] for c in listed] == ["AVAILABLE"]


def test_new_host_becomes_available_by_itself(auto_server, account):
    client = auto_server.client("codeconnections", account=account)
    arn = client.create_host(Name="h", ProviderType="GitLabSelfManaged", ProviderEndpoint="https://gitlab.example.com")["HostArn"]
    assert wait_for(lambda: client.get_host(HostArn=arn)["Status"], "AVAILABLE") == "AVAILABLE"


def test_bare_flag_means_available_at_once(instant_server, account):
    client = instant_server.client("codestar-connections", account=account)
    arn = client.create_connection(ConnectionName="now", ProviderType="Bitbucket")["ConnectionArn"]
    assert client.get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"] == "AVAILABLE"


@pytest.mark.parametrize("status", ["PENDING", "ERROR"])
def test_explicit_connection_status_cancels_the_auto_handshake(auto_server, account, status):
    client = auto_server.client("codestar-connections", account=account)
    arn = client.create_connection(ConnectionName="held", ProviderType="GitHub")["ConnectionArn"]
    answer = ctl(auto_server, "connections/status", {"ConnectionArn": arn, "ConnectionStatus": status})
    assert answer.json["ConnectionStatus"] == status
    time.sleep(DELAY + 0.3)
    assert client.get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"] == status


def test_explicit_host_status_cancels_the_auto_setup(auto_server, account):
    client = auto_server.client("codestar-connections", account=account)
    arn = client.create_host(Name="held", ProviderType="GitHubEnterpriseServer", ProviderEndpoint="https://ghes.example.com")["HostArn"]
    ctl(auto_server, "hosts/status", {"HostArn": arn, "Status": "PENDING"})
    time.sleep(DELAY + 0.3)
    assert client.get_host(HostArn=arn)["Status"] == "PENDING"


def test_explicit_status_cancels_the_vpc_set_up(auto_server, account):
    client = auto_server.client("codestar-connections", account=account)
    arn = client.create_host(Name="vpc", ProviderType="GitHubEnterpriseServer", ProviderEndpoint="https://vpc.example.com",
                             VpcConfiguration=VPC)["HostArn"]
    answer = ctl(auto_server, "hosts/status", {"HostArn": arn, "Status": "VPC_CONFIG_FAILED_INITIALIZATION", "StatusMessage": "no ENI"})
    assert answer.json["Status"] == "VPC_CONFIG_FAILED_INITIALIZATION"
    time.sleep(VPC_DELAY + DELAY + 0.3)
    host = next(h for h in client.list_hosts()["Hosts"] if h["HostArn"] == arn)
    assert (host["Status"], host["StatusMessage"]) == ("VPC_CONFIG_FAILED_INITIALIZATION", "no ENI")


def test_handshake_before_the_timer_keeps_available(auto_server, account):
    client = auto_server.client("codestar-connections", account=account)
    arn = client.create_connection(ConnectionName="early", ProviderType="GitHub")["ConnectionArn"]
    assert ctl(auto_server, "connections/handshake", {"ConnectionArn": arn}).json["ConnectionStatus"] == "AVAILABLE"
    assert client.get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"] == "AVAILABLE"


def test_vpc_host_initialises_then_becomes_available(auto_server, account):
    """With a VPC the set-up waits for the VPC initialisation: VPC_CONFIG_INITIALIZING -> PENDING -> AVAILABLE."""
    client = auto_server.client("codeconnections", account=account)
    started = time.monotonic()
    arn = client.create_host(Name="vpc-auto", ProviderType="GitHubEnterpriseServer", ProviderEndpoint="https://vpc-auto.example.com",
                             VpcConfiguration=VPC)["HostArn"]
    seen = [client.get_host(HostArn=arn)["Status"]]
    if time.monotonic() - started < VPC_DELAY:
        assert seen[0] == "VPC_CONFIG_INITIALIZING"
    deadline = time.monotonic() + 15
    while seen[-1] != "AVAILABLE" and time.monotonic() < deadline:
        status = client.get_host(HostArn=arn)["Status"]
        if status != seen[-1]:
            seen.append(status)
        time.sleep(0.05)
    assert seen[-1] == "AVAILABLE"
    # Whatever the polling caught, the order is the lifecycle's.
    order = ["VPC_CONFIG_INITIALIZING", "PENDING", "AVAILABLE"]
    assert seen == [s for s in order if s in seen]
