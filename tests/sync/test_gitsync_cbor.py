"""Git sync from real Git through the codeconnections endpoint over Smithy RPC v2 CBOR."""

from __future__ import annotations

import cbor2
import pytest

from .gitwork import TEMPLATE, UNKNOWN_TYPE, Work, deployment, handshake, remote_url, repository_settled, settled
from .test_sync_cbor import cbor, cbor_models  # noqa: F401  (the CBOR client fixtures)

STACK_SYNC = "CFN_STACK_SYNC"


@pytest.fixture
def work(tmp_path):
    return Work(tmp_path / "work", tmp_path / "home").init()


def test_git_sync_cycle_over_cbor(cbor, server, work):  # noqa: F811
    conn = cbor.create_connection(ProviderType="GitHub", ConnectionName="cbor-git")["ConnectionArn"]
    handshake(server.endpoint_url, conn)
    link_id = cbor.create_repository_link(ConnectionArn=conn, OwnerId="octo", RepositoryName="cbor")["RepositoryLinkInfo"]["RepositoryLinkId"]
    cbor.create_sync_configuration(Branch="main", ConfigFile="cfn/deployment.yaml", RepositoryLinkId=link_id, ResourceName="cbor-web",
                                   RoleArn="arn:aws:iam::123456789012:role/r", SyncType=STACK_SYNC)
    url = remote_url(server.endpoint_url, link_id)
    work.write("cfn/deployment.yaml", deployment("cfn/template.yaml", Env="dev"))
    work.write("cfn/template.yaml", TEMPLATE)
    good = work.commit("good")
    work.push(url)
    status = settled(cbor, "cbor-web", good)
    assert status["LatestSync"]["Status"] == "SUCCEEDED"
    assert status["DesiredState"]["Sha"] == good
    # The answer really was CBOR.
    assert cbor2.loads(cbor.bodies[-1])["LatestSync"]["TargetRevision"]["Sha"] == good

    work.write("cfn/template.yaml", UNKNOWN_TYPE)
    bad = work.commit("bad")
    work.push(url)
    latest = settled(cbor, "cbor-web", bad)["LatestSync"]
    assert latest["Status"] == "FAILED" and "E3006" in latest["Events"][-1]["Event"]
    assert repository_settled(cbor, link_id, bad)["Status"] == "FAILED"
    [blocker] = cbor.get_sync_blocker_summary(ResourceName="cbor-web", SyncType=STACK_SYNC)["SyncBlockerSummary"]["LatestBlockers"]
    assert blocker["Status"] == "ACTIVE"
    cbor.update_sync_blocker(Id=blocker["Id"], SyncType=STACK_SYNC, ResourceName="cbor-web", ResolvedReason="fixed")

    work.write("cfn/template.yaml", TEMPLATE)
    fixed = work.commit("fixed")
    work.push(url)
    status = settled(cbor, "cbor-web", fixed)
    assert status["LatestSync"]["Status"] == "SUCCEEDED"
    assert status["LatestSuccessfulSync"]["TargetRevision"]["Sha"] == fixed
    assert status["LatestSync"]["InitialRevision"]["Sha"] == good  # the last successful sync
