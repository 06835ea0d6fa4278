"""--durability normal|full for SQLite: the mode the server really runs with, and acknowledged writes surviving kill -9."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from servers import Server, free_port

CLIENTS = 4  # concurrent writers, each in its own account (well under the 250-connection quota)
PER_CLIENT = 200
BURST_SECONDS = 1.5


def health(server: Server) -> dict:
    with urllib.request.urlopen(server.endpoint_url + "/_codestar-local/health", timeout=5) as r:
        return json.loads(r.read())


@pytest.mark.parametrize(
    ("extra", "env", "expected"),
    [
        ([], {}, "normal"),
        (["--durability", "normal"], {}, "normal"),
        (["--durability", "full"], {}, "full"),
        ([], {"CODESTAR_LOCAL_DURABILITY": "full"}, "full"),
        (["--durability", "normal"], {"CODESTAR_LOCAL_DURABILITY": "full"}, "normal"),  # the flag wins
    ],
)
def test_health_reports_the_synchronous_setting_in_use(tmp_path, extra, env, expected):
    # /health reads PRAGMA synchronous back from the worker's own connection, not the flag.
    server = Server(state=str(tmp_path / "state.db"), extra=extra, env=env)
    try:
        assert health(server)["durability"] == expected
    finally:
        server.stop()


def test_two_workers_both_run_full(tmp_path):
    server = Server(state=str(tmp_path / "state.db"), extra=["--durability", "full", "--workers", "2"])
    try:
        seen = {health(server)["durability"] for _ in range(20)}
        assert seen == {"full"}
    finally:
        server.stop()


def test_memory_state_has_no_durability(tmp_path):
    server = Server(state="memory", extra=["--durability", "full"])
    try:
        assert "durability" not in health(server)
    finally:
        server.stop()


def test_unknown_durability_is_refused(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "codestar_local.cli", "serve", "--port", str(free_port()), "--state", str(tmp_path / "s.db")],
        capture_output=True, text=True, timeout=60, env={**os.environ, "CODESTAR_LOCAL_DURABILITY": "paranoid"},
    )
    assert result.returncode == 2 and "durability must be normal or full, not 'paranoid'" in result.stderr
    assert not (tmp_path / "s.db").exists()


@pytest.mark.parametrize("mode", ["normal", "full"])
def test_acknowledged_writes_survive_kill_9(tmp_path, mode):
    path = str(tmp_path / "state.db")
    server = Server(state=path, extra=["--durability", mode])
    acknowledged: list[tuple[str, str]] = []
    stop = threading.Event()

    def writer(n: int) -> None:
        account = f"{n + 1:012d}"
        client = server.client("codestar-connections", account=account, retries=1)
        for i in range(PER_CLIENT):
            if stop.is_set():
                return
            try:
                arn = client.create_connection(ProviderType="GitHub", ConnectionName=f"burst-{i}")["ConnectionArn"]
            except Exception:  # the server died under this call: it was never acknowledged
                return
            acknowledged.append((account, arn))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    deadline = time.time() + BURST_SECONDS
    while time.time() < deadline and len(acknowledged) < CLIENTS * PER_CLIENT // 2:
        time.sleep(0.01)
    server.proc.kill()  # SIGKILL mid-burst: no shutdown, no checkpoint
    server.proc.wait(10)
    stop.set()
    for t in threads:
        t.join(30)
    assert len(acknowledged) > 20, "the burst was too short to mean anything"
    assert len(acknowledged) < CLIENTS * PER_CLIENT, "the kill came after the burst had ended"

    again = Server(state=path, extra=["--durability", mode])
    try:
        lost = []
        for account, arn in acknowledged:
            client = again.client("codestar-connections", account=account)
            try:
                client.get_connection(ConnectionArn=arn)
            except client.exceptions.ResourceNotFoundException:
                lost.append(arn)
        assert lost == []
    finally:
        again.stop()
