"""What `--durability full` costs: CreateConnection on a SQLite file with synchronous=FULL against NORMAL.

    python bench/bench_durability.py [--seconds 5] [--rounds 3] [--connections 16] [--dir DIR]

Starts `codestar-local serve --durability normal` and `serve --durability full` side by side, each on its own new
SQLite file in DIR (default: a temporary directory; it must be on a real disk, since tmpfs ignores fsync and would
make the two equal), and drives both with wrk in interleaved rounds with the same requests: CreateConnection, each
in a new account so the 250-connection quota never bites. GetConnection is also measured, as a check that reads do
not pay for it. Reports the median round's requests/s, server CPU per request and p99, and full/normal as ratios,
with the disk's own fsync latency measured before and after (the cost of `full` is that latency, once per write).
Results are appended to bench/results/history.jsonl.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time

from run import CREATE_LUA, free_port, get_lua, measure, median_run, report, start, stop, wait_ready

MODES = ("normal", "full")


def filesystem(path: str) -> str:
    """The type of the file system that holds path (the longest mount point above it)."""
    path = os.path.realpath(path)
    best, kind = "", "?"
    with open("/proc/mounts") as f:
        for line in f:
            fields = line.split()
            point = fields[1]
            if (path == point or path.startswith(point.rstrip("/") + "/")) and len(point) > len(best):
                best, kind = point, fields[2]
    return kind


def fsync_ms(folder: str, count: int = 200) -> dict:
    """The disk's flush latency where the state lives: 4 KiB appended and fsynced, `count` times (ms)."""
    path = os.path.join(folder, "fsync.probe")
    times = []
    with open(path, "wb", buffering=0) as f:
        for _ in range(count):
            started = time.perf_counter()
            f.write(b"x" * 4096)
            os.fsync(f.fileno())
            times.append((time.perf_counter() - started) * 1000)
    os.unlink(path)
    times.sort()
    return {"median": round(times[len(times) // 2], 3), "p90": round(times[len(times) * 9 // 10], 3)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--dir", default=None, help="where the two state files go (a real disk)")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        print("bench/bench_durability.py needs wrk (apt-get install wrk)", file=sys.stderr)
        return 2
    tmp = tempfile.mkdtemp(prefix="codestar-durability-", dir=args.dir)
    fs = filesystem(tmp)
    if fs in ("tmpfs", "ramfs"):
        print(f"{tmp} is on {fs}, which ignores fsync: give --dir on a real disk", file=sys.stderr)
        return 2
    args.filesystem = fs
    before = fsync_ms(tmp)
    ports = {mode: free_port() for mode in MODES}
    procs = {
        mode: start(
            [sys.executable, "-m", "codestar_local.cli", "serve", "--port", str(port), "--state", os.path.join(tmp, f"{mode}.db"),
             "--durability", mode],
            port,
        )
        for mode, port in ports.items()
    }
    runs: dict[str, list] = {f"{op} {mode}": [] for op in ("create", "get") for mode in MODES}
    try:
        get_luas = {}
        for mode, port in ports.items():
            wait_ready(f"http://127.0.0.1:{port}/_codestar-local/health", procs[mode])
            get_luas[mode] = get_lua(port)
        for n in range(args.rounds):
            for mode in MODES:
                # Accounts never repeat between rounds or servers: every request is a first write of its account.
                base = 100_000_000_000 + (n * len(MODES) + MODES.index(mode)) * 10_000_000
                runs[f"create {mode}"].append(measure(procs[mode], ports[mode], CREATE_LUA % base, args.seconds, args.connections))
                runs[f"get {mode}"].append(measure(procs[mode], ports[mode], get_luas[mode], args.seconds, args.connections))
    finally:
        for proc in procs.values():
            stop(proc)
        for proc in procs.values():
            proc.wait(10)
        after = fsync_ms(tmp)
        shutil.rmtree(tmp, ignore_errors=True)
    results = {name: median_run(r) for name, r in runs.items()}
    for name, r in results.items():
        if r["errors"]:
            print(f"{name}: {r['errors']} non-2xx responses: the measurement is void", file=sys.stderr)
            return 1
    results["fsync_ms"] = {"before": before, "after": after}
    for op in ("create", "get"):
        results[f"{op}_ratio_rps"] = round(results[f"{op} full"]["rps"] / results[f"{op} normal"]["rps"], 3)
    report("durability", args, results)
    for op, name in (("create", "CreateConnection"), ("get", "GetConnection")):
        cpu = results[f"{op} full"]["cpu_us_per_request"] - results[f"{op} normal"]["cpu_us_per_request"]
        print(f"{name} full / normal: {results[f'{op}_ratio_rps']:.3f} of the requests/s, {cpu:+.1f} us of server CPU per request "
              f"(state on {fs})")
    print(f"fsync of 4 KiB on that disk, median (p90): {before['median']} ({before['p90']}) ms before the runs, "
          f"{after['median']} ({after['p90']}) ms after")
    return 0


if __name__ == "__main__":
    sys.exit(main())
