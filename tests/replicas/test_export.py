"""`state export` of a live server is one snapshot while writes go on, on a SQLite file shared by two workers and on
PostgreSQL shared by two replicas: a connection deleted while the export runs is never both stored and retired."""

from __future__ import annotations

import concurrent.futures
import json
import threading
import time
import urllib.request

import pytest
from pg import fresh_database
from servers import Server


@pytest.fixture(params=["sqlite", "postgres"])
def two(request, tmp_path):
    """Two processes on one state: `--workers 2` on a SQLite file, or two replicas on one PostgreSQL database."""
    if request.param == "sqlite":
        s = Server(state=str(tmp_path / "state.db"), extra=["--workers", "2"])
        yield [s, s]
        s.stop()
        return
    with fresh_database() as url:
        servers = [Server(state=url), Server(state=url)]
        yield servers
        for s in servers:
            s.stop()


def export(server) -> dict:
    with urllib.request.urlopen(f"{server.endpoint_url}/_codestar-local/state", timeout=60) as r:
        return json.loads(r.read())


def test_export_is_one_snapshot_under_writes(two):
    filler = two[0].client("codestar-connections", account="714000000000")
    for i in range(200):  # enough rows that reading them takes a while
        filler.create_connection(ProviderType="GitHub", ConnectionName=f"f{i}", Tags=[{"Key": "k", "Value": "v" * 200}])
    stop = threading.Event()
    churned = []

    def churn(worker: int):
        c = two[worker % 2].client("codestar-connections", account=f"7140000001{worker:02d}")
        while not stop.is_set() and len(churned) < 5000:
            arn = c.create_connection(ProviderType="GitHub", ConnectionName=f"w{worker}")["ConnectionArn"]
            c.delete_connection(ConnectionArn=arn)
            churned.append(arn)

    exports = 0
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        futures = [pool.submit(churn, w) for w in range(6)]
        deadline = time.monotonic() + 8
        try:
            while time.monotonic() < deadline:
                snap = export(two[exports % 2])
                stored = {it["id"] for it in snap["items"]}
                both = stored & set(snap["retired"])
                assert not both, f"export {exports}: {len(both)} ids both stored and retired"
                exports += 1
        finally:
            stop.set()
            for f in futures:
                f.result(timeout=60)
    assert exports >= 5 and len(churned) >= 50, (exports, len(churned))
