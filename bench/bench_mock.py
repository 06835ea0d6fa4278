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

Each line is the best of --rounds timed loops of --calls calls, after a warm-up.
"""

from __future__ import annotations

import argparse
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


def timed(call, calls: int, rounds: int) -> float:
    """Best calls per second over `rounds` loops."""
    for _ in range(max(50, calls // 10)):
        call()
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            call()
        best = max(best, calls / (time.perf_counter() - start))
    return best


class _Raw:
    def __init__(self, body):
        self.body = body

    def stream(self, **kw):
        yield self.body


def floor(calls, rounds) -> float:
    client = boto3.session.Session().client("codestar-connections", config=ONE_TRY, **CREDS)

    def canned(request, **kwargs):
        headers = {"content-type": "application/x-amz-json-1.0", "x-amzn-requestid": "00000000-0000-0000-0000-000000000000"}
        return botocore.awsrequest.AWSResponse(request.url, 200, headers, _Raw(CANNED))

    client.meta.events.register("before-send.codestar-connections.GetConnection", canned)
    arn = "arn:aws:codestar-connections:us-east-1:123456789012:connection/5396080a-a1d5-4e52-9922-1d93c33730de"
    assert client.get_connection(ConnectionArn=arn)["Connection"]["ConnectionName"] == "bench"
    return timed(lambda: client.get_connection(ConnectionArn=arn), calls, rounds)


def codestar(calls, rounds) -> tuple[float, float]:
    from codestar_local import mock_codestar
    from codestar_local.app import Request

    with mock_codestar() as mock:
        client = boto3.session.Session().client("codestar-connections", config=ONE_TRY, **CREDS)
        arn = client.create_connection(ConnectionName="bench", ProviderType="GitHub")["ConnectionArn"]
        assert client.get_connection(ConnectionArn=arn)["Connection"]["ConnectionName"] == "bench"
        through_boto3 = timed(lambda: client.get_connection(ConnectionArn=arn), calls, rounds)

        captured = []

        def capture(request, **kwargs):
            captured.append(request)

        client.meta.events.register_first("before-send.codestar-connections.GetConnection", capture)
        client.get_connection(ConnectionArn=arn)
        sent = captured[0]
        headers = {k.lower(): v.decode("latin-1") if isinstance(v, bytes) else v for k, v in sent.headers.items()}
        req = Request("POST", "/", headers, sent.body)
        assert mock.app.handle(req).status == 200
        alone = timed(lambda: mock.app.handle(req), calls, rounds)
    return through_boto3, alone


def moto_codecommit(calls, rounds) -> float | None:
    try:
        from moto import mock_aws
    except ImportError:
        return None
    with mock_aws():
        client = boto3.session.Session().client("codecommit", config=ONE_TRY, **CREDS)
        client.create_repository(repositoryName="bench")
        assert client.get_repository(repositoryName="bench")["repositoryMetadata"]["repositoryName"] == "bench"
        return timed(lambda: client.get_repository(repositoryName="bench"), calls, rounds)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    os.environ.pop("AWS_ENDPOINT_URL", None)

    # moto is imported last: its before-send hook would otherwise sit on every client of the other runs.
    base = floor(args.calls, args.rounds)
    ours, alone = codestar(args.calls, args.rounds)
    theirs = moto_codecommit(args.calls, args.rounds)

    rows = [
        ("floor (canned before-send, boto3 only)", base),
        ("mock_codestar GetConnection", ours),
        ("moto mock_aws CodeCommit GetRepository", theirs),
        ("App.handle alone (no boto3)", alone),
    ]
    print(f"{'':42} {'calls/s':>9} {'us/call':>9}")
    for name, rate in rows:
        if rate is None:
            print(f"{name:42} {'(moto not installed: pip install -e .[bench])':>19}")
            continue
        print(f"{name:42} {rate:9.0f} {1e6 / rate:9.1f}")
    print()
    print(f"mock_codestar / floor:  {ours / base:.2f}  (emulator cost per call: {1e6 / ours - 1e6 / base:.1f} us)")
    if theirs is not None:
        print(f"moto / floor:           {theirs / base:.2f}  (moto cost per call: {1e6 / theirs - 1e6 / base:.1f} us)")
        print(f"mock_codestar / moto:   {ours / theirs:.2f}x the calls per second")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
