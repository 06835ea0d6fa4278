"""The real server as a test process, and boto3 clients for it.

A module of its own (not conftest) so any test can import it by one unambiguous name:
`conftest` names whichever conftest.py pytest imported last.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import boto3
import botocore.config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_SESSIONS: dict = {}


def boto_session() -> boto3.session.Session:
    """One boto3 session per AWS_DATA_PATH: a fresh session re-reads the models (~0.3 s per client).

    Its clients use the shipped models, as mock_codestar's do, so the suite also runs on a botocore
    older than these services' models (tests/compat).
    """
    from codestar_local.testing.clients import use_models

    key = os.environ.get("AWS_DATA_PATH")
    if key not in _SESSIONS:
        _SESSIONS[key] = boto3.session.Session()
        use_models(_SESSIONS[key]._session.get_component("data_loader"))
    return _SESSIONS[key]


class Server:
    def __init__(self, state="memory", extra=(), env=None):
        self.port = free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self.state = state
        cmd = [sys.executable, "-m", "codestar_local.cli", "serve", "--port", str(self.port), "--state", state, *extra]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.proc.stdout.read().decode()}")
            try:
                with urllib.request.urlopen(self.endpoint_url + "/_codestar-local/health", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("server did not become healthy")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def client(self, service, account="000000000000", region="us-east-1", retries=1, validate=True, **kw):
        # validate=False turns off botocore's client-side checks, to send invalid input to the server.
        return boto_session().client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=region,
            aws_access_key_id=account,
            aws_secret_access_key="secret",
            config=botocore.config.Config(retries={"max_attempts": retries, "mode": "standard"}, parameter_validation=validate),
            **kw,
        )
