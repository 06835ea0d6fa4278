"""The shared store: PostgreSQL against a SQLite file, and two PostgreSQL replicas against one.

    python bench/bench_store.py [--seconds 5] [--rounds 3] [--connections 16] [--db-pool 8]

Starts, side by side: `serve --state FILE` (SQLite), and three `serve` processes on one fresh PostgreSQL database
(at $CODESTAR_LOCAL_BENCH_PG, default postgresql://postgres@127.0.0.1:5432/postgres; dropped afterwards). In
interleaved rounds, wrk drives GetConnection and CreateConnection (a new account per request) at SQLite and at one
PostgreSQL replica, and CreateConnection at two replicas at once with the same total client connections split
between them (each wrk's accounts are its own). Reports the median round and the ratios:
PostgreSQL / SQLite for Get and Create, and two replicas / one for Create.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading

from run import CREATE_LUA, cpu_seconds, free_port, get_lua, median_run, pg_database, report, seconds, start, stop, wait_ready, wrk


def serve(state: str, pool: int):
    port = free_port()
    proc = start([sys.executable, "-m", "codestar_local.cli", "serve", "--port", str(port), "--state", state, "--db-pool", str(pool)], port)
    wait_ready(f"http://127.0.0.1:{port}/_codestar-local/health", proc)
    return proc, port


def drive(servers: list, luas: list, duration: float, connections: int) -> dict:
    """wrk against each server at once (connections split between them): summed requests/s and server CPU."""
    share = max(1, connections // len(servers))
    for (proc, port), lua in zip(servers, luas):
        wrk(port, lua, 1, share)  # warm up
    before = sum(cpu_seconds(proc.pid) for proc, _ in servers)
    results = [None] * len(servers)

    def one(i):
        results[i] = wrk(servers[i][1], luas[i], duration, share)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(servers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    used = sum(cpu_seconds(proc.pid) for proc, _ in servers) - before
    requests = sum(r["requests"] for r in results)
    return {
        "rps": sum(r["rps"] for r in results),
        "requests": requests,
        "errors": sum(r["errors"] for r in results),
        "p50": results[0]["p50"],
        "p99": max((r["p99"] for r in results), key=seconds),
        "cpu_us_per_request": used / requests * 1e6 if requests else None,
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--db-pool", type=int, default=8)
    args = ap.parse_args()
    with pg_database("store") as pg_url:
        return measured(args, pg_url)


def measured(args, pg_url: str) -> int:
    tmp = tempfile.mkdtemp()
    procs = []
    runs: dict[str, list] = {k: [] for k in ("sqlite get", "postgres get", "sqlite create", "postgres create", "postgres create x2")}
    try:
        sqlite = serve(os.path.join(tmp, "state.db"), args.db_pool)
        pg = [serve(pg_url, args.db_pool) for _ in range(2)]
        procs = [sqlite[0]] + [p for p, _ in pg]
        get = {}
        for label, (_, port) in (("sqlite", sqlite), ("postgres", pg[0])):
            get[label] = get_lua(port)
        for r in range(args.rounds):
            base = 200000000000 + r * 30000000
            runs["sqlite get"].append(drive([sqlite], [get["sqlite"]], args.seconds, args.connections))
            runs["postgres get"].append(drive([pg[0]], [get["postgres"]], args.seconds, args.connections))
            runs["sqlite create"].append(drive([sqlite], [CREATE_LUA % base], args.seconds, args.connections))
            runs["postgres create"].append(drive([pg[0]], [CREATE_LUA % (base + 5000000)], args.seconds, args.connections))
            runs["postgres create x2"].append(
                drive(pg, [CREATE_LUA % (base + 10000000), CREATE_LUA % (base + 20000000)], args.seconds, args.connections)
            )
    finally:
        for p in procs:
            stop(p)
        shutil.rmtree(tmp, ignore_errors=True)
    results = {k: median_run(v) for k, v in runs.items()}
    for k, r in results.items():
        if r["errors"]:
            print(f"{k}: {r['errors']} non-2xx responses: the measurement is void", file=sys.stderr)
            return 1
    ratios = {
        "postgres/sqlite get": results["postgres get"]["rps"] / results["sqlite get"]["rps"],
        "postgres/sqlite create": results["postgres create"]["rps"] / results["sqlite create"]["rps"],
        "2 replicas / 1, create": results["postgres create x2"]["rps"] / results["postgres create"]["rps"],
    }
    results["ratios"] = {k: round(v, 3) for k, v in ratios.items()}
    report("store", args, results)
    for k, v in ratios.items():
        print(f"{k}: {v:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
