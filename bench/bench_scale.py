"""How codestar-local grows with what it stores: start-up, memory and listing, each against a baseline of the same run.

    python bench/bench_scale.py [--big 100000] [--small 1000] [--start-items 10000] [--rounds 3] [--seconds 3] [--smoke]

Three of issue 13's rows:
- **start to first 2xx**: from process start to the first answered GetConnection, on a SQLite state that holds
  --start-items connections, against moto_server's start to its first 2xx (moto[server]), median of --rounds;
- **resident memory with --big connections stored** (SQLite), after a GetConnection and a ListConnections page,
  against the do-nothing ASGI app's under the same uvicorn;
- **ListConnections, one page of 100**, with --big stored against --small stored (two servers side by side, wrk
  in interleaved rounds): the cost ratio (requests/s small / big).

States are built through App.handle into SQLite files (what `serve` would have written), 200 connections per account
(the quota is 250): the listed account holds 200 in every state, so only what else is stored differs. --smoke runs it all with
tiny sizes, to check the bench works (CI), not how fast anything is. Writes bench/results/scale-<date>.json and a
chart, bench/results/scale-<date>.png (matplotlib), and appends to bench/results/history.jsonl.
"""

from __future__ import annotations

import argparse
import datetime
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

from run import HERE, free_port, median_run, measure, rss_mib, start, stop, wait_ready

TARGET = "com.amazonaws.codestar.connections.CodeStar_connections_20191201."
ACCOUNT = "123456789012"
AUTH = f"AWS4-HMAC-SHA256 Credential={ACCOUNT}/20261204/us-east-1/codestar-connections/aws4_request, SignedHeaders=host, Signature=0"

LIST_LUA = """
request = function()
  return wrk.format("POST", "/", {
    ["Content-Type"] = "application/x-amz-json-1.0",
    ["X-Amz-Target"] = "%sListConnections",
    ["Authorization"] = "%s",
  }, '{"MaxResults": 100}')
end
""" % (TARGET, AUTH)


def build_state(path: str, count: int) -> str:
    """A SQLite state with `count` connections in one account (the quota is per account, so spread them)."""
    from codestar_local.app import App
    from codestar_local.messages import Request

    app = App(path)
    first = None
    for i in range(count):
        account = f"{100000000000 + i // 200:012d}" if i >= 200 else ACCOUNT  # 200 per account, under the 250 quota
        headers = {"content-type": "application/x-amz-json-1.0", "x-amz-target": TARGET + "CreateConnection",
                   "authorization": AUTH.replace(ACCOUNT, account)}
        reply = app.handle(Request("POST", "/", headers, json.dumps({"ProviderType": "GitHub", "ConnectionName": f"c{i}"}).encode()))
        assert reply.status == 200, reply.body
        if first is None:
            first = json.loads(reply.body)["ConnectionArn"]
    app.close()
    return first


def call(port: int, operation: str, body: dict) -> int:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/", data=json.dumps(body).encode(), headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": TARGET + operation, "Authorization": AUTH})
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.status


