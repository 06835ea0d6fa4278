"""The AWS CLI v2 against the server: codestar-connections, codeconnections and codestar.

The venv's `aws` is CLI v1 (tests/api/test_cli.py); v2 is a separate program, found by
`cli_v2()`: $AWS_CLI_V2 if set, else /usr/bin/aws (Debian's `awscli` package),
/usr/local/bin/aws (AWS's installer) or any `aws` on PATH whose `--version` starts with
"aws-cli/2.". Without one these tests fail; they never skip.

What differs from v1 and is pinned here: exit codes (254 for a service error, 252 for a
bad command line or a client-side parameter check, 253 for missing credentials, where v1
gives 255 for all of them except a missing required option, 2), ISO 8601 timestamps by default, and the CLI's own pagination
(--max-items, --starting-token, --page-size), which codestar-connections does not get
because its paginators-1.json is empty (in every botocore, and in the models codestar-local
ships), so there the CLI rejects those options and paging is by --max-results/--next-token.
"""

from __future__ import annotations

import concurrent.futures
import datetime
import functools
import json
import os
import re
import subprocess
import sys
import time

import botocore.session
import pytest
from real_clients import CONFIG_ERROR, SERVICE_ERROR, USAGE, V2, clean_env, cli_v2

BIN = os.path.dirname(sys.executable)
@pytest.fixture(scope="module")
def cli_home(tmp_path_factory) -> tuple[str, str]:
    """(HOME, AWS_CONFIG_FILE): an empty home and a config turning off v2's pager and auto-prompt."""
    home = tmp_path_factory.mktemp("aws-v2-home")
    config = home / "config"
    # The pager is off by AWS_PAGER="" already and auto-prompt is off unless asked for; this says so twice.
    # Timestamps and binary formats keep v2's defaults (iso8601, base64) on purpose.
    config.write_text("[default]\ncli_pager =\ncli_auto_prompt = off\n")
    return str(home), str(config)


@pytest.fixture(scope="module")
def models_path() -> str:
    """What `codestar-local models-path` prints, for AWS_DATA_PATH (as the README has it)."""
    done = subprocess.run([os.path.join(BIN, "codestar-local"), "models-path"], capture_output=True, text=True, timeout=60, check=True)
    path = done.stdout.strip()
    assert os.path.isfile(os.path.join(path, "codestar", "2017-04-19", "service-2.json")), path
    return path


class CLI:
    """`aws <service> ...` (v2) for one account against the server, JSON output; models=True adds AWS_DATA_PATH."""

    def __init__(self, server, account, cli_home, models_path, region="us-east-1"):
        self.server, self.account, self.home, self.models_path, self.region = server, account, cli_home, models_path, region

    def __call__(self, service, *args, models=False, credentials=True):
        """(exit code, parsed JSON stdout or None, stderr)."""
        path, _ = cli_v2(self.home)
        extra = {"AWS_DEFAULT_REGION": self.region}
        if credentials:
            extra.update(AWS_ACCESS_KEY_ID=self.account, AWS_SECRET_ACCESS_KEY="secret")
        if models:
            extra["AWS_DATA_PATH"] = self.models_path
        cmd = [path, service, *args, "--endpoint-url", self.server.endpoint_url, "--output", "json"]
        done = subprocess.run(cmd, env=clean_env(*self.home, **extra), stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=60)
        out = json.loads(done.stdout) if done.stdout.strip() else None
        return done.returncode, out, done.stderr

    def ok(self, service, *args, **kw):
        rc, out, err = self(service, *args, **kw)
        assert rc == 0, f"aws {service} {' '.join(args)} ({kw or 'no options'}) exited {rc}: {err.strip()}"
        return out

    def many(self, *calls, **kw):
        """Independent commands at once (each CLI start costs ~0.5 s of CPU), results in order.

        A call is (service, *args), optionally ending in a dict of options for it alone; `kw` applies to all.
        """
        def one(call):
            own = call[-1] if isinstance(call[-1], dict) else None
            return self(*(call[:-1] if own else call), **{**kw, **(own or {})})

        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            return list(pool.map(one, calls))

    def oks(self, *calls, **kw):
        """many(), each of which must succeed: their outputs."""
        results = self.many(*calls, **kw)
        failed = [f"{' '.join(c for c in call if isinstance(c, str))}: exit {rc}: {err.strip()}"
                  for call, (rc, _, err) in zip(calls, results) if rc != 0]
        assert not failed, failed
        return [out for _, out, _ in results]


