"""The AWS CLI v1 (awscli in the venv) against the server: `aws codestar-connections` and `aws codeconnections`."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

AWS = os.path.join(os.path.dirname(sys.executable), "aws")


@pytest.fixture(scope="module", autouse=True)
def cli_config(tmp_path_factory):
    """A CLI config that does not fetch URL-looking parameters (CLI v1 would GET https://... values)."""
    path = tmp_path_factory.mktemp("aws") / "config"
    path.write_text("[default]\ncli_follow_urlparam = false\n")
    CONFIG["path"] = str(path)


CONFIG = {"path": os.devnull}


def aws(server, account, service, *args, region="us-east-1"):
    """Run one CLI command; (exit code, parsed JSON output or None, stderr)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID=account,
        AWS_SECRET_ACCESS_KEY="secret",
        AWS_DEFAULT_REGION=region,
        # Keep the user's own configuration and credentials out of the test.
        AWS_CONFIG_FILE=CONFIG["path"],
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_PAGER="",
    )
    cmd = [AWS, service, *args, "--endpoint-url", server.endpoint_url, "--output", "json"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    out = json.loads(done.stdout) if done.stdout.strip() else None
    return done.returncode, out, done.stderr


def ok(result):
    rc, out, err = result
    assert rc == 0, err
    return out


def test_the_cli_is_installed():
    assert os.access(AWS, os.X_OK)


def test_connections(server, service, account, make_client):
    made = ok(aws(server, account, service, "create-connection", "--provider-type", "GitHub", "--connection-name", "cli",
                  "--tags", "Key=env,Value=test", "Key=team,Value=cli"))
    arn = made["ConnectionArn"]
    assert arn.startswith(f"arn:aws:{service}:us-east-1:{account}:connection/")
    assert made["Tags"] == [{"Key": "env", "Value": "test"}, {"Key": "team", "Value": "cli"}]

    expected = {"ConnectionName": "cli", "ConnectionArn": arn, "ProviderType": "GitHub", "OwnerAccountId": account, "ConnectionStatus": "PENDING"}
    assert ok(aws(server, account, service, "get-connection", "--connection-arn", arn)) == {"Connection": expected}

    # A second one, made with boto3: the CLI pages with --max-results.
    second = make_client(service).create_connection(ProviderType="Bitbucket", ConnectionName="boto3")["ConnectionArn"]
    page = ok(aws(server, account, service, "list-connections", "--max-results", "1"))
    assert page["Connections"] == [expected] and page["NextToken"]
    rest = ok(aws(server, account, service, "list-connections", "--max-results", "1", "--next-token", page["NextToken"]))
    assert [c["ConnectionArn"] for c in rest["Connections"]] == [second] and "NextToken" not in rest

    assert ok(aws(server, account, service, "delete-connection", "--connection-arn", arn)) is None
    rc, out, err = aws(server, account, service, "get-connection", "--connection-arn", arn)
    assert rc == 255 and out is None
    assert "An error occurred (ResourceNotFoundException) when calling the GetConnection operation: " in err


def test_hosts_and_tags(server, service, account):
    made = ok(aws(server, account, service, "create-host", "--name", "cli-host", "--provider-type", "GitHubEnterpriseServer",
                  "--provider-endpoint", "https://ghes.example.com"))
    host = made["HostArn"]
    assert host.startswith(f"arn:aws:{service}:us-east-1:{account}:host/cli-host-")
    listed = ok(aws(server, account, service, "list-hosts"))
    assert listed == {"Hosts": [{"Name": "cli-host", "HostArn": host, "ProviderType": "GitHubEnterpriseServer",
                                 "ProviderEndpoint": "https://ghes.example.com", "Status": "PENDING"}]}

    assert ok(aws(server, account, service, "tag-resource", "--resource-arn", host, "--tags", "Key=a,Value=1", "Key=b,Value=2")) is None
    assert ok(aws(server, account, service, "untag-resource", "--resource-arn", host, "--tag-keys", "a")) is None
    assert ok(aws(server, account, service, "list-tags-for-resource", "--resource-arn", host)) == {"Tags": [{"Key": "b", "Value": "2"}]}

    # A connection on the host takes the host's provider type.
    conn = ok(aws(server, account, service, "create-connection", "--connection-name", "on-host", "--host-arn", host))["ConnectionArn"]
    rc, _, err = aws(server, account, service, "delete-host", "--host-arn", host)
    assert rc == 255 and "An error occurred (ResourceUnavailableException) when calling the DeleteHost operation: " in err
    assert ok(aws(server, account, service, "delete-connection", "--connection-arn", conn)) is None
    assert ok(aws(server, account, service, "delete-host", "--host-arn", host)) is None
    assert ok(aws(server, account, service, "list-hosts")) == {"Hosts": []}


def test_server_side_validation_error(server, service, account):
    rc, out, err = aws(server, account, service, "create-connection", "--provider-type", "GitLabSelfManaged", "--connection-name", "x")
    assert rc == 255 and out is None
    assert err.strip().endswith(
        "An error occurred (ValidationException) when calling the CreateConnection operation: "
        "To use a hosted provider specify HostArn instead of ProviderType"
    )
