"""What the aiobotocore tests share. These modules run only in a venv with aiobotocore's botocore
(tests/compat/test_environments.py makes it), without tests/conftest.py, which needs boto3."""

from __future__ import annotations

import asyncio
import os
import random
import socket
import subprocess
import sys
import time
import urllib.request

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session


def account() -> str:
    return "".join(random.choice("0123456789") for _ in range(12))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """`codestar-local serve` from this venv, in memory, on a free port."""

    def __init__(self):
        self.port = free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "-m", "codestar_local.cli", "serve", "--port", str(self.port), "--state", "memory", "--project-seconds", "0"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.proc.stdout.read().decode()}")
            try:
                with urllib.request.urlopen(self.endpoint_url + "/_codestar-local/health", timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("server did not become healthy")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def cbor_models() -> str:
    """A models folder whose codeconnections speaks only Smithy RPC v2 CBOR (botocore prefers JSON when offered both)."""
    import json
    import tempfile

    from codestar_local.spec import DATA

    model = json.loads((DATA / "codeconnections" / "2023-12-01" / "service-2.json").read_text())
    model["metadata"]["protocols"] = ["smithy-rpc-v2-cbor"]
    model["metadata"]["protocol"] = "smithy-rpc-v2-cbor"
    root = tempfile.mkdtemp(prefix="cbor-models-")
    folder = os.path.join(root, "codeconnections", "2023-12-01")
    os.makedirs(folder)
    with open(os.path.join(folder, "service-2.json"), "w") as f:
        json.dump(model, f)
    return root


def client(service: str, endpoint_url: str | None, key: str, region: str = "us-east-1", validate: bool = True, cbor: bool = False):
    """An aiobotocore client context manager; the key id is the account on the emulator."""
    session = get_session()
    if cbor:
        session.get_component("data_loader").search_paths.insert(0, cbor_models())
    kw = {"endpoint_url": endpoint_url} if endpoint_url else {}
    return session.create_client(
        service,
        region_name=region,
        aws_access_key_id=key,
        aws_secret_access_key="secret",
        config=AioConfig(retries={"max_attempts": 1, "mode": "standard"}, parameter_validation=validate),
        **kw,
    )


def run(coro):
    return asyncio.run(coro)


def models_path() -> str:
    from codestar_local.spec import models_path

    return str(models_path())


def use_shipped_models():
    """Let aiobotocore sessions made from now on find the codestar model (as AWS_DATA_PATH does for users)."""
    os.environ["AWS_DATA_PATH"] = models_path()
