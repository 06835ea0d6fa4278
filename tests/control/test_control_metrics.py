"""GET /_codestar-local/metrics (issue 11, section 5): a real `serve`, a known mix of boto3 calls, and the scrape
parsed by prometheus_client's own parser. Under --workers 2 the counts must add up exactly across both workers."""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import pathlib
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import botocore.exceptions
import pytest
from control_http import Server, http
from prometheus_client.parser import text_string_to_metric_families

from codestar_local.metrics import FLUSH_SECONDS

P = "/_codestar-local"
TOKEN = "tok-" + secrets.token_urlsafe(24)
BEARER = {"Authorization": f"Bearer {TOKEN}"}
CC = "codestar-connections"
UNKNOWN_TARGET = "com.amazonaws.codestar.connections.CodeStar_connections_20191201.NoSuchOperation"
# A scrape sees another worker's counts at most FLUSH_SECONDS late; this leaves room for a loaded machine.
SETTLE_SECONDS = FLUSH_SECONDS + 4


def clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODESTAR_LOCAL_")}
    return {**env, **extra}


def scrape(server, headers=None) -> dict:
    """{(sample name, frozenset of labels): value} of one scrape, parsed by prometheus_client."""
    answer = http(server, "GET", f"{P}/metrics", headers=headers)
    assert answer.status == 200, answer.raw
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    families = list(text_string_to_metric_families(answer.text))
    samples = {}
    for family in families:
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    samples["_families"] = {f.name: f.type for f in families}
    return samples


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0)


def total(samples, name, **labels):
    """The sum of `name` over every series whose labels include `labels`."""
    want = set(labels.items())
    return sum(v for k, v in samples.items() if k != "_families" and k[0] == name and want <= k[1])


