"""CodeStar reads and writes through App.handle, as ratios to GetConnection in the same process and run.

    python bench/bench_codestar.py [--calls 5000] [--rounds 5] [--state memory|PATH]

GetConnection is the baseline: the connection services' most common call, already
measured against a do-nothing ASGI app by bench/run.py. Each CodeStar line is the
median of --rounds loops of --calls requests replayed straight into App.handle
(no HTTP, no boto3), the rounds taking turns so load changes hit every line alike.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time

from codestar_local.app import App, Request

ACCOUNT = "123456789012"


def request(target: str, body: dict, version: str = "1.0", service: str = "codestar-connections") -> Request:
    headers = {
        "content-type": f"application/x-amz-json-{version}",
        "x-amz-target": target,
        "authorization": f"AWS4-HMAC-SHA256 Credential={ACCOUNT}/20260101/us-east-1/{service}/aws4_request, "
        "SignedHeaders=host, Signature=00",
    }
    return Request("POST", "/", headers, json.dumps(body).encode())


def codestar(op: str, body: dict) -> Request:
    return request(f"CodeStar_20170419.{op}", body, "1.1", "codestar")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--state", default=None, help="memory or a SQLite path (default: a temporary SQLite file)")
    args = parser.parse_args()
    state = args.state or tempfile.mkdtemp() + "/bench.db"
    app = App(state)
    made = app.handle(request("com.amazonaws.codestar.connections.CodeStar_connections_20191201.CreateConnection",
                              {"ConnectionName": "bench", "ProviderType": "GitHub"}))
    arn = json.loads(made.body)["ConnectionArn"]
    assert app.handle(codestar("CreateProject", {"name": "bench", "id": "bench", "tags": {"a": "b"}})).status == 200
    for n in range(20):
        app.handle(codestar("AssociateTeamMember", {"projectId": "bench", "userArn": f"arn:aws:iam::{ACCOUNT}:user/u{n:02d}",
                                                    "projectRole": "Viewer"}))
    counter = iter(range(10**9))
    cases = {
        "GetConnection (baseline)": lambda: request(
            "com.amazonaws.codestar.connections.CodeStar_connections_20191201.GetConnection", {"ConnectionArn": arn}),
        "DescribeProject": lambda: codestar("DescribeProject", {"id": "bench"}),
        "ListTeamMembers (21)": lambda: codestar("ListTeamMembers", {"projectId": "bench"}),
        "ListTagsForProject": lambda: codestar("ListTagsForProject", {"id": "bench"}),
        "UpdateUserProfile": lambda: codestar("UpdateUserProfile", {"userArn": f"arn:aws:iam::{ACCOUNT}:user/u00",
                                                                    "displayName": f"n{next(counter)}"}),
        "TagProject": lambda: codestar("TagProject", {"id": "bench", "tags": {"k": str(next(counter))}}),
    }
    app.handle(codestar("CreateUserProfile", {"userArn": f"arn:aws:iam::{ACCOUNT}:user/u00", "displayName": "u",
                                              "emailAddress": "u@example.com"}))
    times: dict = {name: [] for name in cases}
    for _ in range(args.rounds):
        for name, make in cases.items():
            reqs = [make() for _ in range(args.calls)]
            start = time.perf_counter()
            for r in reqs:
                reply = app.handle(r)
            times[name].append((time.perf_counter() - start) / args.calls)
            assert reply.status == 200, (name, reply.body)
    app.close()
    base = statistics.median(times["GetConnection (baseline)"])
    print(f"state: {app.store.url}; {args.calls} calls x {args.rounds} rounds, median per call")
    print(f"{'operation':28} {'µs/call':>9} {'× GetConnection':>16}")
    for name, values in times.items():
        t = statistics.median(values)
        print(f"{name:28} {t * 1e6:9.1f} {t / base:16.2f}")


if __name__ == "__main__":
    main()
