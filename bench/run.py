"""Throughput and server CPU per request, against a do-nothing ASGI app in the same run.

    python bench/run.py [--seconds 5] [--rounds 3] [--connections 8,64] [--state file|memory|postgres] [--workers 1]
                        [--no-scale] [--smoke] [--out DIR]

Starts, side by side on free ports: the do-nothing app (answers 200 `{}`) under
uvicorn (uvloop + httptools), the floor every ratio is to; the do-nothing app
under our own server (bench/nothing_ours.py); and `codestar-local serve`.
Drives them in interleaved rounds with wrk (Debian package `wrk`) for a fixed
time and connection count, reading each server's CPU time from /proc, and
reports the median round: requests/s, CPU microseconds per request, and ratios
to the baseline. GetConnection reads one of 8 connections; CreateConnection
writes into a new account each request (the 250-connection quota never bites).
It then runs bench_mock.py (mock_codestar GetConnection calls/s against boto3 answered by a canned before-send hook)
and bench_scale.py (start-up against moto_server, memory with 100,000 stored, listing with 100,000 against 1,000). Writes bench/results/<date>.json and a chart of requests/s and p99 per case and connection count,
bench/results/<date>.png, and appends to bench/results/history.jsonl. --smoke does one 1-second round of everything
with tiny sizes (tests/bench runs it in CI): it checks the bench works, not how fast anything is.
"""

from __future__ import annotations

import argparse
import contextlib
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


def get_lua(port: int) -> str:
    """Give a ready codestar-local server 8 connections, and the wrk script that reads them (GetConnection)."""
    arns = [create_connection(port, f"c{i}") for i in range(8)]
    return GET_LUA % (", ".join(f'"{a}"' for a in arns), "123456789012")


