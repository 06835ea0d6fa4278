"""aiobotocore clients against a real `codestar-local serve`, over HTTP: all three services, JSON and CBOR."""

from __future__ import annotations

import botocore.exceptions
import pytest
from aio_lib import Served, account, client, run, use_shipped_models


@pytest.fixture(scope="module")
def server():
    use_shipped_models()
    s = Served()
    yield s
    s.stop()


@pytest.mark.parametrize(
    "service, protocol", [("codestar-connections", "json"), ("codeconnections", "json"), ("codeconnections", "smithy-rpc-v2-cbor")]
)
def test_connections_hosts_and_tags(server, service, protocol):
    key = account()

    async def flow():
        async with client(service, server.endpoint_url, key, cbor=protocol != "json") as c:
            model = c.meta.service_model
            assert getattr(model, "resolved_protocol", model.protocol) == protocol
            host = await c.create_host(Name="ghes", ProviderType="GitHubEnterpriseServer", ProviderEndpoint="https://ghe.example.com")
            assert host["HostArn"].startswith(f"arn:aws:{service}:us-east-1:{key}:host/ghes-")
            made = await c.create_connection(ConnectionName="aio", HostArn=host["HostArn"], Tags=[{"Key": "env", "Value": "test"}])
            arn = made["ConnectionArn"]
            assert arn.startswith(f"arn:aws:{service}:us-east-1:{key}:connection/")
            got = (await c.get_connection(ConnectionArn=arn))["Connection"]
            assert got["ConnectionStatus"] == "PENDING" and got["HostArn"] == host["HostArn"]
            assert got["ProviderType"] == "GitHubEnterpriseServer"
            await c.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "aio"}])
            tags = (await c.list_tags_for_resource(ResourceArn=arn))["Tags"]
            assert sorted((t["Key"], t["Value"]) for t in tags) == [("env", "test"), ("team", "aio")]
            await c.untag_resource(ResourceArn=arn, TagKeys=["env"])
            assert (await c.list_tags_for_resource(ResourceArn=arn))["Tags"] == [{"Key": "team", "Value": "aio"}]
            listed = await c.list_connections()
            assert [x["ConnectionArn"] for x in listed["Connections"]] == [arn]
            hosts = await c.list_hosts()
            assert [h["HostArn"] for h in hosts["Hosts"]] == [host["HostArn"]]
            await c.delete_connection(ConnectionArn=arn)
            with pytest.raises(c.exceptions.ResourceNotFoundException) as e:
                await c.get_connection(ConnectionArn=arn)
            # The status each model gives: codeconnections' ResourceNotFoundException says 404.
            status = 404 if service == "codeconnections" else 400
            assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
            await c.delete_host(HostArn=host["HostArn"])

    run(flow())


@pytest.mark.parametrize("service", ["codestar-connections", "codeconnections"])
def test_errors_are_modelled_exceptions(server, service):
    key = account()

    async def flow():
        async with client(service, server.endpoint_url, key) as c:
            with pytest.raises(c.exceptions.ResourceNotFoundException) as e:
                await c.get_host(HostArn=f"arn:aws:{service}:us-east-1:{key}:host/nope-12345678")
            assert e.value.response["Error"]["Message"]
        # With botocore's own checks off, the server's validation answers.
        async with client(service, server.endpoint_url, key, validate=False) as c:
            with pytest.raises(botocore.exceptions.ClientError) as e:
                await c.create_connection(ConnectionName="x" * 33, ProviderType="NotAProvider")
            err = e.value.response["Error"]
            assert err["Code"] == "ValidationException"
            assert "connectionName" in err["Message"] and "providerType" in err["Message"]
            assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    run(flow())


def test_list_pagination(server):
    key = account()

    async def flow():
        async with client("codestar-connections", server.endpoint_url, key) as c:
            made = [(await c.create_connection(ConnectionName=f"p{i}", ProviderType="Bitbucket"))["ConnectionArn"] for i in range(5)]
            seen, token = [], None
            while True:
                page = await c.list_connections(MaxResults=2, **({"NextToken": token} if token else {}))
                assert len(page["Connections"]) <= 2
                seen += [x["ConnectionArn"] for x in page["Connections"]]
                token = page.get("NextToken")
                if not token:
                    break
            assert sorted(seen) == sorted(made)

    run(flow())


def test_codestar_projects(server):
    key = account()

    async def flow():
        async with client("codestar", server.endpoint_url, key) as c:
            made = await c.create_project(name="Aio", id="aio-1", tags={"env": "test"})
            assert made["arn"] == f"arn:aws:codestar:us-east-1:{key}:project/aio-1"
            desc = await c.describe_project(id="aio-1")
            assert desc["name"] == "Aio" and desc["createdTimeStamp"].tzinfo is not None
            user = f"arn:aws:iam::{key}:user/dev"
            await c.associate_team_member(projectId="aio-1", userArn=user, projectRole="Contributor")
            members = (await c.list_team_members(projectId="aio-1"))["teamMembers"]
            assert {m["userArn"]: m["projectRole"] for m in members}[user] == "Contributor"
            assert (await c.list_tags_for_project(id="aio-1"))["tags"] == {"env": "test"}
            # codestar's model has paginators: aiobotocore's async paginator walks them.
            pages = [p async for p in c.get_paginator("list_projects").paginate()]
            assert [p["projectId"] for page in pages for p in page["projects"]] == ["aio-1"]
            await c.delete_project(id="aio-1")
            with pytest.raises(c.exceptions.ProjectNotFoundException):
                await c.describe_project(id="aio-1")

    run(flow())
