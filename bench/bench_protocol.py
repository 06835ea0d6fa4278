"""What serve's HTTP protocol costs: the same app under uvicorn's stock httptools protocol and under
http_protocol.OneWriteHttpToolsProtocol (one write per response, header caps, request timeout), side by side.

    python bench/bench_protocol.py [--seconds 5] [--rounds 3] [--connections 16]

Both serve `codestar_local.asgi:create_app` (memory state, --auth off) with uvloop; wrk drives GetConnection on one of
8 connections in interleaved rounds. Reports the median round and ours/stock as a ratio of requests/s and of CPU per
request. Results are appended to bench/results/history.jsonl.
"""

from __future__ import annotations

import argparse
import pathlib
import shutil
import sys

from run import free_port, get_lua, measure, median_run, report, start, stop, wait_ready

HERE = pathlib.Path(__file__).resolve().parent
RUNNER = (
    "import sys, uvicorn; uvicorn.run('codestar_local.asgi:create_app', factory=True, host='127.0.0.1', port=int(sys.argv[1]), "
    "loop='uvloop', http=sys.argv[2], log_level='warning', access_log=False, server_header=False)"
)
PROTOCOLS = {"stock": "httptools", "ours": "codestar_local.http_protocol:OneWriteHttpToolsProtocol"}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--connections", type=int, default=16)
    args = ap.parse_args()
    if not shutil.which("wrk"):
        print("bench/bench_protocol.py needs wrk (apt-get install wrk)", file=sys.stderr)
        return 2
    ports = {name: free_port() for name in PROTOCOLS}
    procs = {name: start([sys.executable, "-c", RUNNER, str(ports[name]), http], ports[name]) for name, http in PROTOCOLS.items()}
    runs: dict[str, list] = {name: [] for name in PROTOCOLS}
    try:
        luas = {}
        for name, port in ports.items():
            wait_ready(f"http://127.0.0.1:{port}/_codestar-local/health", procs[name])
            luas[name] = get_lua(port)
        for _ in range(args.rounds):
            for name in PROTOCOLS:
                runs[name].append(measure(procs[name], ports[name], luas[name], args.seconds, args.connections))
    finally:
        for proc in procs.values():
            stop(proc)
    results = {name: median_run(r) for name, r in runs.items()}
    for name, r in results.items():
        if r["errors"]:
            print(f"{name}: {r['errors']} non-2xx responses: the measurement is void", file=sys.stderr)
            return 1
    stock, ours = results["stock"], results["ours"]
    ratio, cpu = ours["rps"] / stock["rps"], ours["cpu_us_per_request"] / stock["cpu_us_per_request"]
    results["ratio_rps"], results["ratio_cpu"] = round(ratio, 3), round(cpu, 3)
    report("protocol", args, results)
    print(f"ours / stock: {ratio:.3f} of the requests/s, {cpu:.3f} of the CPU per request")
    return 0


if __name__ == "__main__":
    sys.exit(main())
