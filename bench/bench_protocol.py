"""The serving core, side by side: codestar-local's App under uvicorn, granian (RSGI) and our own server.

    python bench/bench_protocol.py [--seconds 5] [--rounds 3] [--connections 8,64]

Every server runs one process with memory state and --auth off, on uvloop where it has a choice; wrk drives
GetConnection of one of 8 connections. The floors are the do-nothing app (answers 200 `{}`) under uvicorn
(bench/nothing.py, uvloop + httptools) and under our server (bench/nothing_ours.py). Rounds are interleaved and the
median round is reported: requests/s, server CPU per request (all of a server's processes and threads) and p99, each
also as a ratio to the uvicorn floor. Granian needs `pip install granian`; without it its row is left out.
Results are appended to bench/results/history.jsonl.
"""

from __future__ import annotations

import argparse
import importlib.util
import pathlib
import shutil
import sys

from run import BASELINE_LUA, free_port, get_lua, measure, median_run, seconds, start, stop, wait_ready

HERE = pathlib.Path(__file__).resolve().parent
UVICORN_APP = (
    "import sys, uvicorn; uvicorn.run('codestar_local.asgi:create_app', factory=True, host='127.0.0.1', port=int(sys.argv[1]), "
    "loop='uvloop', http='httptools', log_level='warning', access_log=False, server_header=False)"
)


def systems(port: dict) -> dict:
    """name -> (command, serves codestar-local?)"""
    py = sys.executable
    out = {
        "floor: nothing, uvicorn": ([py, "-m", "uvicorn", "bench.nothing:app", "--port", str(port["floor: nothing, uvicorn"]),
                                     "--loop", "uvloop", "--http", "httptools", "--log-level", "warning", "--no-access-log",
                                     "--app-dir", str(HERE.parent)], False),
        "floor: nothing, ours": ([py, str(HERE / "nothing_ours.py"), str(port["floor: nothing, ours"])], False),
        "App under uvicorn": ([py, "-c", UVICORN_APP, str(port["App under uvicorn"])], True),
        "App under ours (serve)": ([py, "-m", "codestar_local.cli", "serve", "--state", "memory", "--port",
                                    str(port["App under ours (serve)"])], True),
    }
    if importlib.util.find_spec("granian") is not None:
        out["App under granian RSGI"] = ([py, "-m", "granian", "--interface", "rsgi", "--host", "127.0.0.1", "--port",
                                          str(port["App under granian RSGI"]), "--workers", "1", "--runtime-threads", "1",
                                          "--loop", "uvloop", "--working-dir", str(HERE), "--log-level", "warning",
                                          "rsgi_app:app"], True)
    return out


NAMES = ("floor: nothing, uvicorn", "floor: nothing, ours", "App under uvicorn", "App under granian RSGI", "App under ours (serve)")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--connections", default="8,64")
    ap.add_argument("--no-history", action="store_true", help="do not append to bench/results/history.jsonl")
    args = ap.parse_args()
    counts = [int(c) for c in args.connections.split(",") if c.strip()]
    if not shutil.which("wrk"):
        print("bench/bench_protocol.py needs wrk (apt-get install wrk)", file=sys.stderr)
        return 2
    ports = {name: free_port() for name in NAMES}
    cmds = systems(ports)
    procs = {name: start(cmd, ports[name]) for name, (cmd, _) in cmds.items()}
    runs = {n: {name: [] for name in cmds} for n in counts}
    try:
        luas = {}
        for name, (_, real) in cmds.items():
            health = "/_codestar-local/health" if real else "/"
            wait_ready(f"http://127.0.0.1:{ports[name]}{health}", procs[name])
            luas[name] = get_lua(ports[name]) if real else BASELINE_LUA % ('"x"', "AKIDEXAMPLE")
        for _ in range(args.rounds):
            for n in counts:
                for name in cmds:
                    runs[n][name].append(measure(procs[name], ports[name], luas[name], args.seconds, n))
    finally:
        for proc in procs.values():
            stop(proc)
    results = {}
    print(f"{'GetConnection':26} {'conns':>5} {'req/s':>9} {'x floor':>8} {'CPU us/req':>11} {'x floor':>8} {'p99':>9} {'x floor':>8}")
    for n in counts:
        chosen = {name: median_run(r) for name, r in runs[n].items()}
        floor = chosen["floor: nothing, uvicorn"]
        for name, r in chosen.items():
            if r["errors"]:
                print(f"{name}: {r['errors']} non-2xx responses: the measurement is void", file=sys.stderr)
                return 1
            r["ratio_rps"] = round(r["rps"] / floor["rps"], 3)
            r["ratio_cpu"] = round(r["cpu_us_per_request"] / floor["cpu_us_per_request"], 3)
            r["ratio_p99"] = round(seconds(r["p99"]) / seconds(floor["p99"]), 2)
            print(f"{name:26} {n:5d} {r['rps']:9.0f} {r['ratio_rps']:8.2f} {r['cpu_us_per_request']:11.1f} {r['ratio_cpu']:8.2f} "
                  f"{r['p99']:>9} {r['ratio_p99']:8.2f}")
        results[str(n)] = chosen
    if args.no_history:
        return 0
    import json
    import time

    (HERE / "results").mkdir(exist_ok=True)
    with open(HERE / "results" / "history.jsonl", "a") as f:
        f.write(json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%S"), "bench": "serving-core", "args": vars(args), "results": results}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
