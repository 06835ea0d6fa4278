"""The benchmarks run: each bench script in its smoke mode (tiny sizes, one short round) finishes and reports every
row. How fast anything is, is not a test's business (docs/PERFORMANCE.md)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from servers import ROOT


def test_bench_scale_smoke(tmp_path):
    if os.environ.get("CI") != "true" and not (shutil.which("wrk") and shutil.which("moto_server")):
        pytest.skip("needs wrk and moto_server (the test extra has moto[server])")
    done = subprocess.run([sys.executable, "bench/bench_scale.py", "--smoke", "--out", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (report,) = tmp_path.glob("scale-*-smoke.json")
    results = json.loads(report.read_text())["results"]
    assert results["start"]["codestar_local_s"] > 0 and results["start"]["moto_server_s"] > 0
    assert results["memory"]["codestar_local_mib"] > 0 and results["memory"]["baseline_mib"] > 0
    assert results["list"]["small_rps"] > 0 and results["list"]["big_rps"] > 0
    (chart,) = tmp_path.glob("scale-*-smoke.png")
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for row in ("start to first 2xx", "RSS", "ListConnections, 100"):
        assert row in done.stdout


def test_bench_run_smoke(tmp_path):
    """python bench/run.py: every case at each connection count against the do-nothing app, the scale rows, a
    dated JSON report and a chart."""
    if os.environ.get("CI") != "true" and not (shutil.which("wrk") and shutil.which("moto_server")):
        pytest.skip("needs wrk and moto_server (the test extra has moto[server])")
    done = subprocess.run([sys.executable, "bench/run.py", "--smoke", "--out", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (report,) = [f for f in tmp_path.glob("*-smoke.json") if not f.name.startswith("scale-")]
    results = json.loads(report.read_text())["results"]
    assert set(results["connections"]) == {"8", "64"}
    for cases in results["connections"].values():
        assert set(cases) == {"baseline", "baseline, our server", "GetConnection", "CreateConnection"}
        for r in cases.values():
            assert r["requests"] > 0 and r["errors"] == 0 and r["ratio_rps"] > 0 and r["ratio_p99"] > 0
    assert {"start", "memory", "list"} <= set(results["scale"])
    assert results["mock"]["mock_codestar"] > 0 and results["mock"]["floor"] > 0 and results["mock"]["ratio"] > 0
    (chart,) = [f for f in tmp_path.glob("*-smoke.png") if not f.name.startswith("scale-")]
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bench_protocol_smoke():
    """python bench/bench_protocol.py: the serving cores side by side (granian's row only where it is installed)."""
    if os.environ.get("CI") != "true" and not shutil.which("wrk"):
        pytest.skip("needs wrk")
    done = subprocess.run([sys.executable, "bench/bench_protocol.py", "--seconds", "1", "--rounds", "1", "--connections", "8",
                           "--no-history"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for row in ("floor: nothing, uvicorn", "floor: nothing, ours", "App under uvicorn", "App under ours (serve)"):
        assert row in done.stdout
