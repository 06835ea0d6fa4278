"""The AWS SDK for JavaScript v3 against the server.

The checks live in tests/js/*.mjs (each prints one JSON line {checks, data} and
exits 1 when a check failed); this file runs them with the endpoint and a fresh
account, then reads back with boto3 what the JS client did. Without node/npm the
tests are skipped, except under CI=true, where they fail.
"""

from __future__ import annotations

import time

import boto3
import botocore.config
import pytest
from botocore.exceptions import ClientError

from codestar_local import spec
from real_clients import find_node, run_js

@pytest.fixture(scope="session")
def node():
    return find_node()


def test_operations(node, server, service, account, make_client):
    data = run_js(node, server, "operations.mjs", account, service)
    # What the JS client left behind, read back through boto3.
    boto = make_client(service)
    conn = data["connection"]
    got = boto.get_connection(ConnectionArn=conn["arn"])["Connection"]
    assert got["ConnectionName"] == conn["name"]
    assert got["OwnerAccountId"] == account
    assert conn["arn"].startswith(f"arn:aws:{service}:us-east-1:{account}:connection/")
    assert boto.list_tags_for_resource(ResourceArn=conn["arn"])["Tags"] == conn["tags"]
    assert boto.get_host(HostArn=data["host"]["arn"])["Name"] == data["host"]["name"]
    for arn in data["deleted"]:
        with pytest.raises(ClientError) as e:
            boto.list_tags_for_resource(ResourceArn=arn)
        assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    target_name = spec.services()[service].target_name
    assert {t.split(".")[0] for t in data["targets"]} == {target_name}


def test_errors(node, server, service, account):
    run_js(node, server, "errors.mjs", account, service)


def test_pagination(node, server, service, account, make_client):
    data = run_js(node, server, "paginate.mjs", account, service)
    assert [len(p) for p in data["connectionPages"]] == [5, 5, 5, 5, 3]
    assert [len(p) for p in data["hostPages"]] == [5, 5, 5, 5, 3]
    # boto3 walks the same items with another page size (botocore has no paginator for these).
    boto = make_client(service)
    assert walk(boto.list_connections, "Connections", "ConnectionArn") == data["connections"]
    assert walk(boto.list_hosts, "Hosts", "HostArn") == data["hosts"]


def walk(call, key, field, size=7):
    seen, token = [], None
    while True:
        page = call(MaxResults=size, **({"NextToken": token} if token else {}))
        seen += [item[field] for item in page[key]]
        token = page.get("NextToken")
        if not token:
            return seen


def codestar_boto(server, account):
    """boto3 with the CodeStar model codestar-local ships (recent botocore has none)."""
    session = boto3.session.Session()
    session._session.get_component("data_loader").search_paths.append(str(spec.models_path()))
    return session.client(
        "codestar",
        endpoint_url=server.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=account,
        aws_secret_access_key="secret",
        config=botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


def test_codestar_js(node, server, account):
    data = run_js(node, server, "codestar.mjs", account, "codestar")
    assert data["operations"] == sorted(spec.services()["codestar"].operations)
    assert len(data["operations"]) == 18
    assert data["projectPages"] and [len(p) for p in data["projectPages"]] == [2, 2, 1]
    creator = f"arn:aws:iam::{account}:user/{account}"
    assert data["creator"] == creator
    # What the JS client left behind, read back through boto3.
    boto = codestar_boto(server, account)
    project = data["project"]
    got = boto.describe_project(id=project["id"])
    assert got["name"] == project["name"]
    assert got["arn"] == project["arn"] == f"arn:aws:codestar:us-east-1:{account}:project/{project['id']}"
    assert got["stackId"] == project["stackId"]
    assert got["clientRequestToken"] == project["clientRequestToken"]
    assert got["status"]["state"] == "CreateComplete"
    assert "description" not in got
    assert boto.list_tags_for_project(id=project["id"])["tags"] == data["tags"] == {"env": "test", "team": "sdk", "owner": "me"}
    members = boto.list_team_members(projectId=project["id"])["teamMembers"]
    assert members == data["teamMembers"]
    assert {m["userArn"]: m["projectRole"] for m in members} == {
        creator: "Owner",
        f"arn:aws:iam::{account}:user/alice-codestar-js": "Viewer",
    }
    assert boto.list_resources(projectId=project["id"])["resources"] == []
    profile = boto.describe_user_profile(userArn=data["profile"]["userArn"])
    assert {k: profile[k] for k in data["profile"]} == data["profile"]
    assert [u["userArn"] for u in boto.list_user_profiles()["userProfiles"]] == [data["profile"]["userArn"]]
    # The deleted projects are gone once their 0.5 s of DeleteInProgress is over.
    deadline = time.monotonic() + 10
    while True:
        listed = {p["projectId"] for p in boto.list_projects()["projects"]}
        if listed == set(data["projects"]) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert listed == set(data["projects"])
    for pid in data["deleted"]:
        with pytest.raises(ClientError) as e:
            boto.describe_project(id=pid)
        assert e.value.response["Error"]["Code"] == "ProjectNotFoundException"
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
