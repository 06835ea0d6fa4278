"""boto3 calls per second: mock_codestar vs moto's mock_aws vs a canned-response floor, in one process.

    python bench/bench_mock.py [--calls 2000] [--rounds 3]

Needs the `bench` extra (moto[codecommit]): pip install -e '.[bench]'.

- floor: a codestar-connections client whose GetConnection is answered by a
  before-send hook returning fixed bytes: what boto3 itself costs per call
  (serialize, sign, parse), with no emulator at all.
- mock_codestar: GetConnection of an existing connection, answered in-process
  by App.handle (routing, validation, store read, encoding).
- moto: CodeCommit GetRepository under mock_aws (moto has no CodeStar
  Connections; GetRepository is a JSON-protocol read of one resource, the
  closest operation it has).
- App.handle alone: the GetConnection request captured from boto3, replayed
  straight into App.handle, without boto3.

Each line is the best of --rounds timed loops of --calls calls, after a warm-up;
the rounds take turns, so a change in the machine's load hits every line alike.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time

import boto3
import botocore.awsrequest
import botocore.config

CREDS = dict(region_name="us-east-1", aws_access_key_id="123456789012", aws_secret_access_key="secret")
ONE_TRY = botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"})
CANNED = (
    b'{"Connection": {"ConnectionName": "bench", "ConnectionArn": "arn:aws:codestar-connections:us-east-1:'
    b'123456789012:connection/5396080a-a1d5-4e52-9922-1d93c33730de", "ProviderType": "GitHub", '
    b'"OwnerAccountId": "123456789012", "ConnectionStatus": "PENDING"}}'
)


def rate(call, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        call()
    return calls / (time.perf_counter() - start)


class _Raw:
    def __init__(self, body):
        self.body = body

    def stream(self, **kw):
        yield self.body


def floor():
    client = boto3.session.Session().client("codestar-connections", config=ONE_TRY, **CREDS)

    def canned(request, **kwargs):
        headers = {"content-type": "application/x-amz-json-1.0", "x-amzn-requestid": "00000000-0000-0000-0000-000000000000"}
        return botocore.awsrequest.AWSResponse(request.url, 200, headers, _Raw(CANNED))

    client.meta.events.register("before-send.codestar-connections.GetConnection", canned)
    arn = "arn:aws:codestar-connections:us-east-1:123456789012:connection/5396080a-a1d5-4e52-9922-1d93c33730de"
    assert client.get_connection(ConnectionArn=arn)["Connection"]["ConnectionName"] == "bench"
    return lambda: client.get_connection(ConnectionArn=arn)


def codestar(stack):
    """(GetConnection through boto3, the same request straight into App.handle)."""
    from codestar_local import mock_codestar
    from codestar_local.app import Request

    mock = stack.enter_context(mock_codestar())
    client = boto3.session.Session().client("codestar-connections", config=ONE_TRY, **CREDS)
    arn = client.create_connection(ConnectionName="bench", ProviderType="GitHub")["ConnectionArn"]
    assert client.get_connection(ConnectionArn=arn)["Connection"]["ConnectionName"] == "bench"

    probe = boto3.session.Session().client("codestar-connections", config=ONE_TRY, **CREDS)
    captured = []
    probe.meta.events.register_first("before-send.codestar-connections.GetConnection", lambda request, **kw: captured.append(request))
    probe.get_connection(ConnectionArn=arn)
    sent = captured[0]
    headers = {k.lower(): v.decode("latin-1") if isinstance(v, bytes) else v for k, v in sent.headers.items()}
    req = Request("POST", "/", headers, sent.body)
    assert mock.app.handle(req).status == 200
    return (lambda: client.get_connection(ConnectionArn=arn)), (lambda: mock.app.handle(req))


def moto_codecommit(stack):
    try:
        from moto import mock_aws
    except ImportError:
        return None
    stack.enter_context(mock_aws())
    client = boto3.session.Session().client("codecommit", config=ONE_TRY, **CREDS)
    client.create_repository(repositoryName="bench")
    assert client.get_repository(repositoryName="bench")["repositoryMetadata"]["repositoryName"] == "bench"
    return lambda: client.get_repository(repositoryName="bench")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-moto", action="store_true", help="leave moto's row out")
    parser.add_argument("--json", action="store_true", help="print the calls/s as one JSON object (bench/run.py reads it)")
    args = parser.parse_args(argv)
    os.environ.pop("AWS_ENDPOINT_URL", None)

    with contextlib.ExitStack() as stack:
        # moto is imported last: its before-send hook would otherwise sit on every client made after it.
        calls = {"floor": floor()}
        calls["ours"], calls["alone"] = codestar(stack)
        theirs = None if args.no_moto else moto_codecommit(stack)
        if theirs is not None:
            calls["moto"] = theirs
        # Rounds interleave the contenders, so a change in the machine's load hits them all alike.
        best = dict.fromkeys(calls, 0.0)
        for call in calls.values():
            rate(call, max(50, args.calls // 10))
        for _ in range(args.rounds):
            for name, call in calls.items():
                best[name] = max(best[name], rate(call, args.calls))
    base, ours, alone, theirs = best["floor"], best["ours"], best["alone"], best.get("moto")
    if args.json:
        import json

        print(json.dumps({"floor": base, "mock_codestar": ours, "app_handle": alone, "moto": theirs, "ratio": ours / base}))
        return 0

    rows = [
        ("floor (canned before-send, boto3 only)", base),
        ("mock_codestar GetConnection", ours),
        ("moto mock_aws CodeCommit GetRepository", theirs),
        ("App.handle alone (no boto3)", alone),
    ]
    print(f"{'':42} {'calls/s':>9} {'us/call':>9}")
    for name, value in rows:
        if value is None:
            print(f"{name:42} {'(moto not installed: pip install -e .[bench])':>19}")
            continue
        print(f"{name:42} {value:9.0f} {1e6 / value:9.1f}")
    print()
    print(f"mock_codestar / floor:  {ours / base:.2f}  (emulator cost per call: {1e6 / ours - 1e6 / base:.1f} us)")
    if theirs is not None:
        print(f"moto / floor:           {theirs / base:.2f}  (moto cost per call: {1e6 / theirs - 1e6 / base:.1f} us)")
        print(f"mock_codestar / moto:   {ours / theirs:.2f}x the calls per second")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
