"""The real `git` binary against the emulator's Git remotes: a working repository, and waiting for a sync.

git runs with a temporary HOME, no system config and GIT_TERMINAL_PROMPT=0 (a missing password fails rather
than prompts). Without git the tests skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request

import pytest

CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
GIT = shutil.which("git")
STACK_SYNC = "CFN_STACK_SYNC"

TEMPLATE = """AWSTemplateFormatVersion: '2010-09-09'
Description: the web stack
Parameters:
  Env:
    Type: String
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub '${Env}-web-assets'
Outputs:
  Name:
    Value: !Ref Bucket
"""
# A YAML error: the mapping under Resources is not closed.
BROKEN_YAML = "Resources:\n  Bucket: {Type: AWS::S3::Bucket\n"
# cfn-lint E3006: a resource type that does not exist.
UNKNOWN_TYPE = TEMPLATE.replace("AWS::S3::Bucket", "AWS::S3::Buckett")


def deployment(template: str, **parameters) -> str:
    lines = [f"template-file-path: {template}"]
    if parameters:
        lines.append("parameters:")
        lines += [f"  {k}: {v}" for k, v in parameters.items()]
    lines += ["tags:", "  team: web"]
    return "\n".join(lines) + "\n"


def need_git() -> None:
    if GIT is None:
        if CI:
            pytest.fail("the git binary is needed for the Git sync tests (CI=true): apt-get install git")
        pytest.skip("git is not installed")


class Work:
    """A working repository on branch main."""

    def __init__(self, path, home):
        need_git()
        self.path = str(path)
        os.makedirs(self.path, exist_ok=True)
        os.makedirs(str(home), exist_ok=True)
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_ASKPASS": "/bin/false",
            "LANG": "C",
        }

    def git(self, *args, check=True, cwd=None) -> subprocess.CompletedProcess:
        cmd = [GIT, "-c", "user.name=Git Sync Test", "-c", "user.email=gitsync@example.com", "-c", "init.defaultBranch=main", *args]
        out = subprocess.run(cmd, cwd=cwd or self.path, env=self.env, capture_output=True, text=True, timeout=60)
        if check and out.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
        return out

    def init(self) -> "Work":
        self.git("init", "-q", "-b", "main")
        return self

    def write(self, path: str, text: str | bytes) -> None:
        full = os.path.join(self.path, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(text.encode() if isinstance(text, str) else text)

    def remove(self, path: str) -> None:
        os.remove(os.path.join(self.path, path))

    def commit(self, message: str = "change") -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").stdout.strip()

    def push(self, url: str, refspec: str = "main", check=True) -> subprocess.CompletedProcess:
        return self.git("push", url, refspec, check=check)


def handshake(endpoint: str, arn: str, token: str | None = None) -> None:
    """Complete a connection's handshake (control API): Git sync reads only through an AVAILABLE connection."""
    req = urllib.request.Request(f"{endpoint}/_codestar-local/connections/handshake", data=json.dumps({"ConnectionArn": arn}).encode(),
                                 method="POST", headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(req, timeout=30) as r:
        assert json.loads(r.read())["ConnectionStatus"] == "AVAILABLE"


def ready_link(git, server, name: str = "git-sync", **kw) -> dict:
    """A repository link through a new AVAILABLE connection (the sync fixtures' Git helper makes them)."""
    connection = git.connection(name=name)
    handshake(server.endpoint_url, connection)
    return git.link(connection, **kw)


def remote_url(endpoint: str, link_id: str) -> str:
    return f"{endpoint}/_codestar-local/git/{link_id}.git"


def name_url(endpoint: str, account: str, owner: str, repo: str) -> str:
    return f"{endpoint}/_codestar-local/git/{account}/{owner}/{repo}.git"


def settled(client, resource: str, sha: str, within: float = 2.0) -> dict:
    """GetResourceSyncStatus once the sync of `sha` has ended, which must happen `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        try:
            out = client.get_resource_sync_status(ResourceName=resource, SyncType=STACK_SYNC)
        except client.exceptions.ResourceNotFoundException:
            out = None
        if out is not None:
            latest = out["LatestSync"]
            if latest["TargetRevision"]["Sha"] == sha and latest["Status"] in ("SUCCEEDED", "FAILED"):
                out.pop("ResponseMetadata", None)
                return out
        if time.monotonic() > deadline:
            raise AssertionError(f"the sync of {resource} to {sha[:7]} did not end within {within} s: {out}")
        time.sleep(0.05)


def repository_settled(client, link_id: str, sha: str, branch: str = "main", within: float = 2.0) -> dict:
    deadline = time.monotonic() + within
    while True:
        try:
            latest = client.get_repository_sync_status(Branch=branch, RepositoryLinkId=link_id, SyncType=STACK_SYNC)["LatestSync"]
        except client.exceptions.ResourceNotFoundException:
            latest = None
        if latest and latest["Status"] in ("SUCCEEDED", "FAILED") and any(e.get("ExternalId") == sha for e in latest["Events"]):
            return latest
        if time.monotonic() > deadline:
            raise AssertionError(f"the repository sync of {sha[:7]} did not end within {within} s: {latest}")
        time.sleep(0.05)


def texts(sync: dict) -> str:
    return "\n".join(e["Event"] for e in sync["Events"])
