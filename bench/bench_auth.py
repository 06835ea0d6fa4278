"""What `--auth verify` costs: GetConnection with SigV4 verification against the same server without it.

    python bench/bench_auth.py [--seconds 5] [--rounds 3] [--connections 8] [--signed 2000]

Starts `codestar-local serve --auth off` and `serve --auth verify --credentials FILE` side by side (memory state),
makes 8 connections in each, and drives both with wrk in interleaved rounds with the same requests: GetConnection,
each request signed for real by botocore's signer (a pool of --signed distinct requests, signed just before the
run, so every one is inside the 5-minute clock window and every signature is checked afresh; nothing caches a
verdict). Reports the median round's requests/s and server CPU per request, and verify/off as a ratio.
Results are appended to bench/results/history.jsonl.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import shutil
import sys
import tempfile
import urllib.request

from run import free_port, measure, median_run, report, start, stop, wait_ready

HERE = pathlib.Path(__file__).resolve().parent
KEY, SECRET, ACCOUNT = "AKIABENCHEXAMPLE0001", "bench/secret/EXAMPLEKEY", "123456789012"
TARGET = "com.amazonaws.codestar.connections.CodeStar_connections_20191201."

LUA = """
local reqs = {%s}
local i = 0
request = function()
  i = i + 1
  local r = reqs[(i %% #reqs) + 1]
  return wrk.format("POST", "/", {
    ["Content-Type"] = "application/x-amz-json-1.0",
    ["X-Amz-Target"] = "%sGetConnection",
    ["X-Amz-Date"] = r[1],
    ["Authorization"] = r[2],
  }, r[3])
end
"""


def signed(port: int, operation: str, body: bytes) -> dict:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(
        method="POST",
        url=f"http://127.0.0.1:{port}/",
        data=body,
        headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": TARGET + operation},
    )
    SigV4Auth(Credentials(KEY, SECRET), "codestar-connections", "us-east-1").add_auth(request)
    return dict(request.headers.items())


def call(port: int, operation: str, params: dict) -> dict:
    body = json.dumps(params).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/", data=body, headers=signed(port, operation, body))
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())


def lua_for(port: int, arns: list[str], count: int) -> str:
    """`count` GetConnection requests, each with its own body (a padded ARN) and so its own signature."""
    rows = []
    for i in range(count):
        body = json.dumps({"ConnectionArn": arns[i % len(arns)]}).encode() + b" " * (i // len(arns) % 64)
        h = signed(port, "GetConnection", body)
        rows.append('{"%s", "%s", "%s"}' % (h["X-Amz-Date"], h["Authorization"], body.decode().replace('"', '\\"')))
    return LUA % (",\n".join(rows), TARGET)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--signed", type=int, default=2000, help="distinct signed requests in the pool")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        print("bench/bench_auth.py needs wrk (apt-get install wrk)", file=sys.stderr)
        return 2
    tmp = tempfile.mkdtemp()
    credentials = pathlib.Path(tmp, "credentials")
    credentials.write_text(f"[bench]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\naws_account_id = {ACCOUNT}\n")
    ports = {"off": free_port(), "verify": free_port()}
    extra = {"off": [], "verify": ["--auth", "verify", "--credentials", str(credentials)]}
    procs = {
        mode: start([sys.executable, "-m", "codestar_local.cli", "serve", "--port", str(port), "--state", "memory", *extra[mode]], port)
        for mode, port in ports.items()
    }
    runs: dict[str, list] = {"off": [], "verify": []}
    try:
        luas = {}
        for mode, port in ports.items():
            wait_ready(f"http://127.0.0.1:{port}/_codestar-local/health", procs[mode])
            arns = [call(port, "CreateConnection", {"ProviderType": "GitHub", "ConnectionName": f"c{i}"})["ConnectionArn"] for i in range(8)]
            luas[mode] = lua_for(port, arns, args.signed)
        for _ in range(args.rounds):
            for mode in ("off", "verify"):
                runs[mode].append(measure(procs[mode], ports[mode], luas[mode], args.seconds, args.connections))
    finally:
        for proc in procs.values():
            stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)
    results = {mode: median_run(r) for mode, r in runs.items()}
    off, verify = results["off"], results["verify"]
    for mode, r in results.items():
        if r["errors"]:
            print(f"{mode}: {r['errors']} non-2xx responses: the measurement is void", file=sys.stderr)
            return 1
    ratio = verify["rps"] / off["rps"]
    cpu = verify["cpu_us_per_request"] - off["cpu_us_per_request"]
    results["ratio_rps"] = round(ratio, 3)
    report("auth", args, results, label=lambda mode: f"auth {mode}")
    print(f"verify / off: {ratio:.3f} of the requests/s, {cpu:+.1f} us of server CPU per request")
    return 0


if __name__ == "__main__":
    sys.exit(main())
