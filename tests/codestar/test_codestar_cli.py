"""`aws codestar ...` (the AWS CLI v1 in the venv) with AWS_DATA_PATH=$(codestar-local models-path), as the README shows."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

BIN = os.path.dirname(sys.executable)


@pytest.fixture(scope="module")
def data_path():
    done = subprocess.run([os.path.join(BIN, "codestar-local"), "models-path"], capture_output=True, text=True, timeout=60, check=True)
    path = done.stdout.strip()
    assert os.path.isfile(os.path.join(path, "codestar", "2017-04-19", "service-2.json"))
    return path


def aws(server, account, data_path, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=account, AWS_SECRET_ACCESS_KEY="secret", AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_PAGER="", AWS_DATA_PATH=data_path)
    cmd = [os.path.join(BIN, "aws"), "codestar", *args, "--endpoint-url", server.endpoint_url, "--output", "json"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    return done.returncode, (json.loads(done.stdout) if done.stdout.strip() else None), done.stderr


def ok(result):
    rc, out, err = result
    assert rc == 0, err
    return out


def test_without_the_models_path_codestar_is_unknown(server, account):
    rc, _, err = aws(server, account, "", "list-projects")
    assert rc != 0 and "codestar" in err


def test_projects_members_profiles(server, account, data_path):
    run = lambda *a: aws(server, account, data_path, *a)  # noqa: E731
    made = ok(run("create-project", "--name", "CLI project", "--id", "cli-proj", "--tags", "team=cli",
                  "--client-request-token", "cli-token"))
    assert made == {"id": "cli-proj", "arn": f"arn:aws:codestar:us-east-1:{account}:project/cli-proj", "clientRequestToken": "cli-token"}
    described = ok(run("describe-project", "--id", "cli-proj"))
    assert described["status"]["state"] in ("CreateInProgress", "CreateComplete")
    assert isinstance(described["createdTimeStamp"], (int, float, str))
    assert ok(run("list-projects")) == {"projects": [{"projectId": "cli-proj", "projectArn": made["arn"]}]}
    assert ok(run("tag-project", "--id", "cli-proj", "--tags", "env=test")) == {"tags": {"team": "cli", "env": "test"}}
    assert ok(run("untag-project", "--id", "cli-proj", "--tags", "team")) is None
    assert ok(run("list-tags-for-project", "--id", "cli-proj")) == {"tags": {"env": "test"}}
    assert ok(run("update-project", "--id", "cli-proj", "--description", "from the CLI")) is None
    assert ok(run("list-resources", "--project-id", "cli-proj")) == {"resources": []}

    bob = f"arn:aws:iam::{account}:user/bob"
    assert ok(run("associate-team-member", "--project-id", "cli-proj", "--user-arn", bob, "--project-role", "Contributor",
                  "--remote-access-allowed")) is None
    assert ok(run("update-team-member", "--project-id", "cli-proj", "--user-arn", bob, "--project-role", "Viewer")) == {
        "userArn": bob, "projectRole": "Viewer", "remoteAccessAllowed": True}
    members = ok(run("list-team-members", "--project-id", "cli-proj"))["teamMembers"]
    assert [m["projectRole"] for m in members] == ["Owner", "Viewer"]
    assert ok(run("disassociate-team-member", "--project-id", "cli-proj", "--user-arn", bob)) is None

    profile = ok(run("create-user-profile", "--user-arn", bob, "--display-name", "Bob", "--email-address", "bob@example.com"))
    assert profile["sshPublicKey"] == "" and profile["displayName"] == "Bob"
    assert ok(run("update-user-profile", "--user-arn", bob, "--ssh-public-key", "ssh-rsa AAAA bob"))["sshPublicKey"] == "ssh-rsa AAAA bob"
    assert ok(run("describe-user-profile", "--user-arn", bob))["emailAddress"] == "bob@example.com"
    assert [p["userArn"] for p in ok(run("list-user-profiles"))["userProfiles"]] == [bob]
    assert ok(run("delete-user-profile", "--user-arn", bob)) == {"userArn": bob}

    deleted = ok(run("delete-project", "--id", "cli-proj", "--delete-stack"))
    assert deleted["projectArn"] == made["arn"] and deleted["stackId"] == described["stackId"]


def test_errors(server, account, data_path):
    run = lambda *a: aws(server, account, data_path, *a)  # noqa: E731
    rc, out, err = run("describe-project", "--id", "missing")
    assert rc == 255 and out is None
    assert err.strip().endswith(
        "An error occurred (ProjectNotFoundException) when calling the DescribeProject operation: "
        "The project ID was not found: missing. Make sure that the project ID is correct and then try again."
    )
    ok(run("create-project", "--name", "x", "--id", "cli-dup"))
    rc, _, err = run("create-project", "--name", "x", "--id", "cli-dup")
    assert rc == 255 and "(ProjectAlreadyExistsException) when calling the CreateProject operation" in err
    rc, _, err = run("describe-user-profile", "--user-arn", f"arn:aws:iam::{account}:user/nobody")
    assert rc == 255 and "(UserProfileNotFoundException)" in err
    rc, _, err = run("list-projects", "--next-token", "bogus")
    assert rc == 255 and "(InvalidNextTokenException)" in err
