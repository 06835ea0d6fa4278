"""mock_codestar answering aiobotocore clients in process, as it answers boto3's."""

from __future__ import annotations

import asyncio

import pytest
from aio_lib import account, client, run

from codestar_local import mock_codestar

# Nothing listens here: an answer can only come from the mock.
NOWHERE = "http://127.0.0.1:9"


def test_all_three_services_in_process():
    async def flow():
        with mock_codestar() as mock:
            key = account()
            for service in ("codestar-connections", "codeconnections"):
                async with client(service, NOWHERE, key) as c:
                    arn = (await c.create_connection(ConnectionName="m", ProviderType="GitLab"))["ConnectionArn"]
                    assert arn.startswith(f"arn:aws:{service}:us-east-1:{key}:connection/")
                    mock.handshake(arn)
                    got = (await c.get_connection(ConnectionArn=arn))["Connection"]
                    assert got["ConnectionStatus"] == "AVAILABLE"
                    with pytest.raises(c.exceptions.ResourceNotFoundException):
                        await c.get_connection(ConnectionArn=arn[:-4] + "0000")
            # codestar: the mock makes the shipped model known to sessions made inside it.
            async with client("codestar", NOWHERE, key) as c:
                await c.create_project(name="M", id="m-1")
                assert [p["projectId"] for p in (await c.list_projects())["projects"]] == ["m-1"]
                with pytest.raises(c.exceptions.ProjectNotFoundException):
                    await c.describe_project(id="m-2")

    run(flow())


def test_without_a_mock_the_request_goes_out():
    async def flow():
        async with client("codestar-connections", NOWHERE, account()) as c:
            with pytest.raises(Exception) as e:
                await c.list_connections()
            assert "Could not connect" in str(e.value) or "Connect" in type(e.value).__name__

    run(flow())


def test_decorated_coroutine_function():
    @mock_codestar(account="123456789012")
    async def body():
        async with client("codeconnections", None, "not-an-account-id") as c:
            arn = (await c.create_host(Name="h", ProviderType="GitLabSelfManaged", ProviderEndpoint="https://gl.example.com"))["HostArn"]
            # A key id that is not 12 digits becomes the mock's account.
            assert arn.startswith("arn:aws:codeconnections:us-east-1:123456789012:host/h-")
            return [h["HostArn"] for h in (await c.list_hosts())["Hosts"]]

    assert len(run(body())) == 1
    assert len(run(body())) == 1  # each call gets a fresh mock


def test_concurrent_tasks_each_see_their_own_mock():
    async def task(name: str, started: asyncio.Event, other: asyncio.Event):
        with mock_codestar():
            async with client("codestar-connections", None, "000000000000") as c:
                await c.create_connection(ConnectionName=name, ProviderType="GitHub")
                started.set()
                await other.wait()  # both mocks are active now
                return [x["ConnectionName"] for x in (await c.list_connections())["Connections"]]

    async def both():
        a, b = asyncio.Event(), asyncio.Event()
        return await asyncio.gather(task("a", a, b), task("b", b, a))

    assert run(both()) == [["a"], ["b"]]


def test_plugin_fixture_serves_aiobotocore(codestar_mock):
    async def flow():
        async with client("codestar-connections", NOWHERE, codestar_mock.account) as c:
            arn = (await c.create_connection(ConnectionName="f", ProviderType="Bitbucket"))["ConnectionArn"]
        codestar_mock.handshake(arn)  # the operator action reaches the same state
        async with client("codestar-connections", NOWHERE, codestar_mock.account) as c:
            return arn, (await c.get_connection(ConnectionArn=arn))["Connection"]["ConnectionStatus"]

    arn, status = run(flow())
    assert arn.startswith(f"arn:aws:codestar-connections:us-east-1:{codestar_mock.account}:connection/")
    assert status == "AVAILABLE"


def test_cbor_in_process():
    async def flow():
        with mock_codestar() as mock:
            async with client("codeconnections", NOWHERE, account(), cbor=True) as c:
                assert c.meta.service_model.resolved_protocol == "smithy-rpc-v2-cbor"
                arn = (await c.create_connection(ConnectionName="cbor", ProviderType="GitHub"))["ConnectionArn"]
                assert (await c.get_connection(ConnectionArn=arn))["Connection"]["ConnectionName"] == "cbor"
                with pytest.raises(c.exceptions.ResourceNotFoundException):
                    await c.delete_connection(ConnectionArn=arn[:-4] + "0000")
            assert [r[1:3] for r in mock.app.recent] == [("codeconnections", op) for op in ("CreateConnection", "GetConnection", "DeleteConnection")]

    run(flow())
