"""Real clients other than boto3, for tests in any folder: the AWS SDK for JavaScript v3 (node) and the AWS CLI v2.

A module of its own (like servers.py) so tests/api and tests/security share one way of finding and running them.
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import shutil
import subprocess
import tempfile

import pytest

from codestar_local import spec

JS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "js")
IN_CI = os.environ.get("CI", "").lower() == "true"


def _unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the JS SDK tests must run)")
    pytest.skip(reason)


@functools.cache
def _node_checked():
    return _find_node()


def _find_node():
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        _unavailable("node and npm are needed for the JS SDK tests")
    major = int(subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout.strip().lstrip("v").split(".")[0])
    if major < 20:
        _unavailable(f"node >= 20 is needed for the JS SDK tests, found {major}")
    # One `npm ci` at a time, also across pytest-xdist workers.
    with open(os.path.join(tempfile.gettempdir(), "codestar-local-npm-ci.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.isdir(os.path.join(JS_DIR, "node_modules", "@aws-sdk", "client-codestar-connections")):
            done = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund"], cwd=JS_DIR, capture_output=True, text=True, timeout=600
            )
            assert done.returncode == 0, f"npm ci failed:\n{done.stdout}\n{done.stderr}"
    return node


def find_node() -> str:
    """node, with tests/js/node_modules installed; fails under CI=true (skips otherwise) when there is none."""
    return _node_checked()


def run_js(node, server, script, account, service="codestar-connections", extra_env=None) -> dict:
    status = spec.services()[service].error_status if service in spec.services() else {}
    env = {
        **os.environ,
        "CSL_ENDPOINT": server.endpoint_url,
        "CSL_ACCOUNT": account,
        "CSL_REGION": "us-east-1",
        "CSL_SERVICE": service,
        "CSL_ERROR_STATUS": json.dumps(status),
        # No shared/config files or real credentials may leak into the JS clients.
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        **(extra_env or {}),
    }
    done = subprocess.run([node, script], cwd=JS_DIR, env=env, capture_output=True, text=True, timeout=300)
    lines = done.stdout.strip().splitlines()
    assert lines, f"{script} printed nothing (rc {done.returncode}):\n{done.stderr}"
    result = json.loads(lines[-1])
    failed = [f"{c['name']}:\n{c['error']}" for c in result["checks"] if not c["ok"]]
    assert not failed, "\n\n".join(failed)
    assert done.returncode == 0, done.stderr
    assert result["checks"], "no checks ran"
    return result["data"]


V2 = "aws-cli/2."

# CLI v2's exit codes (`aws help return-codes`).
USAGE, CONFIG_ERROR, SERVICE_ERROR = 252, 253, 254


def clean_env(home: str, config: str, **extra: str) -> dict:
    """os.environ without AWS_* (and Python variables that could redirect /usr/bin/python3), plus `extra`.

    HOME is a temporary folder too: CLI v2 reads ~/.aws/models (extra models), ~/.aws/cli/alias
    and ~/.aws/cli/cache, none of which may leak into the tests. No instance metadata either: on an
    EC2 runner the credential chain would find the instance's role (and take a while off EC2).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON")) and k != "VIRTUAL_ENV"}
    env.update(HOME=home, AWS_CONFIG_FILE=config, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_PAGER="",
               AWS_EC2_METADATA_DISABLED="true", **extra)
    return env


@functools.cache
def _find_cli_v2(home: str, config: str) -> tuple[str | None, str]:
    """(path, `--version` output) of CLI v2, or (None, why not)."""
    explicit = os.environ.get("AWS_CLI_V2")
    if explicit:
        candidates = [explicit]
    else:
        on_path = [os.path.join(d, "aws") for d in os.environ.get("PATH", "").split(os.pathsep) if d]
        candidates = ["/usr/bin/aws", "/usr/local/bin/aws", *on_path]
    tried = []
    for path in dict.fromkeys(candidates):
        resolved = shutil.which(path)
        if not resolved:
            continue
        try:
            done = subprocess.run([resolved, "--version"], env=clean_env(home, config), stdin=subprocess.DEVNULL,
                                  capture_output=True, text=True, timeout=60)
        except OSError as e:
            tried.append(f"{path}: {e}")
            continue
        version = (done.stdout or done.stderr).strip()
        if version.startswith(V2):
            return resolved, version
        tried.append(f"{path}: {version or 'no version'}")
    where = f"AWS_CLI_V2={explicit}" if explicit else "/usr/bin/aws, /usr/local/bin/aws or PATH"
    return None, (f"AWS CLI v2 not found in {where} (tried: {'; '.join(tried) or 'nothing there'}). "
                  "Install it (Debian: apt-get install -y awscli) or set AWS_CLI_V2 to its path.")


def cli_v2(cli_home) -> tuple[str, str]:
    """(path, version) of CLI v2; fails the calling test if there is none."""
    path, version = _find_cli_v2(*cli_home)
    if path is None:
        pytest.fail(version, pytrace=False)
    return path, version