@contextlib.contextmanager
def pg_database(tag: str):
    """The URL of a new database on the PostgreSQL server at $CODESTAR_LOCAL_BENCH_PG, dropped afterwards."""
    import psycopg

    admin_url = os.environ.get("CODESTAR_LOCAL_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"codestar_local_bench_{tag}_{os.getpid()}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield admin_url.rsplit("/", 1)[0] + "/" + name
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
    ap.add_argument("--connections", default="8,64", help="client connections, comma-separated: each is measured")
    ap.add_argument("--state", choices=["file", "memory", "postgres"], default="file",
                    help="postgres: a fresh database on the PostgreSQL server at $CODESTAR_LOCAL_BENCH_PG "
                    "(default postgresql://postgres@127.0.0.1:5432/postgres), dropped afterwards")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--no-scale", action="store_true", help="skip bench_scale.py's rows (start-up, memory, listing)")
    ap.add_argument("--smoke", action="store_true", help="one 1-second round of everything: does the bench work")
    ap.add_argument("--out", default=None, help="where <date>.json and <date>.png go (bench/results)")
    args = ap.parse_args()
    if args.smoke:
        args.seconds, args.rounds = 1, 1
    counts = [int(c) for c in str(args.connections).split(",") if c.strip()]
    if not shutil.which("wrk"):
        print("bench/run.py needs wrk (apt-get install wrk)", file=sys.stderr)
        return 2

    tmp = tempfile.mkdtemp()
    database = pg_database("run") if args.state == "postgres" else contextlib.nullcontext()
    with database as url:
        state = url if url else os.path.join(tmp, "state.db") if args.state == "file" else "memory"
        return _main(args, counts, tmp, state)


def _main(args, counts, tmp, state) -> int:
    base_port, ours_port, port = free_port(), free_port(), free_port()
    # The servers run side by side; each is idle while another is measured.
    base = start(
        [sys.executable, "-m", "uvicorn", "bench.nothing:app", "--port", str(base_port), "--loop", "uvloop", "--http", "httptools",
         "--log-level", "warning", "--no-access-log", "--app-dir", str(HERE.parent)],
        base_port,
    )
    ours = start([sys.executable, str(HERE / "nothing_ours.py"), str(ours_port)], ours_port)
    srv = start(
        [sys.executable, "-m", "codestar_local.cli", "serve", "--port", str(port), "--state", state, "--workers", str(args.workers)],
        port,
    )
    cases = ("baseline", "baseline, our server", "GetConnection", "CreateConnection")
    runs: dict = {n: {case: [] for case in cases} for n in counts}
    try:
        wait_ready(f"http://127.0.0.1:{base_port}/", base)
        wait_ready(f"http://127.0.0.1:{ours_port}/", ours)
        wait_ready(f"http://127.0.0.1:{port}/_codestar-local/health", srv)
        get_script = get_lua(port)
        for round_ in range(args.rounds):
            for k, n in enumerate(counts):
                # Interleaved rounds, so drift in the machine's load hits every case alike.
                runs[n]["baseline"].append(measure(base, base_port, BASELINE_LUA % ('"x"', "AKIDEXAMPLE"), args.seconds, n))
                runs[n]["baseline, our server"].append(measure(ours, ours_port, BASELINE_LUA % ('"x"', "AKIDEXAMPLE"), args.seconds, n))
                runs[n]["GetConnection"].append(measure(srv, port, get_script, args.seconds, n))
                first = 100000000000 + (round_ * len(counts) + k) * 10000000
                runs[n]["CreateConnection"].append(measure(srv, port, CREATE_LUA % first, args.seconds, n))
        memory = {"baseline": rss_mib(base.pid), "codestar-local": rss_mib(srv.pid)}
    finally:
        stop(base)
        stop(ours)
        stop(srv)
        shutil.rmtree(tmp, ignore_errors=True)

    results: dict = {"connections": {}}
    print(f"{'case':18} {'conns':>5} {'req/s':>9} {'ratio':>7} {'CPU us/req':>11} {'CPU x':>6} {'p50':>8} {'p99':>8} {'p99 x':>6} {'non-2xx':>8}")
    for n in counts:
        chosen = {case: median_run(r) for case, r in runs[n].items()}
        b = chosen["baseline"]
        for case, r in chosen.items():
            r["ratio_rps"] = round(r["rps"] / b["rps"], 3)
            r["ratio_cpu"] = round(r["cpu_us_per_request"] / b["cpu_us_per_request"], 2)
            r["ratio_p99"] = round(seconds(r["p99"]) / seconds(b["p99"]), 2)
            print(f"{case:18} {n:5d} {r['rps']:9.0f} {r['ratio_rps']:7.2f} {r['cpu_us_per_request']:11.1f} {r['ratio_cpu']:6.2f} "
                  f"{r['p50']:>8} {r['p99']:>8} {r['ratio_p99']:6.2f} {r['errors']:8d}")
        results["connections"][str(n)] = chosen
    print(
        f"server RSS after the runs: do-nothing {memory['baseline']:.1f} MiB, codestar-local {memory['codestar-local']:.1f} MiB "
        f"({memory['codestar-local'] / memory['baseline']:.2f}x)"
    )
    results["rss_mib"] = memory
    # mock_codestar in process: boto3 answered by App.handle against boto3 answered by a canned hook.
    mock = subprocess.run([sys.executable, str(HERE / "bench_mock.py"), "--no-moto", "--json", "--rounds", "5",
                           *(["--calls", "200", "--rounds", "1"] if args.smoke else [])],
                          capture_output=True, text=True, timeout=600)
    if mock.returncode != 0:
        print(mock.stderr[-3000:], file=sys.stderr)
        return mock.returncode
    results["mock"] = json.loads(mock.stdout.strip().splitlines()[-1])
    m = results["mock"]
    print(f"mock_codestar GetConnection {m['mock_codestar']:.0f} calls/s, boto3 with a canned before-send hook "
          f"{m['floor']:.0f}: {m['ratio']:.2f}x")
    out = pathlib.Path(args.out) if args.out else HERE / "results"
    out.mkdir(parents=True, exist_ok=True)
    if not args.no_scale:
        # Start-up against moto_server, memory with 100,000 stored, listing with 100,000 against 1,000.
        scale = [sys.executable, str(HERE / "bench_scale.py"), "--out", str(out), *(["--smoke"] if args.smoke else [])]
        done = subprocess.run(scale, capture_output=True, text=True, timeout=1800)
        print(done.stdout, end="")
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
            return done.returncode
        (report_file,) = sorted(out.glob(f"scale-*{'-smoke' if args.smoke else ''}.json"), key=lambda f: f.stat().st_mtime)[-1:]
        results["scale"] = json.loads(report_file.read_text())["results"]
    stamp = time.strftime("%Y-%m-%d") + ("-smoke" if args.smoke else "")
    (out / f"{stamp}.json").write_text(json.dumps({"args": vars(args), "results": results}, indent=2) + "\n")
    chart(results, counts, out / f"{stamp}.png")
    if not args.smoke and not args.out:
        with open(HERE / "results" / "history.jsonl", "a") as f:
            f.write(json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%S"), "args": vars(args), "results": results}) + "\n")
    return 0


def seconds(text: str) -> float:
    """wrk's latency text (812.00us, 1.20ms, 2.00s) in seconds."""
    for unit, scale in (("us", 1e-6), ("ms", 1e-3), ("s", 1.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * scale
    return float(text)


def chart(results: dict, counts: list, path: pathlib.Path) -> None:
    """Requests/s and p99 per case and connection count."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cases = ("baseline", "baseline, our server", "GetConnection", "CreateConnection")
    labels = {"baseline": "do-nothing app (uvicorn)", "baseline, our server": "do-nothing app (our server)",
              "GetConnection": "GetConnection", "CreateConnection": "CreateConnection"}
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
    width = 0.8 / len(cases)
    for i, case in enumerate(cases):
        xs = [k + i * width for k in range(len(counts))]
        rows = [results["connections"][str(n)][case] for n in counts]
        left.bar(xs, [r["rps"] for r in rows], width, label=labels[case])
        right.bar(xs, [seconds(r["p99"]) * 1000 for r in rows], width, label=labels[case])
    for ax, title in ((left, "requests/s"), (right, "p99 latency (ms)")):
        ax.set_xticks([k + width for k in range(len(counts))], [f"{n} connections" for n in counts])
        ax.set_title(title, fontsize=10)
    left.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