def settle(server, expected, headers=None):
    """Scrape until `expected(samples)` holds (another worker's counts come within FLUSH_SECONDS); the last scrape."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        samples = scrape(server, headers)
        if expected(samples) or time.monotonic() > deadline:
            return samples
        time.sleep(0.2)


class Mix:
    """A known mix of calls, spread over both workers; records which worker (request id prefix) answered each."""

    GETS, MISSING, LISTS, CONNECTIONS, HOSTS = 60, 7, 3, 5, 2

    def __init__(self, server, account):
        self.server, self.account = server, account
        self.workers: dict[str, int] = {}
        self.rounds = 0

    def seen(self, response_or_error):
        meta = response_or_error["ResponseMetadata"]
        prefix = meta["RequestId"].rsplit("-", 1)[0]  # per process: a random prefix, then a counter
        self.workers[prefix] = self.workers.get(prefix, 0) + 1

    def run(self):
        self.rounds += 1
        setup = self.server.client(CC, account=self.account)
        arns = []
        for i in range(self.CONNECTIONS):
            r = setup.create_connection(ProviderType="GitHub", ConnectionName=f"m{self.rounds}-{i}")
            self.seen(r)
            arns.append(r["ConnectionArn"])
        for i in range(self.HOSTS):
            self.seen(setup.create_host(Name=f"h{self.rounds}-{i}", ProviderType="GitHubEnterpriseServer",
                                        ProviderEndpoint=f"https://git{i}.example.com"))
        missing = arns[0][:-4] + "0000"

        def calls(n):
            # A client (so a connection pool) of its own per thread: new TCP connections, accepted by either worker.
            client = self.server.client(CC, account=self.account)
            for i in range(n):
                self.seen(client.get_connection(ConnectionArn=arns[i % len(arns)]))

        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            list(pool.map(calls, [10] * (self.GETS // 10)))
        for _ in range(self.MISSING):
            client = self.server.client(CC, account=self.account)
            with pytest.raises(botocore.exceptions.ClientError) as e:
                client.get_connection(ConnectionArn=missing)
            assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
            self.seen(e.value.response)
        other = self.server.client("codeconnections", account=self.account)
        for _ in range(self.LISTS):
            self.seen(other.list_connections())
        unknown = urllib.request.Request(
            self.server.endpoint_url + "/", data=b"{}", method="POST",
            headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": UNKNOWN_TARGET})
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(unknown, timeout=10)
        assert e.value.code == 400
        self.seen({"ResponseMetadata": {"RequestId": e.value.headers["x-amzn-RequestId"]}})

    def expected(self) -> dict:
        """{(service, operation, status): requests} the scrape must show."""
        per_round = {
            (CC, "CreateConnection", "200"): self.CONNECTIONS,
            (CC, "CreateHost", "200"): self.HOSTS,
            (CC, "GetConnection", "200"): self.GETS,
            (CC, "GetConnection", "400"): self.MISSING,
            ("codeconnections", "ListConnections", "200"): self.LISTS,
            (CC, "unknown", "400"): 1,  # routed to its service, but no such operation
        }
        return {k: v * self.rounds for k, v in per_round.items()}


def requests_ok(samples, expected: dict) -> bool:
    return all(
        value(samples, "codestar_local_requests_total", service=s, operation=o, status=st) == n
        for (s, o, st), n in expected.items()
    )


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def two_workers(request, tmp_path_factory):
    """`serve --workers 2` with an admin token, on a new SQLite file or a new PostgreSQL database (whose requests
    run on each worker's thread pool, so counting takes the lock)."""
    from pg import fresh_database

    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            state = str(tmp_path_factory.mktemp("metrics") / "state.db")
        else:
            state = stack.enter_context(fresh_database())
        s = Server(state=state, extra=["--workers", "2", "--admin-token", TOKEN], env=clean_env())
        stack.callback(s.stop)
        yield s


def test_two_workers_add_up_exactly(two_workers, account):
    mix = Mix(two_workers, account)
    for _ in range(5):  # the kernel picks the worker of each new connection: run the mix until both answered
        mix.run()
        if len(mix.workers) == 2:
            break
    assert len(mix.workers) == 2, f"one worker answered everything: {mix.workers}"
    rounds = mix.rounds
    expected = mix.expected()
    assert sum(expected.values()) == sum(mix.workers.values())
    samples = settle(two_workers, lambda s: requests_ok(s, expected), BEARER)
    for (s, o, st), n in expected.items():
        assert value(samples, "codestar_local_requests_total", service=s, operation=o, status=st) == n, (s, o, st)
    assert total(samples, "codestar_local_requests_total") == sum(expected.values())
    assert value(samples, "codestar_local_metrics_processes") == 2
    # Errors by code: the missing connections, and the unknown operation.
    assert value(samples, "codestar_local_errors_total", service=CC, operation="GetConnection",
                 code="ResourceNotFoundException") == Mix.MISSING * rounds
    assert value(samples, "codestar_local_errors_total", service=CC, operation="unknown",
                 code="UnknownOperationException") == rounds
    assert total(samples, "codestar_local_errors_total") == (Mix.MISSING + 1) * rounds
    # Store time: every call that reached a provider ran in one transaction, the not-found ones too.
    reads = (Mix.GETS + Mix.MISSING + Mix.LISTS) * rounds
    writes = (Mix.CONNECTIONS + Mix.HOSTS) * rounds
    assert value(samples, "codestar_local_store_duration_seconds_count", mode="read") == reads
    assert value(samples, "codestar_local_store_duration_seconds_count", mode="write") == writes
    # Stored resources by kind: what the mix created, nothing else is in this server's state.
    assert value(samples, "codestar_local_resources", kind="connection") == Mix.CONNECTIONS * rounds
    assert value(samples, "codestar_local_resources", kind="host") == Mix.HOSTS * rounds
    assert_histograms_consistent(samples)
    assert value(samples, "codestar_local_request_duration_seconds_count", service=CC,
                 operation="GetConnection") == (Mix.GETS + Mix.MISSING) * rounds


def assert_histograms_consistent(samples):
    families = samples["_families"]
    assert families["codestar_local_requests"] == "counter"
    assert families["codestar_local_errors"] == "counter"
    assert families["codestar_local_request_duration_seconds"] == "histogram"
    assert families["codestar_local_store_duration_seconds"] == "histogram"
    assert families["codestar_local_resources"] == "gauge"
    series: dict = {}
    for key, v in samples.items():
        if key == "_families" or not key[0].endswith("_bucket"):
            continue
        name, labels = key
        le = dict(labels)["le"]
        rest = frozenset(kv for kv in labels if kv[0] != "le")
        series.setdefault((name[: -len("_bucket")], rest), []).append((float(le), v))
    assert series
    for (name, labels), buckets in series.items():
        buckets.sort()
        counts = [c for _, c in buckets]
        assert counts == sorted(counts), (name, labels, buckets)  # cumulative
        assert buckets[-1][0] == float("inf")
        count = samples[(name + "_count", labels)]
        assert counts[-1] == count
        spent = samples[(name + "_sum", labels)]
        assert 0 < spent < count * 10, (name, labels, spent)
        if name == "codestar_local_request_duration_seconds":
            labels = dict(labels)
            assert count == total(samples, "codestar_local_requests_total", **labels)


def test_metrics_need_the_admin_token(two_workers):
    assert http(two_workers, "GET", f"{P}/metrics").status == 401
    answer = http(two_workers, "GET", f"{P}/metrics", headers={"Authorization": f"Bearer {TOKEN}x"})
    assert answer.status == 401 and answer.error == "Unauthorized"
    answer = http(two_workers, "POST", f"{P}/metrics", headers=BEARER)
    assert answer.status == 405 and answer.error == "MethodNotAllowed"
    assert http(two_workers, "GET", f"{P}/metrics", headers=BEARER).status == 200


def test_workers_share_one_folder_that_serve_removes(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    s = Server(state=str(tmp_path / "state.db"), extra=["--workers", "2"], env=clean_env(TMPDIR=str(tmp)))
    try:
        deadline = time.monotonic() + SETTLE_SECONDS
        while True:
            folders = list(tmp.glob("codestar-local-metrics-*"))
            files = [f for d in folders for f in d.glob("*.json")]
            if len(files) == 2 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert len(folders) == 1 and len(files) == 2, (folders, files)
    finally:
        s.stop()
    assert not list(tmp.glob("codestar-local-metrics-*"))


def test_a_restarted_worker_keeps_the_counts(tmp_path, account):
    """kill -9 of a worker: uvicorn starts another; what the dead one had written still counts."""
    s = Server(state=str(tmp_path / "state.db"), extra=["--workers", "2"], env=clean_env(TMPDIR=str(tmp_path)))
    try:
        client = s.client(CC, account=account)
        arn = client.create_connection(ProviderType="GitHub", ConnectionName="k")["ConnectionArn"]
        answered: dict[str, int] = {}
        for _ in range(40):
            prefix = client.get_connection(ConnectionArn=arn)["ResponseMetadata"]["RequestId"].rsplit("-", 1)[0]
            answered[prefix] = answered.get(prefix, 0) + 1
        samples = settle(s, lambda x: value(x, "codestar_local_requests_total", service=CC, operation="GetConnection",
                                             status="200") == 40)
        assert value(samples, "codestar_local_requests_total", service=CC, operation="GetConnection", status="200") == 40
        time.sleep(FLUSH_SECONDS + 0.5)  # every worker has written its counts since
        workers = worker_pids(s.proc.pid)
        assert len(workers) == 2
        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            now = worker_pids(s.proc.pid)
            if len(now) == 2 and workers[0] not in now:
                break
            time.sleep(0.1)
        samples = settle(s, lambda x: value(x, "codestar_local_metrics_processes") == 3)
        assert value(samples, "codestar_local_metrics_processes") == 3
        assert value(samples, "codestar_local_requests_total", service=CC, operation="GetConnection", status="200") == 40
        assert value(samples, "codestar_local_requests_total", service=CC, operation="CreateConnection", status="200") == 1
    finally:
        s.stop()


def worker_pids(parent: int) -> list[int]:
    """The live uvicorn workers of a serve process (its children, less multiprocessing's resource tracker)."""
    out = []
    for task in pathlib.Path(f"/proc/{parent}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except FileNotFoundError:
            continue
        for child in map(int, children):
            try:
                cmdline = pathlib.Path(f"/proc/{child}/cmdline").read_bytes()
                state = pathlib.Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except FileNotFoundError:
                continue
            if b"resource_tracker" not in cmdline and state != "Z":
                out.append(child)
    return sorted(out)


def test_one_worker_counts_at_once(account):
    s = Server(env=clean_env())
    try:
        client = s.client("codestar", account=account)
        with pytest.raises(botocore.exceptions.ClientError) as e:
            client.describe_project(id="nope")
        code = e.value.response["Error"]["Code"]
        for _ in range(3):
            client.list_projects()
        nowhere = http(s, "POST", "/", raw=b"{}", headers={"Content-Type": "application/x-amz-json-1.0"})
        assert nowhere.status == 400  # no X-Amz-Target: no service, no operation
        samples = scrape(s)  # one process: its own live counts, no wait
        assert value(samples, "codestar_local_requests_total", service="unknown", operation="unknown", status="400") == 1
        assert value(samples, "codestar_local_errors_total", service="unknown", operation="unknown",
                     code="UnknownOperationException") == 1
        assert value(samples, "codestar_local_requests_total", service="codestar", operation="ListProjects", status="200") == 3
        assert value(samples, "codestar_local_errors_total", service="codestar", operation="DescribeProject",
                     code=code) == 1
        assert value(samples, "codestar_local_metrics_processes") == 1
        assert value(samples, "codestar_local_store_duration_seconds_count", mode="read") == 4
        assert value(samples, "codestar_local_store_duration_seconds_count", mode="write") == 0
        assert_histograms_consistent(samples)
    finally:
        s.stop()


def test_metrics_off():
    s = Server(extra=["--metrics", "off"], env=clean_env())
    try:
        answer = http(s, "GET", f"{P}/metrics")
        assert answer.status == 404 and answer.error == "MetricsOff"
    finally:
        s.stop()


def test_a_bad_metrics_setting_is_refused():
    run = subprocess.run([sys.executable, "-m", "codestar_local.cli", "serve", "--port", "1", "--state", "memory"],
                         env=clean_env(CODESTAR_LOCAL_METRICS="maybe"), capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "CODESTAR_LOCAL_METRICS must be on or off, not 'maybe'" in run.stderr