@pytest.fixture
def aws(server, account, cli_home, models_path) -> CLI:
    return CLI(server, account, cli_home, models_path)


def service_error(result, code: str, operation: str):
    """A service error: v2's exit code 254, nothing on stdout, botocore's message naming the code on stderr."""
    rc, out, err = result
    assert (rc, out) == (SERVICE_ERROR, None), err
    assert f"An error occurred ({code}) when calling the {operation} operation: " in err
    return err


def codestar_boto3(server, account, models_path):
    """A boto3 CodeStar client on the shipped model, to set up quickly what the CLI then reads."""
    session = botocore.session.Session()
    session.get_component("data_loader").search_paths.insert(0, models_path)
    return session.create_client("codestar", endpoint_url=server.endpoint_url, region_name="us-east-1",
                                 aws_access_key_id=account, aws_secret_access_key="secret")


def test_cli_v2_is_found(cli_home):
    path, version = cli_v2(cli_home)
    assert version.startswith(V2) and os.path.isabs(path)
    assert os.path.realpath(path) != os.path.realpath(os.path.join(BIN, "aws"))  # not the venv's v1
    assert " prompt/off" in version  # auto-prompt is off in this environment


# -- connections ----------------------------------------------------------------------------------------

# (service, use AWS_DATA_PATH): the connections service with the CLI's own model and with codestar-local's
# (which takes precedence: AWS_DATA_PATH comes first in botocore's search path), and codeconnections, which
# CLI v2 2.9.19 only knows through AWS_DATA_PATH.
CONNECTION_CASES = [
    pytest.param("codestar-connections", False, id="codestar-connections"),
    pytest.param("codestar-connections", True, id="codestar-connections-models-path"),
    pytest.param("codeconnections", True, id="codeconnections-models-path"),
]


@pytest.mark.parametrize("service,models", CONNECTION_CASES)
def test_connections(aws, account, service, models):
    run = functools.partial(aws, service, models=models)
    ok = functools.partial(aws.ok, service, models=models)
    made = ok("create-connection", "--provider-type", "GitHub", "--connection-name", "v2",
              "--tags", "Key=env,Value=test", "Key=team,Value=cli")
    arn = made["ConnectionArn"]
    assert re.fullmatch(rf"arn:aws:{service}:us-east-1:{account}:connection/[0-9a-f-]{{36}}", arn)
    assert made["Tags"] == [{"Key": "env", "Value": "test"}, {"Key": "team", "Value": "cli"}]

    expected = {"ConnectionName": "v2", "ConnectionArn": arn, "ProviderType": "GitHub", "OwnerAccountId": account,
                "ConnectionStatus": "PENDING"}
    got, listed = aws.oks((service, "get-connection", "--connection-arn", arn), (service, "list-connections"), models=models)
    assert got == {"Connection": expected}
    assert listed == {"Connections": [expected]}

    assert ok("delete-connection", "--connection-arn", arn) is None
    err = service_error(run("get-connection", "--connection-arn", arn), "ResourceNotFoundException", "GetConnection")
    assert arn in err


