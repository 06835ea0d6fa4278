"""Terraform's hashicorp/aws provider (5.x) against a real codestar-local server.

The real `terraform` binary runs examples/terraform (connections and hosts of both services) against a server of this
module, offline: the provider comes from a local plugin directory (TF_PLUGIN_DIR, or a well-known place holding
registry.terraform.io/hashicorp/aws), and an unreachable HTTPS proxy makes any call that is not to the emulator fail.
Every stack gets a fresh working directory (a copy of one initialised template) and a random 12-digit account, so the
tests share nothing and run in any order or on any xdist worker. Terraform is slow (each command starts the 700 MB
provider a few times), so each test runs only the commands it needs.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from servers import ROOT, Server

EXAMPLE = Path(ROOT) / "examples" / "terraform"
PROVIDER = Path("registry.terraform.io") / "hashicorp" / "aws"
PLUGIN_PLACES = (
    "/opt/tf-plugins",
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
)
SERVICES = ("codestar-connections", "codeconnections")
TAGS = {"Environment": "dev", "Project": "codestar-local-example", "ManagedBy": "terraform"}
TAGGED = (  # every resource of the example that takes tags
    "aws_codestarconnections_connection.github",
    "aws_codestarconnections_connection.ghes",
    "aws_codeconnections_connection.bitbucket",
    "aws_codeconnections_connection.gitlab",
    "aws_codeconnections_host.gitlab",
)
UNTAGGED = ("aws_codestarconnections_host.ghes",)  # the provider's codestarconnections host has no tags
TIMEOUT = 300


def find_plugin_dir() -> Path:
    configured = os.environ.get("TF_PLUGIN_DIR")
    if configured:
        path = Path(configured).expanduser()
        if not (path / PROVIDER).is_dir():
            pytest.fail(f"TF_PLUGIN_DIR={configured} does not contain {PROVIDER} (the hashicorp/aws provider)", pytrace=False)
        return path
    for place in PLUGIN_PLACES:
        path = Path(place).expanduser()
        if (path / PROVIDER).is_dir():
            return path
    pytest.fail(
        f"the hashicorp/aws Terraform provider is not installed: no {PROVIDER} under TF_PLUGIN_DIR or any of "
        f"{', '.join(PLUGIN_PLACES)}. The Terraform tests run offline; put the provider in a plugin directory "
        "(e.g. `terraform providers mirror DIR` on a connected machine) and set TF_PLUGIN_DIR=DIR.",
        pytrace=False,
    )


def random_account() -> str:
    return str(random.randint(10**11, 10**12 - 1))


class Stack:
    """One Terraform working directory, its account, and the server it talks to."""

    def __init__(self, workdir: Path, env: dict, server: Server, account: str):
        self.workdir, self.server, self.account = workdir, server, account
        self.env = {**env, "TF_VAR_endpoint": server.endpoint_url, "TF_VAR_account_id": account}

    def tf(self, *args, codes=(0,), env=None) -> subprocess.CompletedProcess:
        cmd = [shutil.which("terraform"), *args]
        done = subprocess.run(
            cmd, cwd=self.workdir, env={**self.env, **(env or {})}, capture_output=True, text=True, timeout=TIMEOUT
        )
        if done.returncode not in codes:
            pytest.fail(
                f"terraform {' '.join(args)} exited {done.returncode} (expected {codes})\n"
                f"--- stdout ---\n{done.stdout}\n--- stderr ---\n{done.stderr}",
                pytrace=False,
            )
        return done

    def apply(self, *args):
        return self.tf("apply", "-auto-approve", "-no-color", "-input=false", *args)

    def plan_exit_code(self, *args) -> subprocess.CompletedProcess:
        return self.tf("plan", "-detailed-exitcode", "-no-color", "-input=false", *args, codes=(0, 2))

    def plan_actions(self, env=None) -> tuple[dict, dict]:
        """Plan to a file; answer ({address: actions}, {address: change}) from its JSON."""
        self.tf("plan", "-no-color", "-input=false", "-out=tfplan", env=env)
        plan = json.loads(self.tf("show", "-json", "tfplan").stdout)
        changes = {rc["address"]: rc["change"] for rc in plan.get("resource_changes", [])}
        return {a: c["actions"] for a, c in changes.items()}, changes

    def outputs(self) -> dict:
        return {k: v["value"] for k, v in json.loads(self.tf("output", "-json").stdout).items()}

    def state(self) -> dict:
        """Resource address -> attribute values, from `terraform show -json`."""
        shown = json.loads(self.tf("show", "-json").stdout)
        resources = shown.get("values", {}).get("root_module", {}).get("resources", [])
        return {r["address"]: r["values"] for r in resources}

    def client(self, service):
        return self.server.client(service, account=self.account)


def tags_of(client, arn: str) -> dict:
    return {t["Key"]: t["Value"] for t in client.list_tags_for_resource(ResourceArn=arn)["Tags"]}


# -- fixtures -----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tf_env(tmp_path_factory) -> dict:
    """The environment of every terraform command: offline, non-interactive, nothing from the user's set-up."""
    if shutil.which("terraform") is None:
        pytest.fail(
            "the `terraform` binary is not on PATH: the Terraform tests need Terraform >= 1.5 (tested with 1.11.4) "
            "and the hashicorp/aws provider in a local plugin directory",
            pytrace=False,
        )
    home = tmp_path_factory.mktemp("tf-home")
    cli_config = home / "empty.tfrc"
    cli_config.write_text("")
    proxies = ("http_proxy", "https_proxy", "no_proxy", "all_proxy")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_")) and k.lower() not in proxies}
    env.update(
        TF_IN_AUTOMATION="1",
        TF_INPUT="0",
        TF_CLI_CONFIG_FILE=str(cli_config),
        CHECKPOINT_DISABLE="1",
        AWS_EC2_METADATA_DISABLED="true",
        # Any request that is not to the emulator on 127.0.0.1 (never proxied) goes to a closed port and fails.
        HTTPS_PROXY="http://127.0.0.1:9",
        HTTP_PROXY="http://127.0.0.1:9",
        NO_PROXY="127.0.0.1,localhost",
    )
    return env


