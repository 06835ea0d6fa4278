"""Group commit on and off, side by side: `serve` on a SQLite file with CODESTAR_LOCAL_GROUP_COMMIT on and off.

    python bench/bench_group_commit.py [--seconds 3] [--rounds 4] [--connections 8,64]

Two servers, each on a new file on the same disk; wrk drives CreateConnection (a new account per request) and
GetConnection (one of 8 connections) in interleaved rounds at each connection count. Reports the median round:
requests/s, server CPU per request, p99, and on/off ratios. Appends to bench/results/history.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

from run import CREATE_LUA, free_port, get_lua, measure, median_run, seconds, stop, wait_ready

HERE = pathlib.Path(__file__).resolve().parent
MODES = ("on", "off")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--connections", default="8,64")
    args = ap.parse_args()
    counts = [int(c) for c in args.connections.split(",") if c.strip()]
    if not shutil.which("wrk"):
        print("bench/bench_group_commit.py needs wrk (apt-get install wrk)", file=sys.stderr)
        return 2
    tmp = tempfile.mkdtemp(dir=HERE)  # the repository's disk, not a tmpfs that ignores fsync
    procs = {}
    try:
        for mode in MODES:
            port = free_port()
            env = {**os.environ, "CODESTAR_LOCAL_GROUP_COMMIT": mode}
            cmd = [sys.executable, "-m", "codestar_local.cli", "serve", "--port", str(port), "--state", os.path.join(tmp, f"{mode}.db")]
            procs[mode] = (subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT), port)
        for proc, port in procs.values():
            wait_ready(f"http://127.0.0.1:{port}/_codestar-local/health", proc)
        gets = {mode: get_lua(port) for mode, (_, port) in procs.items()}
        runs = {(case, n, mode): [] for case in ("CreateConnection", "GetConnection") for n in counts for mode in MODES}
        for r in range(args.rounds):
            for n in counts:
                for k, mode in enumerate(MODES):
                    proc, port = procs[mode]
                    first = 100000000000 + ((r * len(counts) + counts.index(n)) * 2 + k) * 1000000
                    runs[("CreateConnection", n, mode)].append(measure(proc, port, CREATE_LUA % first, args.seconds, n))
                    runs[("GetConnection", n, mode)].append(measure(proc, port, gets[mode], args.seconds, n))
    finally:
        for proc, _ in procs.values():
            stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)
    results = {}
    print(f"{'case':18} {'conns':>5} {'group commit':>12} {'req/s':>9} {'CPU us/req':>11} {'p99':>9}")
    for case in ("CreateConnection", "GetConnection"):
        for n in counts:
            chosen = {mode: median_run(runs[(case, n, mode)]) for mode in MODES}
            for mode, r in chosen.items():
                print(f"{case:18} {n:5d} {mode:>12} {r['rps']:9.0f} {r['cpu_us_per_request']:11.1f} {r['p99']:>9}")
            on, off = chosen["on"], chosen["off"]
            print(f"{'':18} {'':5} {'on / off':>12} {on['rps'] / off['rps']:9.2f} "
                  f"{on['cpu_us_per_request'] / off['cpu_us_per_request']:11.2f} {seconds(on['p99']) / seconds(off['p99']):9.2f}")
            results[f"{case} {n}"] = chosen
    (HERE / "results").mkdir(exist_ok=True)
    with open(HERE / "results" / "history.jsonl", "a") as f:
        f.write(json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%S"), "bench": "group-commit", "args": vars(args), "results": results}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