def test_hosts(aws, account):
    ok = functools.partial(aws.ok, "codestar-connections")
    made = ok("create-host", "--name", "v2-host", "--provider-type", "GitHubEnterpriseServer",
              "--provider-endpoint", "https://ghes.example.com", "--tags", "Key=env,Value=test")
    host = made["HostArn"]
    assert re.fullmatch(rf"arn:aws:codestar-connections:us-east-1:{account}:host/v2-host-[0-9a-f]+", host)
    assert made["Tags"] == [{"Key": "env", "Value": "test"}]

    # The https:// value went to the server as it is (CLI v2 never fetches URL-looking parameters).
    assert ok("get-host", "--host-arn", host) == {"Name": "v2-host", "Status": "PENDING", "ProviderType": "GitHubEnterpriseServer",
                                                  "ProviderEndpoint": "https://ghes.example.com"}
    assert ok("update-host", "--host-arn", host, "--provider-endpoint", "https://ghes2.example.com") is None
    got, listed = aws.oks(("codestar-connections", "get-host", "--host-arn", host), ("codestar-connections", "list-hosts"))
    assert got == {"Name": "v2-host", "Status": "PENDING", "ProviderType": "GitHubEnterpriseServer",
                   "ProviderEndpoint": "https://ghes2.example.com"}
    assert listed == {"Hosts": [{"Name": "v2-host", "HostArn": host, "ProviderType": "GitHubEnterpriseServer",
                                 "ProviderEndpoint": "https://ghes2.example.com", "Status": "PENDING"}]}

    assert ok("delete-host", "--host-arn", host) is None
    gone, listed = aws.many(("codestar-connections", "get-host", "--host-arn", host), ("codestar-connections", "list-hosts"))
    service_error(gone, "ResourceNotFoundException", "GetHost")
    assert listed[:2] == (0, {"Hosts": []})


def test_tags(aws):
    ok = functools.partial(aws.ok, "codestar-connections")
    arn = ok("create-connection", "--provider-type", "Bitbucket", "--connection-name", "tagged")["ConnectionArn"]
    assert ok("tag-resource", "--resource-arn", arn, "--tags", "Key=a,Value=1", "Key=b,Value=2", "Key=c,Value=3") is None
    assert ok("tag-resource", "--resource-arn", arn, "--tags", "Key=a,Value=one") is None  # overwrites a
    assert ok("untag-resource", "--resource-arn", arn, "--tag-keys", "c") is None
    assert ok("list-tags-for-resource", "--resource-arn", arn) == {"Tags": [{"Key": "a", "Value": "one"}, {"Key": "b", "Value": "2"}]}
    # JSON instead of the shorthand, and --cli-input-json: v2 takes both as they are (no base64 anywhere here).
    assert ok("tag-resource", "--resource-arn", arn, "--tags", '[{"Key": "j", "Value": "x y"}]') is None
    assert ok("untag-resource", "--cli-input-json", json.dumps({"ResourceArn": arn, "TagKeys": ["a", "b"]})) is None
    assert ok("list-tags-for-resource", "--resource-arn", arn) == {"Tags": [{"Key": "j", "Value": "x y"}]}


def test_connection_pagination(aws, make_client):
    boto = make_client("codestar-connections")
    arns = [boto.create_connection(ProviderType="GitHub", ConnectionName=f"page-{i}")["ConnectionArn"] for i in range(5)]
    names = lambda page: [c["ConnectionArn"] for c in page["Connections"]]  # noqa: E731

    # One server page: --max-results is the API's MaxResults, NextToken the server's token. Without --no-paginate
    # it is the same: the operation has no paginator, so the CLI does not follow NextToken by itself.
    first, same, everything = aws.oks(("codestar-connections", "list-connections", "--no-paginate", "--max-results", "2"),
                                      ("codestar-connections", "list-connections", "--max-results", "2"),
                                      ("codestar-connections", "list-connections"))
    assert names(first) == arns[:2] and first["NextToken"]
    assert same == first
    assert names(everything) == arns and "NextToken" not in everything
    second = aws.ok("codestar-connections", "list-connections", "--max-results", "2", "--next-token", first["NextToken"])
    assert names(second) == arns[2:4] and second["NextToken"]
    third = aws.ok("codestar-connections", "list-connections", "--max-results", "2", "--next-token", second["NextToken"])
    assert names(third) == arns[4:] and "NextToken" not in third

    # codestar-connections' paginators-1.json is empty (the CLI's copy and codestar-local's alike), so CLI v2
    # has no --max-items/--page-size/--starting-token for it: a usage error, before any request.
    options = [("--max-items", False), ("--page-size", False), ("--starting-token", False), ("--max-items", True)]
    results = aws.many(*[("codestar-connections", "list-connections", option, "2", {"models": models}) for option, models in options])
    for (option, _), (rc, out, err) in zip(options, results):
        assert (rc, out) == (USAGE, None), err
        assert f"Unknown options: {option}, 2" in err