def first_2xx(cmd: list, probe) -> float:
    """Seconds from starting `cmd` to the first 2xx that `probe(port)` gets."""
    port = free_port()
    began = time.perf_counter()
    proc = subprocess.Popen([c.replace("{port}", str(port)) for c in cmd], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = began + 60
        while True:
            try:
                if 200 <= probe(port) < 300:
                    return time.perf_counter() - began
            except OSError:
                pass
            if proc.poll() is not None or time.perf_counter() > deadline:
                raise RuntimeError(f"{cmd[0]} did not answer")
            time.sleep(0.002)
    finally:
        stop(proc)


def compiled(package: str) -> None:
    """Bytecode for a package, as `pip install` leaves it: an editable install run with PYTHONDONTWRITEBYTECODE (or
    from a read-only tree) would compile every module from source at every start, which no user's start pays."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec(package)
    if spec is not None and spec.submodule_search_locations:
        for where in spec.submodule_search_locations:
            compileall.compile_dir(where, quiet=1)


def moto_probe(port: int) -> int:
    # moto_server's own health: the moto API's list of recorded calls.
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/data.json", timeout=5) as r:
        return r.status


def serve_cmd(state: str, port: str = "{port}") -> list:
    return [sys.executable, "-m", "codestar_local.cli", "serve", "--port", port, "--state", state, "--metrics", "off"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--big", type=int, default=100_000)
    ap.add_argument("--small", type=int, default=1_000)
    ap.add_argument("--start-items", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=3)
    ap.add_argument("--smoke", action="store_true", help="tiny sizes and one short round: does it work")
    ap.add_argument("--out", default=None, help="where the JSON and the chart go (bench/results)")
    args = ap.parse_args()
    if args.smoke:
        args.big, args.small, args.start_items, args.rounds, args.seconds = 800, 200, 200, 1, 1
    if not shutil.which("wrk") or not shutil.which("moto_server"):
        print("bench/bench_scale.py needs wrk (apt-get install wrk) and moto_server (pip install 'moto[server]')", file=sys.stderr)
        return 2
    tmp = pathlib.Path(tempfile.mkdtemp())
    results: dict = {}
    try:
        states = {}
        for label, count in (("start", args.start_items), ("small", args.small), ("big", args.big)):
            path = str(tmp / f"{label}.db")
            built = time.perf_counter()
            arn = build_state(path, count)
            states[label] = (path, arn)
            print(f"state {label}: {count} connections built in {time.perf_counter() - built:.1f} s", file=sys.stderr)

        # Start to first 2xx, each side with its bytecode compiled.
        compiled("codestar_local")
        compiled("moto")
        start_arn = states["start"][1]
        ours = [first_2xx(serve_cmd(states["start"][0]), lambda port: call(port, "GetConnection", {"ConnectionArn": start_arn}))
                for _ in range(args.rounds)]
        theirs = [first_2xx(["moto_server", "-p", "{port}", "-H", "127.0.0.1"], moto_probe) for _ in range(args.rounds)]
        ours_s, theirs_s = sorted(ours)[len(ours) // 2], sorted(theirs)[len(theirs) // 2]
        results["start"] = {"codestar_local_s": round(ours_s, 4), "moto_server_s": round(theirs_s, 4),
                            "ratio": round(ours_s / theirs_s, 3), "all": [round(x, 4) for x in ours], "moto_all": [round(x, 4) for x in theirs],
                            "items": args.start_items}

        # Memory with --big stored, and List with --big against --small.
        base_port, small_port, big_port = free_port(), free_port(), free_port()
        base = start([sys.executable, "-m", "uvicorn", "bench.nothing:app", "--port", str(base_port), "--loop", "uvloop", "--http",
                      "httptools", "--log-level", "warning", "--no-access-log", "--app-dir", str(HERE.parent)], base_port)
        small = start(serve_cmd(states["small"][0], str(small_port)), small_port)
        big = start(serve_cmd(states["big"][0], str(big_port)), big_port)
        try:
            wait_ready(f"http://127.0.0.1:{base_port}/", base)
            for proc, port, label in ((small, small_port, "small"), (big, big_port, "big")):
                wait_ready(f"http://127.0.0.1:{port}/_codestar-local/health", proc)
                assert call(port, "GetConnection", {"ConnectionArn": states[label][1]}) == 200
                assert call(port, "ListConnections", {"MaxResults": 100}) == 200
            results["memory"] = {"codestar_local_mib": round(rss_mib(big.pid), 1), "baseline_mib": round(rss_mib(base.pid), 1),
                                 "items": args.big}
            results["memory"]["ratio"] = round(results["memory"]["codestar_local_mib"] / results["memory"]["baseline_mib"], 3)
            runs = {"small": [], "big": []}
            for _ in range(args.rounds):
                runs["small"].append(measure(small, small_port, LIST_LUA, args.seconds, 8))
                runs["big"].append(measure(big, big_port, LIST_LUA, args.seconds, 8))
            listed = {k: median_run(v) for k, v in runs.items()}
            if any(r["errors"] for r in listed.values()):
                print(f"non-2xx responses: the measurement is void: {listed}", file=sys.stderr)
                return 1
            results["list"] = {"small_rps": listed["small"]["rps"], "big_rps": listed["big"]["rps"],
                               "cost_ratio": round(listed["small"]["rps"] / listed["big"]["rps"], 3),
                               "small_items": args.small, "big_items": args.big,
                               "small_cpu_us": listed["small"]["cpu_us_per_request"], "big_cpu_us": listed["big"]["cpu_us_per_request"]}
        finally:
            for proc in (base, small, big):
                stop(proc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    rows = [
        ("start to first 2xx", f"{results['start']['codestar_local_s'] * 1000:.0f} ms with {args.start_items} stored", f"{results['start']['ratio']:.2f}x moto_server ({results['start']['moto_server_s'] * 1000:.0f} ms)", "<= 0.25 s and <= 0.5x"),
        ("RSS", f"{results['memory']['codestar_local_mib']:.1f} MiB with {args.big} stored", f"{results['memory']['ratio']:.2f}x the do-nothing app ({results['memory']['baseline_mib']:.1f} MiB)", "<= 1.5x"),
        ("ListConnections, 100", f"{results['list']['big_rps']:.0f} req/s with {args.big}, {results['list']['small_rps']:.0f} with {args.small}", f"{results['list']['cost_ratio']:.2f}x the cost", "<= 1.2x"),
    ]
    for row in rows:
        print(f"{row[0]:22} {row[1]:42} {row[2]:42} target {row[3]}")
    stamp = datetime.date.today().isoformat() + ("-smoke" if args.smoke else "")
    out = pathlib.Path(args.out) if args.out else HERE / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"scale-{stamp}.json").write_text(json.dumps({"args": vars(args), "results": results}, indent=2) + "\n")
    chart(results, out / f"scale-{stamp}.png")
    if not args.smoke and not args.out:
        with open(out / "history.jsonl", "a") as f:
            f.write(json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%S"), "bench": "scale", "args": vars(args), "results": results}) + "\n")
    return 0


def chart(results: dict, path: pathlib.Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    s, m, lst = results["start"], results["memory"], results["list"]
    panels = (
        (axes[0], "start to first 2xx (ms)", ["codestar-local", "moto_server"], [s["codestar_local_s"] * 1000, s["moto_server_s"] * 1000]),
        (axes[1], "resident memory (MiB)", [f"{m['items']} stored", "do-nothing app"], [m["codestar_local_mib"], m["baseline_mib"]]),
        (axes[2], "ListConnections (req/s)", [f"{lst['small_items']} stored", f"{lst['big_items']} stored"], [lst["small_rps"], lst["big_rps"]]),
    )
    for ax, title, labels, values in panels:
        ax.bar(labels, values, color=["#2b6cb0", "#a0aec0"])
        ax.set_title(title, fontsize=10)
        for i, v in enumerate(values):
            ax.annotate(f"{v:.0f}" if v >= 10 else f"{v:.2f}", (i, v), ha="center", va="bottom", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
