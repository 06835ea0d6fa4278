"""Git sync through the AWS SDK for JavaScript v3 (tests/js/sync_flow.mjs), read back with boto3.

Same conventions as tests/api/test_js_sdk.py: the script prints one JSON line
{checks, data}; without node/npm the test is skipped, except under CI=true.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import tempfile

import pytest

from codestar_local import spec

JS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "js")


@pytest.fixture(scope="module")
def node():
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("node and npm are needed for the JS SDK tests (CI=true)")
        pytest.skip("node and npm are needed for the JS SDK tests")
    # One `npm ci` at a time (the same lock file as tests/api/test_js_sdk.py).
    with open(os.path.join(tempfile.gettempdir(), "codestar-local-npm-ci.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.isdir(os.path.join(JS_DIR, "node_modules", "@aws-sdk", "client-codestar-connections")):
            done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=JS_DIR, capture_output=True, text=True, timeout=600)
            assert done.returncode == 0, f"npm ci failed:\n{done.stdout}\n{done.stderr}"
    return node


def test_sync_flow(node, server, service, account, make_client):
    env = {
        **os.environ,
        "CSL_ENDPOINT": server.endpoint_url,
        "CSL_ACCOUNT": account,
        "CSL_REGION": "us-east-1",
        "CSL_SERVICE": service,
        "CSL_ERROR_STATUS": json.dumps(spec.services()[service].error_status),
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    done = subprocess.run([node, "sync_flow.mjs"], cwd=JS_DIR, env=env, capture_output=True, text=True, timeout=300)
    lines = done.stdout.strip().splitlines()
    assert lines, f"sync_flow.mjs printed nothing (rc {done.returncode}):\n{done.stderr}"
    result = json.loads(lines[-1])
    failed = [f"{c['name']}:\n{c['error']}" for c in result["checks"] if not c["ok"]]
    assert not failed, "\n\n".join(failed)
    assert done.returncode == 0, done.stderr
    assert len(result["checks"]) == 9

    # What the JS client left behind, through boto3.
    data = result["data"]
    boto = make_client(service)
    assert data["linkArn"].startswith(f"arn:aws:{service}:us-east-1:{account}:repository-link/")
    assert boto.get_repository_link(RepositoryLinkId=data["linkId"])["RepositoryLinkInfo"]["RepositoryLinkArn"] == data["linkArn"]
    status = boto.get_resource_sync_status(ResourceName=data["stack"], SyncType="CFN_STACK_SYNC")
    assert status["LatestSuccessfulSync"]["TargetRevision"]["Sha"] == data["good"]
    [blocker] = boto.get_sync_blocker_summary(ResourceName=data["stack"], SyncType="CFN_STACK_SYNC")["SyncBlockerSummary"]["LatestBlockers"]
    assert blocker["Id"] == data["blockerId"] and blocker["ResolvedReason"] == "fixed"