def test_exit_codes(aws, account):
    missing = f"arn:aws:codestar-connections:us-east-1:{account}:connection/00000000-0000-0000-0000-000000000000"
    cc = "codestar-connections"
    not_found, hosted, empty_name, wrong_type, no_name, unknown, no_credentials = aws.many(
        (cc, "get-connection", "--connection-arn", missing),
        (cc, "create-connection", "--provider-type", "GitLabSelfManaged", "--connection-name", "x"),
        (cc, "create-connection", "--provider-type", "GitHub", "--connection-name", ""),
        (cc, "list-connections", "--cli-input-json", '{"MaxResults": "two"}'),
        (cc, "create-connection"),
        (cc, "list-connections", "--no-such-option"),
        (cc, "list-connections", {"credentials": False}),
    )
    # Service errors: 254 (v1: 255).
    service_error(not_found, "ResourceNotFoundException", "GetConnection")
    assert service_error(hosted, "ValidationException", "CreateConnection").strip().endswith(
        "when calling the CreateConnection operation: To use a hosted provider specify HostArn instead of ProviderType")

    # botocore's client-side parameter validation: 252 (v1: 255); nothing is sent.
    assert empty_name[:2] == (USAGE, None), empty_name
    assert "Invalid length for parameter ConnectionName, value: 0, valid min length: 1" in empty_name[2]
    assert wrong_type[0] == USAGE and "Parameter validation failed:\nInvalid type for parameter MaxResults" in wrong_type[2]
    # The command line itself: a missing required option (v1: 2) and an unknown one (v1: 255) are 252 too.
    assert no_name[0] == USAGE and "the following arguments are required: --connection-name" in no_name[2]
    assert unknown[0] == USAGE and "Unknown options: --no-such-option" in unknown[2]
    # No credentials at all: a configuration error, 253 (v1: 255).
    assert no_credentials[0] == CONFIG_ERROR and "Unable to locate credentials" in no_credentials[2]

    assert aws.ok(cc, "list-connections") == {"Connections": []}  # none of that created anything


# -- codestar (AWS_DATA_PATH) ------------------------------------------------------------------------------

ISO_8601 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?\+00:00")


def iso_time(value) -> datetime.datetime:
    """A v2 timestamp (ISO 8601 with the UTC offset, its default output) as an aware datetime."""
    assert isinstance(value, str) and ISO_8601.fullmatch(value), value
    return datetime.datetime.fromisoformat(value)


