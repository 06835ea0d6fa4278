"""Fixtures for the Git sync tests: a repository set-up through the API and the sync control API."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from codestar_local import spec
from codestar_local.errors import FRAMEWORK

ROLE = "arn:aws:iam::123456789012:role/git-sync"
STACK_SYNC = "CFN_STACK_SYNC"


class Control:
    """The JSON control API under /_codestar-local/sync/."""

    def __init__(self, endpoint_url: str):
        self.endpoint_url = endpoint_url

    def post(self, path: str, body) -> tuple[int, dict]:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.endpoint_url}/_codestar-local/sync/{path}", data=data, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def push(self, link_id: str, branch: str = "main", **extra) -> dict:
        status, out = self.post("push", {"RepositoryLinkId": link_id, "Branch": branch, **extra})
        assert status == 200, out
        return out

    def blocker(self, **body) -> dict:
        status, out = self.post("blockers", body)
        assert status == 200, out
        return out


class Git:
    """Connections, repository links and sync configurations of one test account."""

    def __init__(self, client, service: str, account: str):
        self.client, self.service, self.account = client, service, account

    def connection(self, provider="GitHub", name="git-sync") -> str:
        return self.client.create_connection(ProviderType=provider, ConnectionName=name)["ConnectionArn"]

    def link(self, connection=None, owner="octo", repo="infra", **kw) -> dict:
        connection = connection or self.connection()
        return self.client.create_repository_link(ConnectionArn=connection, OwnerId=owner, RepositoryName=repo, **kw)["RepositoryLinkInfo"]

    def config(self, link_id: str, resource: str, branch="main", config_file="deploy/deployment.yaml", **kw) -> dict:
        return self.client.create_sync_configuration(
            Branch=branch, ConfigFile=config_file, RepositoryLinkId=link_id, ResourceName=resource,
            RoleArn=ROLE, SyncType=STACK_SYNC, **kw,
        )["SyncConfiguration"]

    def resource_status(self, resource: str) -> dict:
        out = self.client.get_resource_sync_status(ResourceName=resource, SyncType=STACK_SYNC)
        out.pop("ResponseMetadata")
        return out

    def repository_status(self, link_id: str, branch="main") -> dict:
        return self.client.get_repository_sync_status(Branch=branch, RepositoryLinkId=link_id, SyncType=STACK_SYNC)["LatestSync"]

    def blockers(self, resource: str) -> list:
        return self.client.get_sync_blocker_summary(ResourceName=resource, SyncType=STACK_SYNC)["SyncBlockerSummary"]["LatestBlockers"]


def expect_error(service: str, code: str, fn, **params) -> dict:
    """Call fn, expect the AWS error `code` with the HTTP status the model declares; return the error dict."""
    with pytest.raises(ClientError) as e:
        fn(**params)
    response = e.value.response
    assert response["Error"]["Code"] == code, response
    # Only errors the model lists for the operation (or framework errors) may be raised.
    svc = spec.services()[service]
    op = next((o for o in svc.operations.values() if o.method_name == getattr(fn, "__name__", "")), None)
    if op is not None:
        assert code in op.errors or code in FRAMEWORK, f"{op.name} does not model {code}"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == spec.services()[service].status_for(code)
    assert response["Error"]["Message"]
    return response["Error"]


@pytest.fixture
def control(server) -> Control:
    return Control(server.endpoint_url)


@pytest.fixture
def git(client, service, account) -> Git:
    return Git(client, service, account)


@pytest.fixture
def expect(service):
    """expect(code, fn, **params): the call fails with `code` and its modelled status."""
    return lambda code, fn, **params: expect_error(service, code, fn, **params)
