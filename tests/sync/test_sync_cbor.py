"""Git sync over Smithy RPC v2 CBOR (codeconnections), with boto3 forced onto CBOR by a model copy."""

from __future__ import annotations

import datetime
import json

import boto3
import botocore.config
import botocore.session
import cbor2
import pytest
from botocore.exceptions import ClientError

from codestar_local import spec

STACK_SYNC = "CFN_STACK_SYNC"


@pytest.fixture(scope="module")
def cbor_models(tmp_path_factory):
    model = spec.load_model("codeconnections")
    model["metadata"]["protocols"] = ["smithy-rpc-v2-cbor"]
    model["metadata"]["protocol"] = "smithy-rpc-v2-cbor"
    root = tmp_path_factory.mktemp("sync-cbor")
    folder = root / "codeconnections" / model["metadata"]["apiVersion"]
    folder.mkdir(parents=True)
    (folder / "service-2.json").write_text(json.dumps(model))
    return str(root)


@pytest.fixture
def cbor(server, account, cbor_models):
    session = botocore.session.Session()
    session.get_component("data_loader").search_paths.insert(0, cbor_models)
    client = boto3.Session(botocore_session=session).client(
        "codeconnections", endpoint_url=server.endpoint_url, region_name="us-east-1", aws_access_key_id=account,
        aws_secret_access_key="secret", config=botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"}),
    )
    assert client.meta.service_model.resolved_protocol == "smithy-rpc-v2-cbor"
    client.bodies = []
    client.meta.events.register("after-call", lambda http_response, **_: client.bodies.append(http_response.content))
    return client


def error_of(fn, **params):
    with pytest.raises(ClientError) as e:
        fn(**params)
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_sync_cycle_over_cbor(cbor, control):
    conn = cbor.create_connection(ProviderType="GitLab", ConnectionName="cbor")["ConnectionArn"]
    link = cbor.create_repository_link(ConnectionArn=conn, OwnerId="grp", RepositoryName="stacks")["RepositoryLinkInfo"]
    link_id = link["RepositoryLinkId"]
    assert error_of(cbor.create_repository_link, ConnectionArn=conn, OwnerId="grp", RepositoryName="stacks") == ("ResourceAlreadyExistsException", 409)
    cbor.create_sync_configuration(Branch="main", ConfigFile="cfn/deployment.yaml", RepositoryLinkId=link_id, ResourceName="cbor-stack",
                                   RoleArn="arn:aws:iam::123456789012:role/r", SyncType=STACK_SYNC, PullRequestComment="ENABLED")
    assert cbor.get_sync_configuration(SyncType=STACK_SYNC, ResourceName="cbor-stack")["SyncConfiguration"]["PullRequestComment"] == "ENABLED"

    control.push(link_id, Outcome="FAILED", DurationSeconds=0)
    status = cbor.get_resource_sync_status(ResourceName="cbor-stack", SyncType=STACK_SYNC)
    latest = status["LatestSync"]
    assert latest["Status"] == "FAILED"
    assert isinstance(latest["StartedAt"], datetime.datetime)
    assert all(isinstance(e["Time"], datetime.datetime) for e in latest["Events"])
    # On the wire the timestamps are CBOR tag 1 (cbor2 turns them into datetimes).
    raw = cbor2.loads(cbor.bodies[-1])
    assert isinstance(raw["LatestSync"]["StartedAt"], datetime.datetime)
    assert isinstance(raw["LatestSync"]["Events"][0]["Time"], datetime.datetime)

    repo = cbor.get_repository_sync_status(Branch="main", RepositoryLinkId=link_id, SyncType=STACK_SYNC)["LatestSync"]
    assert repo["Status"] == "FAILED" and isinstance(repo["Events"][-1]["Time"], datetime.datetime)
    [blocker] = cbor.get_sync_blocker_summary(ResourceName="cbor-stack", SyncType=STACK_SYNC)["SyncBlockerSummary"]["LatestBlockers"]
    assert isinstance(blocker["CreatedAt"], datetime.datetime)
    assert error_of(cbor.update_sync_blocker, Id="nope", SyncType=STACK_SYNC, ResourceName="cbor-stack", ResolvedReason="x") == (
        "SyncBlockerDoesNotExistException", 404)
    out = cbor.update_sync_blocker(Id=blocker["Id"], SyncType=STACK_SYNC, ResourceName="cbor-stack", ResolvedReason="fixed")
    assert isinstance(out["SyncBlocker"]["ResolvedAt"], datetime.datetime)
    assert error_of(cbor.delete_repository_link, RepositoryLinkId=link_id) == ("SyncConfigurationStillExistsException", 409)
    assert cbor.list_repository_sync_definitions(RepositoryLinkId=link_id, SyncType=STACK_SYNC)["RepositorySyncDefinitions"] == [
        {"Branch": "main", "Directory": "cfn", "Parent": "cbor-stack", "Target": "cbor-stack"}
    ]