def test_codestar_projects(aws, account):
    run = functools.partial(aws, "codestar", models=True)
    ok = functools.partial(aws.ok, "codestar", models=True)
    made = ok("create-project", "--name", "V2 project", "--id", "v2-proj", "--tags", "team=cli",
              "--client-request-token", "v2-token")
    arn = f"arn:aws:codestar:us-east-1:{account}:project/v2-proj"
    assert made == {"id": "v2-proj", "arn": arn, "clientRequestToken": "v2-token"}

    bob = f"arn:aws:iam::{account}:user/bob"
    described, listed, associated, tagged, profile = aws.oks(
        ("codestar", "describe-project", "--id", "v2-proj"),
        ("codestar", "list-projects"),
        ("codestar", "associate-team-member", "--project-id", "v2-proj", "--user-arn", bob, "--project-role", "Contributor",
         "--remote-access-allowed"),
        ("codestar", "tag-project", "--id", "v2-proj", "--tags", "env=test"),
        ("codestar", "create-user-profile", "--user-arn", bob, "--display-name", "Bob", "--email-address", "bob@example.com"),
        models=True,
    )
    assert {k: described[k] for k in ("name", "id", "arn")} == {"name": "V2 project", "id": "v2-proj", "arn": arn}
    assert described["status"]["state"] in ("CreateInProgress", "CreateComplete")
    created = iso_time(described["createdTimeStamp"])  # v1 prints epoch seconds here
    assert abs(datetime.datetime.now(datetime.timezone.utc) - created) < datetime.timedelta(minutes=10)
    assert listed == {"projects": [{"projectId": "v2-proj", "projectArn": arn}]}
    assert associated is None
    assert tagged == {"tags": {"team": "cli", "env": "test"}}
    assert iso_time(profile["createdTimestamp"]) == iso_time(profile["lastModifiedTimestamp"]) >= created

    members, tags = aws.oks(("codestar", "list-team-members", "--project-id", "v2-proj"),
                            ("codestar", "list-tags-for-project", "--id", "v2-proj"), models=True)
    roles = [(m["userArn"], m["projectRole"], m["remoteAccessAllowed"]) for m in members["teamMembers"]]
    assert roles[1:] == [(bob, "Contributor", True)] and roles[0][1:] == ("Owner", False)
    assert tags == {"tags": {"team": "cli", "env": "test"}}

    deleted = ok("delete-project", "--id", "v2-proj", "--delete-stack")
    assert deleted["projectArn"] == arn and deleted["stackId"] == described["stackId"]
    # The project is DeleteInProgress for 0.5 s; a quiet machine starts the CLI faster than that.
    time.sleep(0.6)
    err = service_error(run("describe-project", "--id", "v2-proj"), "ProjectNotFoundException", "DescribeProject")
    assert "The project ID was not found: v2-proj." in err


def test_codestar_pagination(server, aws, account, models_path):
    """ListProjects has a paginator, so here CLI v2's own pagination applies."""
    boto = codestar_boto3(server, account, models_path)
    ids = [f"v2-page-{i}" for i in range(5)]
    for i in ids:
        boto.create_project(name=i, id=i)
    listed = lambda page: [p["projectId"] for p in page["projects"]]  # noqa: E731
    ok = functools.partial(aws.ok, "codestar", models=True)

    # --max-items: the CLI cuts the result at 2 and hands out its own NextToken for --starting-token.
    # --page-size 2: server pages of maxResults 2, followed automatically into one result.
    # --no-paginate: one server page, with the server's own nextToken (the service's lower-case member).
    first, everything, page = aws.oks(("codestar", "list-projects", "--max-items", "2"),
                                      ("codestar", "list-projects", "--page-size", "2"),
                                      ("codestar", "list-projects", "--no-paginate", "--max-results", "2"), models=True)
    assert listed(first) == ids[:2] and first["NextToken"] and "nextToken" not in first
    assert everything == {"projects": [{"projectId": i, "projectArn": f"arn:aws:codestar:us-east-1:{account}:project/{i}"}
                                       for i in ids]}
    assert listed(page) == ids[:2] and page["nextToken"] and "NextToken" not in page

    second, rest = aws.oks(("codestar", "list-projects", "--max-items", "2", "--starting-token", first["NextToken"]),
                           ("codestar", "list-projects", "--no-paginate", "--max-results", "3", "--next-token", page["nextToken"]),
                           models=True)
    assert listed(second) == ids[2:4] and second["NextToken"]
    assert listed(rest) == ids[2:] and "nextToken" not in rest
    third = ok("list-projects", "--max-items", "2", "--starting-token", second["NextToken"])
    assert listed(third) == ids[4:] and "NextToken" not in third
