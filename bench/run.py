"""Throughput and server CPU per request, against a do-nothing ASGI app in the same run.

    python bench/run.py [--seconds 5] [--rounds 3] [--connections 16] [--state file|memory] [--workers 1]

Starts, side by side on free ports with the same uvicorn settings (uvloop +
httptools): the do-nothing app (answers 200 `{}`) and `codestar-local serve`.
Drives them in interleaved rounds with wrk (Debian package `wrk`) for a fixed
time and connection count, reading each server's CPU time from /proc, and
reports the median round: requests/s, CPU microseconds per request, and ratios
to the baseline. GetConnection reads one of 8 connections; CreateConnection
writes into a new account each request (the 250-connection quota never bites).
Results are appended to bench/results/history.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent
TICK = os.sysconf("SC_CLK_TCK")

GET_LUA = """
local arns = {%s}
local i = 0
request = function()
  i = i + 1
  local body = '{"ConnectionArn": "' .. arns[(i %% #arns) + 1] .. '"}'
  return wrk.format("POST", "/", {
    ["Content-Type"] = "application/x-amz-json-1.0",
    ["X-Amz-Target"] = "com.amazonaws.codestar.connections.CodeStar_connections_20191201.GetConnection",
    ["Authorization"] = "AWS4-HMAC-SHA256 Credential=%s/20261121/us-east-1/codestar-connections/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=00",
    ["X-Amz-Date"] = "20261121T000000Z",
  }, body)
end
"""

# Every request in its own account (rotating), so the 250-connection quota never bites.
CREATE_LUA = """
local i = 0
local base = %d
request = function()
  i = i + 1
  local account = string.format("%%012d", base + (i %% 2000000))
  local body = '{"ProviderType": "GitHub", "ConnectionName": "bench-' .. i .. '"}'
  return wrk.format("POST", "/", {
    ["Content-Type"] = "application/x-amz-json-1.0",
    ["X-Amz-Target"] = "com.amazonaws.codestar.connections.CodeStar_connections_20191201.CreateConnection",
    ["Authorization"] = "AWS4-HMAC-SHA256 Credential=" .. account .. "/20261121/us-east-1/codestar-connections/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=00",
    ["X-Amz-Date"] = "20261121T000000Z",
  }, body)
end
"""

BASELINE_LUA = GET_LUA


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process and its children that have been waited for."""
    total = 0.0
    pids = [pid] + children(pid)
    for p in pids:
        try:
            fields = pathlib.Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / TICK
    return total


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children, in MiB."""
    total = 0
    for p in [pid] + children(pid):
        try:
            for line in pathlib.Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total / 1024


def children(pid: int) -> list[int]:
    out = []
    for task in pathlib.Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except FileNotFoundError:
            pass
    return out + [g for c in out for g in children(c)]


def wait_ready(url: str, proc) -> None:
    deadline = time.time() + 30
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stdout.read().decode()}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"not ready: {url}")


def wrk(port: int, lua: str, seconds: float, connections: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(lua)
        script = f.name
    try:
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{int(round(seconds))}s", "--latency", "-s", script, f"http://127.0.0.1:{port}/"],
            capture_output=True,
            text=True,
            timeout=seconds + 30,
            check=True,
        ).stdout
    finally:
        os.unlink(script)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p50 = re.search(r"50%\s+([\d.]+\w+)", out)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out)
    return {
        "rps": rps,
        "requests": total,
        "errors": int(non2xx.group(1)) if non2xx else 0,
        "p50": p50.group(1) if p50 else None,
        "p99": p99.group(1) if p99 else None,
    }


def measure(proc, port, lua, seconds, connections) -> dict:
    # Warm up (JIT-free Python still fills caches, SQLite pages, uvloop buffers).
    wrk(port, lua, 1, connections)
    before = cpu_seconds(proc.pid)
    result = wrk(port, lua, seconds, connections)
    used = cpu_seconds(proc.pid) - before
    result["cpu_us_per_request"] = used / result["requests"] * 1e6 if result["requests"] else None
    return result


def median_run(runs: list[dict]) -> dict:
    """The run with the median requests/s, with every run's requests/s kept for the record."""
    ordered = sorted(runs, key=lambda r: r["rps"])
    chosen = dict(ordered[len(ordered) // 2])
    chosen["all_rps"] = [round(r["rps"]) for r in runs]
    return chosen


def report(bench: str, args, results: dict, label=lambda name: name) -> None:
    """Print one row per case of a side-by-side bench and append the run to bench/results/history.jsonl."""
    print(f"{'GetConnection':16} {'req/s':>9} {'CPU us/req':>11} {'p99':>8}  all rounds")
    for name, r in results.items():
        if isinstance(r, dict) and "rps" in r:
            print(f"{label(name):16} {r['rps']:9.0f} {r['cpu_us_per_request']:11.1f} {r['p99']:>8}  {r['all_rps']}")
    (HERE / "results").mkdir(exist_ok=True)
    with open(HERE / "results" / "history.jsonl", "a") as f:
        f.write(json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%S"), "bench": bench, "args": vars(args), "results": results}) + "\n")


def create_connection(port: int, name: str) -> str:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/",
        data=json.dumps({"ProviderType": "GitHub", "ConnectionName": name}).encode(),
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "com.amazonaws.codestar.connections.CodeStar_connections_20191201.CreateConnection",
            "Authorization": "AWS4-HMAC-SHA256 Credential=123456789012/20261121/us-east-1/codestar-connections/aws4_request, SignedHeaders=host, Signature=00",
        },
    )
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())["ConnectionArn"]


def start(cmd, port) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return proc


def stop(proc) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds per case; the median is reported")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--state", choices=["file", "memory", "postgres"], default="file",
                    help="postgres: a fresh database on the PostgreSQL server at $CODESTAR_LOCAL_BENCH_PG "
                    "(default postgresql://postgres@127.0.0.1:5432/postgres), dropped afterwards")
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()
    if not shutil.which("wrk"):
        print("bench/run.py needs wrk (apt-get install wrk)", file=sys.stderr)
        return 2

    tmp = tempfile.mkdtemp()
    pg_admin = pg_name = None
    if args.state == "postgres":
        import psycopg

        admin_url = os.environ.get("CODESTAR_LOCAL_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
        pg_name = f"codestar_local_bench_{os.getpid()}"
        pg_admin = psycopg.connect(admin_url, autocommit=True)
        pg_admin.execute(f'CREATE DATABASE "{pg_name}"')
        state = admin_url.rsplit("/", 1)[0] + "/" + pg_name
    else:
        state = os.path.join(tmp, "state.db") if args.state == "file" else "memory"
    base_port, port = free_port(), free_port()
    # Both servers run side by side; each is idle while the other is measured.
    base = start(
        [sys.executable, "-m", "uvicorn", "bench.nothing:app", "--port", str(base_port), "--loop", "uvloop", "--http", "httptools",
         "--log-level", "warning", "--no-access-log", "--app-dir", str(HERE.parent)],
        base_port,
    )
    srv = start(
        [sys.executable, "-m", "codestar_local.cli", "serve", "--port", str(port), "--state", state, "--workers", str(args.workers)],
        port,
    )
    runs: dict[str, list] = {"baseline": [], "GetConnection": [], "CreateConnection": []}
    try:
        wait_ready(f"http://127.0.0.1:{base_port}/", base)
        wait_ready(f"http://127.0.0.1:{port}/_codestar-local/health", srv)
        arns = [create_connection(port, f"c{i}") for i in range(8)]
        get_lua = GET_LUA % (", ".join(f'"{a}"' for a in arns), "123456789012")
        for round_ in range(args.rounds):
            # Interleaved rounds, so drift in the machine's load hits every case alike.
            runs["baseline"].append(measure(base, base_port, BASELINE_LUA % ('"x"', "AKIDEXAMPLE"), args.seconds, args.connections))
            runs["GetConnection"].append(measure(srv, port, get_lua, args.seconds, args.connections))
            runs["CreateConnection"].append(
                measure(srv, port, CREATE_LUA % (100000000000 + round_ * 10000000), args.seconds, args.connections)
            )
        memory = {"baseline": rss_mib(base.pid), "codestar-local": rss_mib(srv.pid)}
    finally:
        stop(base)
        stop(srv)
        shutil.rmtree(tmp, ignore_errors=True)
        if pg_admin is not None:
            pg_admin.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
            pg_admin.close()
    results = {name: median_run(r) for name, r in runs.items()}

    b = results["baseline"]
    print(f"{'case':18} {'req/s':>9} {'ratio':>7} {'CPU us/req':>11} {'CPU x':>6} {'p50':>8} {'p99':>8} {'non-2xx':>8}")
    for name, r in results.items():
        ratio = r["rps"] / b["rps"]
        cpu_ratio = r["cpu_us_per_request"] / b["cpu_us_per_request"]
        r["ratio_rps"] = round(ratio, 3)
        r["ratio_cpu"] = round(cpu_ratio, 2)
        print(f"{name:18} {r['rps']:9.0f} {ratio:7.2f} {r['cpu_us_per_request']:11.1f} {cpu_ratio:6.2f} {r['p50']:>8} {r['p99']:>8} {r['errors']:8d}")
    print(
        f"server RSS after the runs: do-nothing {memory['baseline']:.1f} MiB, codestar-local {memory['codestar-local']:.1f} MiB "
        f"({memory['codestar-local'] / memory['baseline']:.2f}x)"
    )
    results["rss_mib"] = memory
    (HERE / "results").mkdir(exist_ok=True)
    with open(HERE / "results" / "history.jsonl", "a") as f:
        f.write(json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%S"), "args": vars(args), "results": results}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
