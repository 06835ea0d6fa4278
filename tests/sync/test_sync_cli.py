"""Git sync through the AWS CLI and the `codestar-local sync` command, as a person would type them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AWS = os.path.join(os.path.dirname(sys.executable), "aws")
ROLE = "arn:aws:iam::123456789012:role/git-sync"


def aws_env(account: str) -> dict:
    return {
        **os.environ,
        "AWS_ACCESS_KEY_ID": account,
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_MAX_ATTEMPTS": "1",
        # No real configuration or credentials may leak in.
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


def aws(server, account, service, *args, ok=True):
    done = subprocess.run([AWS, service, *args, "--endpoint-url", server.endpoint_url, "--output", "json"],
                          env=aws_env(account), capture_output=True, text=True, timeout=120)
    if ok:
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else {}
    assert done.returncode != 0, done.stdout
    return done.stderr


def local(*args, ok=True):
    done = subprocess.run([sys.executable, "-m", "codestar_local.cli", "sync", *args],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    if ok:
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)
    assert done.returncode == 1, done.stdout
    return done.stderr


def test_aws_cli_flow(server, service, account):
    run = lambda *a, **kw: aws(server, account, service, *a, **kw)  # noqa: E731
    conn = run("create-connection", "--provider-type", "GitHub", "--connection-name", "cli")["ConnectionArn"]
    link = run("create-repository-link", "--connection-arn", conn, "--owner-id", "octo", "--repository-name", "infra",
               "--tags", "Key=team,Value=infra")["RepositoryLinkInfo"]
    link_id = link["RepositoryLinkId"]
    assert link["RepositoryLinkArn"] == f"arn:aws:{service}:us-east-1:{account}:repository-link/{link_id}"
    assert run("list-tags-for-resource", "--resource-arn", link["RepositoryLinkArn"])["Tags"] == [{"Key": "team", "Value": "infra"}]
    config = run("create-sync-configuration", "--branch", "main", "--config-file", "deploy/deployment.yaml",
                 "--repository-link-id", link_id, "--resource-name", "cli-stack", "--role-arn", ROLE,
                 "--sync-type", "CFN_STACK_SYNC", "--publish-deployment-status", "ENABLED")["SyncConfiguration"]
    assert config["OwnerId"] == "octo" and config["PublishDeploymentStatus"] == "ENABLED"
    assert run("list-repository-sync-definitions", "--repository-link-id", link_id, "--sync-type", "CFN_STACK_SYNC") == {
        "RepositorySyncDefinitions": [{"Branch": "main", "Directory": "deploy", "Parent": "cli-stack", "Target": "cli-stack"}]
    }

    # A failing commit, through the codestar-local command.
    sha = "f" * 40
    pushed = local("push", "--link", link_id, "--branch", "main", "--commit", sha, "--outcome", "FAILED",
                   "--reason", "Stack update failed", "--duration", "0", "--endpoint", server.endpoint_url)
    assert pushed["Resources"][0]["Status"] == "INITIATED"
    status = run("get-resource-sync-status", "--resource-name", "cli-stack", "--sync-type", "CFN_STACK_SYNC")
    assert status["LatestSync"]["Status"] == "FAILED"
    assert status["LatestSync"]["TargetRevision"]["Sha"] == sha
    assert status["LatestSync"]["StartedAt"]  # a timestamp the CLI could parse and print
    summary = run("get-sync-blocker-summary", "--resource-name", "cli-stack", "--sync-type", "CFN_STACK_SYNC")["SyncBlockerSummary"]
    [blocker] = summary["LatestBlockers"]
    assert blocker["Status"] == "ACTIVE" and blocker["Id"] == pushed["Resources"][0]["BlockerId"]
    resolved = run("update-sync-blocker", "--id", blocker["Id"], "--sync-type", "CFN_STACK_SYNC", "--resource-name", "cli-stack",
                   "--resolved-reason", "fixed")["SyncBlocker"]
    assert resolved["Status"] == "RESOLVED"

    local("push", "--link", link_id, "--branch", "main", "--duration", "0", "--endpoint", server.endpoint_url)
    repo = run("get-repository-sync-status", "--branch", "main", "--repository-link-id", link_id, "--sync-type", "CFN_STACK_SYNC")
    assert repo["LatestSync"]["Status"] == "SUCCEEDED"

    err = run("update-sync-blocker", "--id", str(uuid.uuid4()), "--sync-type", "CFN_STACK_SYNC", "--resource-name", "cli-stack",
              "--resolved-reason", "x", ok=False)
    assert "SyncBlockerDoesNotExistException" in err
    err = run("delete-repository-link", "--repository-link-id", link_id, ok=False)
    assert "SyncConfigurationStillExistsException" in err
    run("delete-sync-configuration", "--sync-type", "CFN_STACK_SYNC", "--resource-name", "cli-stack")
    run("delete-repository-link", "--repository-link-id", link_id)
    assert run("list-repository-links") == {"RepositoryLinks": []}
    err = run("get-repository-link", "--repository-link-id", link_id, ok=False)
    assert "ResourceNotFoundException" in err


def test_sync_blocker_command(server, account, make_client):
    client = make_client("codeconnections")
    conn = client.create_connection(ProviderType="GitHub", ConnectionName="c")["ConnectionArn"]
    link_id = client.create_repository_link(ConnectionArn=conn, OwnerId="o", RepositoryName="r")["RepositoryLinkInfo"]["RepositoryLinkId"]
    client.create_sync_configuration(Branch="main", ConfigFile="d.yaml", RepositoryLinkId=link_id, ResourceName="held",
                                     RoleArn=ROLE, SyncType="CFN_STACK_SYNC")
    out = local("blocker", "--resource", "held", "--reason", "maintenance window", "--account", account, "--endpoint", server.endpoint_url)
    assert out["SyncBlocker"]["Status"] == "ACTIVE" and out["SyncBlocker"]["CreatedReason"] == "maintenance window"
    pushed = local("push", "--link", link_id, "--branch", "main", "--endpoint", server.endpoint_url)
    assert pushed["Resources"] == [{"ResourceName": "held", "Status": "BLOCKED", "BlockerId": out["SyncBlocker"]["Id"]}]
    # Errors: a message on stderr and exit status 1.
    assert "NotFound" in local("push", "--link", str(uuid.uuid4()), "--branch", "main", "--endpoint", server.endpoint_url, ok=False)
    assert "NotFound" in local("blocker", "--resource", "nothing", "--account", account, "--endpoint", server.endpoint_url, ok=False)
    assert "cannot reach" in local("push", "--link", link_id, "--branch", "main", "--endpoint", "http://127.0.0.1:9", ok=False)
