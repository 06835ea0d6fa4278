"""What the Prometheus metrics cost: `serve` (metrics on, the default) against `serve --metrics off`, side by side.

    python bench/bench_metrics.py [--seconds 5] [--rounds 5] [--connections 16] [--workers 1] [--calls 200000]

A third server, also with metrics off ("off again"), is the control: the gap between two identical servers is
what this machine cannot resolve, and on/off means something only outside it. All three run with the same
settings (memory state; with --workers N, a SQLite file each) and 8 connections each; wrk drives GetConnection,
the cheapest call and so the one where a per-request cost shows most, in interleaved rounds (the order rotates
each round). Reports the median round's requests/s and server CPU per request, on/off and off again/off as ratios.
wrk cannot see a fraction of a microsecond, so the bench also times App.handle in this process for the same
request, metrics on and off, in alternating batches (--calls in all), and a scrape of the 'on' server after its
rounds. Results are appended to bench/results/history.jsonl.
"""

from __future__ import annotations

import argparse
import gc
import json
import pathlib
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request

from run import free_port, get_lua, measure, median_run, report, start, stop, wait_ready

HERE = pathlib.Path(__file__).resolve().parent
MODES = ("off", "on")
SERVERS = {"off": "off", "on": "on", "off again": "off"}  # name -> --metrics
TARGET = "com.amazonaws.codestar.connections.CodeStar_connections_20191201."


def handle_cost(calls: int) -> dict:
    """CPU microseconds per App.handle of one GetConnection, metrics on and off (alternating batches)."""
    from codestar_local.app import App, Config, Request

    apps = {mode: App("memory", Config(metrics=mode == "on")) for mode in MODES}
    requests = {}
    for mode, app in apps.items():
        headers = {
            "content-type": "application/x-amz-json-1.0",
            "x-amz-target": TARGET + "CreateConnection",
            "authorization": "AWS4-HMAC-SHA256 Credential=123456789012/20261121/us-east-1/codestar-connections/aws4_request, "
            "SignedHeaders=host, Signature=00",
        }
        made = app.handle(Request("POST", "/", headers, b'{"ProviderType": "GitHub", "ConnectionName": "c"}'))
        arn = json.loads(made.body)["ConnectionArn"]
        requests[mode] = Request("POST", "/", {**headers, "x-amz-target": TARGET + "GetConnection"},
                                 json.dumps({"ConnectionArn": arn}).encode())
    batch = 2000
    times: dict[str, list] = {mode: [] for mode in MODES}
    gc.disable()
    try:
        for _ in range(max(1, calls // (2 * batch))):
            for mode in MODES:
                handle, req = apps[mode].handle, requests[mode]
                started = time.process_time()  # CPU time: a busy machine's other processes do not count
                for _ in range(batch):
                    handle(req)
                times[mode].append((time.process_time() - started) / batch * 1e6)
    finally:
        gc.enable()
        for app in apps.values():
            app.close()
    # The fastest batch of each: what the code costs, with the least of the machine's noise in it.
    out = {mode: round(min(t), 3) for mode, t in times.items()}
    out["extra_us"] = round(out["on"] - out["off"], 3)
    return out


def scrape_cost(port: int) -> dict:
    """Milliseconds for one scrape of a server (its size in bytes and series)."""
    url = f"http://127.0.0.1:{port}/_codestar-local/metrics"
    spent = []
    for _ in range(20):
        started = time.perf_counter()
        with urllib.request.urlopen(url) as r:
            body = r.read()
        spent.append((time.perf_counter() - started) * 1e3)
    series = sum(1 for line in body.splitlines() if line and not line.startswith(b"#"))
    return {"ms": round(statistics.median(spent), 2), "bytes": len(body), "series": series}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--calls", type=int, default=200000, help="App.handle calls timed in this process, both modes")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        print("bench/bench_metrics.py needs wrk (apt-get install wrk)", file=sys.stderr)
        return 2
    tmp = tempfile.mkdtemp()
    names = list(SERVERS)
    ports = {name: free_port() for name in names}
    procs = {}
    for i, (name, port) in enumerate(ports.items()):
        state = "memory" if args.workers == 1 else str(pathlib.Path(tmp, f"{i}.db"))
        cmd = [sys.executable, "-m", "codestar_local.cli", "serve", "--port", str(port), "--state", state,
               "--workers", str(args.workers), "--metrics", SERVERS[name]]
        procs[name] = start(cmd, port)
    runs: dict[str, list] = {name: [] for name in names}
    try:
        luas = {}
        for name, port in ports.items():
            wait_ready(f"http://127.0.0.1:{port}/_codestar-local/health", procs[name])
            luas[name] = get_lua(port)
        for i in range(args.rounds):
            for name in names[i % 3 :] + names[: i % 3]:  # a drifting machine favours no position
                runs[name].append(measure(procs[name], ports[name], luas[name], args.seconds, args.connections))
        scrape = scrape_cost(ports["on"])
    finally:
        for proc in procs.values():
            stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)
    results = {name: median_run(r) for name, r in runs.items()}
    for name, r in results.items():
        if r["errors"]:
            print(f"{name}: {r['errors']} non-2xx responses: the measurement is void", file=sys.stderr)
            return 1
    off, on, again = results["off"], results["on"], results["off again"]
    for key, other in (("ratio", on), ("control", again)):
        results[f"{key}_rps"] = round(other["rps"] / off["rps"], 3)
        results[f"{key}_cpu"] = round(other["cpu_us_per_request"] / off["cpu_us_per_request"], 3)
    results["handle_us"] = handle_cost(args.calls)
    results["scrape"] = scrape
    report("metrics", args, results)
    print(f"on / off:       {results['ratio_rps']:.3f} of the requests/s, {results['ratio_cpu']:.3f} of the CPU per request")
    print(f"off again / off: {results['control_rps']:.3f} of the requests/s, {results['control_cpu']:.3f} of the CPU per "
          "request (two identical servers: the noise)")
    h = results["handle_us"]
    print(f"App.handle of GetConnection: {h['off']:.2f} us off, {h['on']:.2f} us on ({h['extra_us']:+.2f} us)")
    print(f"one scrape: {scrape['ms']} ms, {scrape['series']} series, {scrape['bytes']} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