@pytest.fixture(scope="module")
def template(tf_env, tmp_path_factory) -> Path:
    """examples/terraform copied and `terraform init`ed once; stacks copy it (the provider is a symlink)."""
    plugin_dir = find_plugin_dir()
    workdir = tmp_path_factory.mktemp("tf-template") / "example"
    shutil.copytree(EXAMPLE, workdir, ignore=shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*", "*tfplan"))
    done = subprocess.run(
        ["terraform", "init", "-input=false", "-no-color", f"-plugin-dir={plugin_dir}"],
        cwd=workdir, env=tf_env, capture_output=True, text=True, timeout=TIMEOUT,
    )
    if done.returncode != 0:
        pytest.fail(f"terraform init failed:\n{done.stdout}\n{done.stderr}", pytrace=False)
    return workdir


@pytest.fixture(scope="module")
def tf_server():
    s = Server()
    yield s
    s.stop()


@pytest.fixture
def new_stack(template, tf_env, tmp_path):
    """Make a fresh working directory (from the template) in a fresh account, on the given server."""
    count = iter(range(100))

    def make(server: Server) -> Stack:
        workdir = tmp_path / f"stack{next(count)}"
        shutil.copytree(template, workdir, symlinks=True)
        return Stack(workdir, tf_env, server, random_account())

    return make


@pytest.fixture(scope="module")
def applied(template, tf_env, tf_server, tmp_path_factory) -> Stack:
    """The example applied once, for the tests that only read it."""
    workdir = tmp_path_factory.mktemp("tf-applied") / "example"
    shutil.copytree(template, workdir, symlinks=True)
    stack = Stack(workdir, tf_env, tf_server, random_account())
    stack.apply()
    return stack


# -- tests --------------------------------------------------------------------------------------------------------


def test_apply_creates_every_resource_with_its_tags(applied):
    out = applied.outputs()
    conns, hosts = out["connection_arns"], out["host_arns"]
    acct = applied.account
    for name in ("github", "ghes"):
        assert conns[name].startswith(f"arn:aws:codestar-connections:us-east-1:{acct}:connection/")
    for name in ("bitbucket", "gitlab"):
        assert conns[name].startswith(f"arn:aws:codeconnections:us-east-1:{acct}:connection/")
    assert hosts["ghes"].startswith(f"arn:aws:codestar-connections:us-east-1:{acct}:host/example-gh-")
    assert hosts["gitlab"].startswith(f"arn:aws:codeconnections:us-east-1:{acct}:host/example-gi-")

    want_connections = {
        conns["github"]: ("example-github", "GitHub", None),
        conns["ghes"]: ("example-ghes", "GitHubEnterpriseServer", hosts["ghes"]),
        conns["bitbucket"]: ("example-bitbucket", "Bitbucket", None),
        conns["gitlab"]: ("example-gitlab", "GitLabSelfManaged", hosts["gitlab"]),
    }
    want_hosts = {
        hosts["ghes"]: ("example-ghes", "GitHubEnterpriseServer", "https://github.example.com"),
        hosts["gitlab"]: ("example-gitlab", "GitLabSelfManaged", "https://gitlab.example.com"),
    }
    for service in SERVICES:  # one store: both endpoints list the resources of both prefixes
        client = applied.client(service)
        listed = client.list_connections()["Connections"]
        got = {c["ConnectionArn"]: (c["ConnectionName"], c["ProviderType"], c.get("HostArn")) for c in listed}
        assert got == want_connections
        assert {c["ConnectionStatus"] for c in listed} == {"PENDING"}
        assert {c["OwnerAccountId"] for c in listed} == {acct}
        listed_hosts = client.list_hosts()["Hosts"]
        assert {h["HostArn"]: (h["Name"], h["ProviderType"], h["ProviderEndpoint"]) for h in listed_hosts} == want_hosts
        assert {h["Status"] for h in listed_hosts} == {"PENDING"}

    client = applied.client("codeconnections")
    for arn in [*conns.values(), hosts["gitlab"]]:
        assert tags_of(client, arn) == TAGS, arn  # the resource's tags plus the provider's default_tags
    assert tags_of(client, hosts["ghes"]) == {}

    state = applied.state()
    assert state["aws_codestarconnections_connection.ghes"]["host_arn"] == hosts["ghes"]
    assert state["aws_codeconnections_connection.gitlab"]["host_arn"] == hosts["gitlab"]
    assert state["aws_codeconnections_connection.gitlab"]["provider_type"] == "GitLabSelfManaged"
    assert state["aws_codeconnections_connection.gitlab"]["owner_account_id"] == acct
    assert state["aws_codestarconnections_host.ghes"]["status"] == "PENDING"


def test_plan_right_after_apply_has_no_changes(applied):
    done = applied.plan_exit_code()
    assert done.returncode == 0, done.stdout


def test_tag_change_is_an_in_place_update(new_stack, tf_server):
    stack = new_stack(tf_server)
    stack.apply()
    actions, changes = stack.plan_actions(env={"TF_VAR_environment": "staging"})
    assert actions == {**{a: ["update"] for a in TAGGED}, **{a: ["no-op"] for a in UNTAGGED}}
    for address in TAGGED:
        before, after = changes[address]["before"], changes[address]["after"]
        assert before["tags"]["Environment"] == "dev" and after["tags"]["Environment"] == "staging", address
        assert after["tags_all"] == {**TAGS, "Environment": "staging"}, address
        assert after["arn"] == before["arn"], address  # the ARN stays known: nothing is re-created

    stack.tf("apply", "-no-color", "-input=false", "tfplan")
    client = stack.client("codestar-connections")
    out = stack.outputs()
    for arn in [*out["connection_arns"].values(), out["host_arns"]["gitlab"]]:
        assert tags_of(client, arn) == {**TAGS, "Environment": "staging"}, arn
    # Still the same resources: nothing was replaced behind the update.
    assert {c["ConnectionArn"] for c in client.list_connections()["Connections"]} == set(out["connection_arns"].values())


IMPORT_CONFIG = """
# No endpoints block: AWS_ENDPOINT_URL_CODESTAR_CONNECTIONS and AWS_ENDPOINT_URL_CODECONNECTIONS point the provider
# at codestar-local.
provider "aws" {
  region                      = "us-east-1"
  access_key                  = var.account_id
  secret_key                  = "codestar-local"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

variable "account_id" {
  type = string
}

resource "aws_codestarconnections_connection" "imported" {
  name          = "made-by-boto3"
  provider_type = "GitHub"
  tags          = { Owner = "boto3" }
}

resource "aws_codeconnections_connection" "imported" {
  name          = "made-by-boto3"
  provider_type = "GitLab"
  tags          = { Owner = "boto3" }
}
"""


def test_import_with_endpoint_environment_variables(new_stack, tf_server):
    stack = new_stack(tf_server)
    # The template's provider and lock file, with this configuration instead of the example's.
    for tf_file in stack.workdir.glob("*.tf"):
        if tf_file.name != "versions.tf":
            tf_file.unlink()
    (stack.workdir / "main.tf").write_text(IMPORT_CONFIG)
    del stack.env["TF_VAR_endpoint"]
    stack.env.update(
        AWS_ENDPOINT_URL_CODESTAR_CONNECTIONS=tf_server.endpoint_url,
        AWS_ENDPOINT_URL_CODECONNECTIONS=tf_server.endpoint_url,
    )

    tags = [{"Key": "Owner", "Value": "boto3"}]
    arns = {
        "aws_codestarconnections_connection.imported": stack.client("codestar-connections").create_connection(
            ConnectionName="made-by-boto3", ProviderType="GitHub", Tags=tags
        )["ConnectionArn"],
        "aws_codeconnections_connection.imported": stack.client("codeconnections").create_connection(
            ConnectionName="made-by-boto3", ProviderType="GitLab", Tags=tags
        )["ConnectionArn"],
    }
    for address, arn in arns.items():
        stack.tf("import", "-no-color", "-input=false", address, arn)

    state = stack.state()
    for address, arn in arns.items():
        assert state[address]["arn"] == arn
        assert state[address]["name"] == "made-by-boto3"
        assert state[address]["tags"] == {"Owner": "boto3"}
        assert state[address]["connection_status"] == "PENDING"
    assert state["aws_codestarconnections_connection.imported"]["provider_type"] == "GitHub"
    assert state["aws_codeconnections_connection.imported"]["provider_type"] == "GitLab"
    assert state["aws_codeconnections_connection.imported"]["owner_account_id"] == stack.account

    # What was read back matches the configuration exactly: nothing to change.
    done = stack.plan_exit_code()
    assert done.returncode == 0, done.stdout


def test_out_of_band_delete_is_planned_as_create_and_a_handshake_as_nothing(new_stack, tf_server):
    stack = new_stack(tf_server)
    stack.apply()
    out = stack.outputs()
    stack.client("codestar-connections").delete_connection(ConnectionArn=out["connection_arns"]["github"])

    # The pipeline's handshake step: the statuses change on the server, which Terraform only reads.
    def cli(*args):
        subprocess.run([sys.executable, "-m", "codestar_local.cli", *args, "--endpoint", tf_server.endpoint_url],
                       check=True, capture_output=True, timeout=60)

    cli("host", "setup", out["host_arns"]["ghes"])
    cli("connection", "handshake", out["connection_arns"]["ghes"])
    cli("connection", "handshake", out["connection_arns"]["bitbucket"])
    client = stack.client("codestar-connections")
    assert {c["ConnectionName"]: c["ConnectionStatus"] for c in client.list_connections()["Connections"]} == {
        "example-ghes": "AVAILABLE", "example-bitbucket": "AVAILABLE", "example-gitlab": "PENDING",
    }

    actions, changes = stack.plan_actions()
    assert actions == {
        **{a: ["no-op"] for a in (*TAGGED, *UNTAGGED)},
        "aws_codestarconnections_connection.github": ["create"],
    }
    assert changes["aws_codestarconnections_connection.github"]["before"] is None


def test_destroy_leaves_nothing(new_stack):
    # On a server with --auto-handshake, so that destroy also meets AVAILABLE connections and hosts.
    server = Server(extra=["--auto-handshake", "0"])
    try:
        stack = new_stack(server)
        stack.apply()
        client = stack.client("codeconnections")
        assert {c["ConnectionStatus"] for c in client.list_connections()["Connections"]} == {"AVAILABLE"}
        assert [h["Status"] for h in client.list_hosts()["Hosts"]] == ["AVAILABLE", "AVAILABLE"]

        stack.tf("destroy", "-auto-approve", "-no-color", "-input=false")
        assert stack.state() == {}
        for service in SERVICES:
            client = stack.client(service)
            assert client.list_connections()["Connections"] == []
            assert client.list_hosts()["Hosts"] == []
    finally:
        server.stop()
