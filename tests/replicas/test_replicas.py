"""Several `serve` processes on one PostgreSQL database behave as one service (issue 11).

Three replicas get a concurrent mixed workload across many accounts: quotas stay exact, a list paged across replicas
has no duplicate or missing item, references never dangle, an acknowledged write is visible to every replica's next
read, and one replica killed with kill -9 mid-burst loses no acknowledged write. Writers of two accounts never wait
on each other: one account's row lock is held open while another account's creates complete.
"""

from __future__ import annotations

import collections
import concurrent.futures
import random
import threading
import time

import pytest
from botocore.exceptions import ClientError, ConnectionError, EndpointConnectionError, ReadTimeoutError
from pg import fresh_database
from servers import Server

HOSTS_QUOTA = 50  # FACTS 2.2
ACCOUNTS = [f"7100000000{i:02d}" for i in range(12)]


@pytest.fixture(scope="module")
def database():
    with fresh_database() as url:
        yield url


@pytest.fixture(scope="module")
def replicas(database):
    started = [Server(state=database, extra=["--db-pool", "4"]) for _ in range(3)]
    yield started
    for s in started:
        s.stop()


class Clients:
    """boto3 clients per (thread, replica, account): clients are made once and reused."""

    def __init__(self, replicas):
        self.replicas = replicas
        self.local = threading.local()

    def get(self, replica: int, account: str, service="codestar-connections"):
        cache = self.local.__dict__.setdefault("cache", {})
        key = (replica, account, service)
        if key not in cache:
            cache[key] = self.replicas[replica].client(service, account=account)
        return cache[key]


def code_of(e: ClientError) -> str:
    return e.response["Error"]["Code"]


def test_mixed_load_across_three_replicas(replicas):
    clients = Clients(replicas)
    acked = collections.defaultdict(set)  # account -> connection ARNs acknowledged as created
    deleted = collections.defaultdict(set)
    hosts_ok = collections.Counter()
    hosts_refused = collections.Counter()
    unexpected = []
    lock = threading.Lock()
    rng = random.Random(11)
    plan = []
    for account in ACCOUNTS:
        plan += [("host", account, i) for i in range(HOSTS_QUOTA + 15)]
        plan += [("connection", account, i) for i in range(60)]
        plan += [("list", account, i) for i in range(20)]
        plan += [("delete", account, i) for i in range(20)]
    rng.shuffle(plan)

    def run(step):
        kind, account, i = step
        replica = (i + ACCOUNTS.index(account) + len(kind)) % 3
        c = clients.get(replica, account)
        try:
            if kind == "host":
                c.create_host(Name=f"h{i}", ProviderType="GitHubEnterpriseServer", ProviderEndpoint=f"https://git{i}.example.com")
                with lock:
                    hosts_ok[account] += 1
            elif kind == "connection":
                arn = c.create_connection(ProviderType="GitHub", ConnectionName=f"c{i}", Tags=[{"Key": "n", "Value": str(i)}])["ConnectionArn"]
                with lock:
                    acked[account].add(arn)
            elif kind == "list":
                c.list_connections(MaxResults=5)
            elif kind == "delete":
                with lock:
                    candidates = sorted(acked[account] - deleted[account])
                if candidates:
                    arn = candidates[i % len(candidates)]
                    try:
                        c.delete_connection(ConnectionArn=arn)
                    except ClientError as e:
                        if code_of(e) != "ResourceNotFoundException":  # another thread deleted it first
                            raise
                    with lock:
                        deleted[account].add(arn)
        except ClientError as e:
            if kind == "host" and code_of(e) == "LimitExceededException":
                with lock:
                    hosts_refused[account] += 1
            else:
                unexpected.append((step, code_of(e), str(e)))

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(24) as pool:
        list(pool.map(run, plan, timeout=240))
    took = time.monotonic() - started
    assert not unexpected, unexpected[:5]
    assert len(plan) >= 1800
    print(f"{len(plan)} calls over 3 replicas in {took:.1f} s")

    for account in ACCOUNTS:
        # Quotas are exact: 50 creates won, the rest were refused, and 50 hosts exist.
        assert hosts_ok[account] == HOSTS_QUOTA, (account, hosts_ok[account], hosts_refused[account])
        assert hosts_refused[account] == 15
        # Pages asked of a different replica each time: no duplicate, nothing missing, nothing deleted.
        seen, token, page = [], None, 0
        while True:
            c = clients.get(page % 3, account)
            reply = c.list_connections(MaxResults=7, **({"NextToken": token} if token else {}))
            seen += [x["ConnectionArn"] for x in reply["Connections"]]
            token, page = reply.get("NextToken"), page + 1
            if not token:
                break
        assert len(seen) == len(set(seen)), account
        assert set(seen) == acked[account] - deleted[account], account
        hosts = []
        token = None
        while True:
            reply = clients.get(page % 3, account).list_hosts(MaxResults=9, **({"NextToken": token} if token else {}))
            hosts += [h["HostArn"] for h in reply["Hosts"]]
            token, page = reply.get("NextToken"), page + 1
            if not token:
                break
        assert len(hosts) == len(set(hosts)) == HOSTS_QUOTA
        # Tags written with each connection are there, read from every replica.
        for arn in sorted(acked[account] - deleted[account])[:3]:
            for r in range(3):
                tags = clients.get(r, account).list_tags_for_resource(ResourceArn=arn)["Tags"]
                assert [t["Key"] for t in tags] == ["n"]


def test_references_never_dangle(replicas):
    """CreateSyncConfiguration on a link races DeleteRepositoryLink of it on other replicas: afterwards every sync
    configuration names a link that exists, and a link that was deleted has none."""
    clients = Clients(replicas)
    account = "719999999999"
    service = "codeconnections"
    c0 = clients.get(0, account, service)
    conn = c0.create_connection(ProviderType="GitHub", ConnectionName="refs")["ConnectionArn"]
    links = [
        c0.create_repository_link(ConnectionArn=conn, OwnerId="o", RepositoryName=f"r{i}")["RepositoryLinkInfo"]["RepositoryLinkId"]
        for i in range(12)
    ]
    outcomes = collections.Counter()

    def race(step):
        kind, i = step
        c = clients.get(i % 3 if kind == "config" else (i + 1) % 3, account, service)
        link = links[i % len(links)]
        try:
            if kind == "config":
                c.create_sync_configuration(Branch="main", ConfigFile="d.yaml", RepositoryLinkId=link, ResourceName=f"s{i}",
                                            RoleArn="arn:aws:iam::123456789012:role/r", SyncType="CFN_STACK_SYNC")
            else:
                c.delete_repository_link(RepositoryLinkId=link)
            outcomes[(kind, "ok")] += 1
        except ClientError as e:
            outcomes[(kind, code_of(e))] += 1

    steps = [("config", i) for i in range(36)] + [("delete", i) for i in range(12)]
    random.Random(5).shuffle(steps)
    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        list(pool.map(race, steps, timeout=120))
    allowed = {("config", "ok"), ("config", "InvalidInputException"), ("config", "ResourceNotFoundException"),
               ("delete", "ok"), ("delete", "SyncConfigurationStillExistsException"), ("delete", "ResourceNotFoundException")}
    assert set(outcomes) <= allowed, outcomes
    existing = {x["RepositoryLinkId"] for x in c0.list_repository_links()["RepositoryLinks"]}
    configs = []
    for r in range(3):
        for link in links:
            try:
                got = clients.get(r, account, service).list_sync_configurations(RepositoryLinkId=link, SyncType="CFN_STACK_SYNC")
            except ClientError as e:
                assert link not in existing and code_of(e) in ("ResourceNotFoundException", "InvalidInputException"), e
                continue
            configs += [(r, link, x["ResourceName"]) for x in got["SyncConfigurations"]]
    for _, link, _ in configs:
        assert link in existing
    assert outcomes[("config", "ok")] == len({(link, name) for _, link, name in configs})


def test_a_write_acknowledged_by_one_replica_is_read_by_all(replicas):
    clients = Clients(replicas)
    account = "718888888888"
    for i in range(30):
        arn = clients.get(i % 3, account).create_connection(ProviderType="GitLab", ConnectionName=f"v{i}")["ConnectionArn"]
        for r in range(3):
            assert clients.get(r, account).get_connection(ConnectionArn=arn)["Connection"]["ConnectionName"] == f"v{i}"
        clients.get((i + 1) % 3, account).tag_resource(ResourceArn=arn, Tags=[{"Key": "k", "Value": str(i)}])
        assert clients.get((i + 2) % 3, account).list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "k", "Value": str(i)}]


def test_writers_of_two_accounts_do_not_wait_on_each_other(database, replicas):
    """Account A's row lock, the one its writers take, held open by a transaction of the test's own: A's create
    waits for it, B's creates complete meanwhile, and A's completes once the lock is released."""
    import psycopg

    a, b = "717000000001", "717000000002"
    ca, cb = replicas[0].client("codestar-connections", account=a), replicas[1].client("codestar-connections", account=b)
    ca.create_connection(ProviderType="GitHub", ConnectionName="first")  # A's row exists
    holder = psycopg.connect(database)
    holder.execute("SELECT account FROM accounts WHERE account = %s FOR UPDATE", (a,))  # what a writer of A takes
    waiting = concurrent.futures.ThreadPoolExecutor(1).submit(ca.create_connection, ProviderType="GitHub", ConnectionName="held")
    try:
        started = time.monotonic()
        for i in range(20):
            cb.create_connection(ProviderType="GitHub", ConnectionName=f"b{i}")
        took = time.monotonic() - started
        assert not waiting.done(), "A's write did not wait for A's lock"
        assert took < 10, took
    finally:
        holder.rollback()
        holder.close()
    assert waiting.result(timeout=30)["ConnectionArn"]
    assert len(ca.list_connections()["Connections"]) == 2
    assert len(cb.list_connections()["Connections"]) == 20


def test_kill_9_mid_burst_loses_no_acknowledged_write(database, replicas):
    victim = Server(state=database, extra=["--db-pool", "4"])
    survivors = replicas[:2]
    every = [victim, *survivors]
    acked: list[tuple[str, str]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def burst(worker: int):
        account = f"716{worker:09d}"
        clients = [s.client("codestar-connections", account=account) for s in every]
        i = 0
        while not stop.is_set() and i < 200:  # under the 250 connections quota
            c = clients[i % 3]
            try:
                arn = c.create_connection(ProviderType="Bitbucket", ConnectionName=f"k{worker}-{i}")["ConnectionArn"]
                with lock:
                    acked.append((account, arn))
            except (EndpointConnectionError, ConnectionError, ReadTimeoutError):
                pass  # the killed replica: never acknowledged
            i += 1

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(burst, w) for w in range(8)]
        time.sleep(1.5)
        victim.proc.kill()  # SIGKILL, mid-burst
        victim.proc.wait()
        time.sleep(1.0)
        stop.set()
        for f in futures:
            f.result(timeout=120)
    assert len(acked) > 100
    by_account = collections.defaultdict(set)
    for account, arn in acked:
        by_account[account].add(arn)
    for account, arns in by_account.items():
        for s in survivors:
            listed = set()
            token = None
            c = s.client("codestar-connections", account=account)
            while True:
                reply = c.list_connections(MaxResults=100, **({"NextToken": token} if token else {}))
                listed |= {x["ConnectionArn"] for x in reply["Connections"]}
                token = reply.get("NextToken")
                if not token:
                    break
            assert arns <= listed, (account, len(arns - listed))


def test_a_deadlock_is_retried_not_answered(database, replicas):
    """A transaction of the test's own and a TagResource deadlock (item row, then account row, against account row,
    then item row). PostgreSQL aborts the server's side, the one that waited longest; the server runs the request
    again and answers 200."""
    import psycopg

    account = "715000000001"
    c = replicas[2].client("codestar-connections", account=account, retries=0)  # the server retries, not boto3
    arn = c.create_connection(ProviderType="GitHub", ConnectionName="dl")["ConnectionArn"]
    other = psycopg.connect(database)
    other.execute("SET deadlock_timeout = '10s'")  # the server's side (1 s, the default) detects the deadlock first
    other.execute("SELECT 1 FROM items WHERE id = %s FOR UPDATE", (arn,))
    started = time.monotonic()
    tagging = concurrent.futures.ThreadPoolExecutor(1).submit(c.tag_resource, ResourceArn=arn, Tags=[{"Key": "k", "Value": "v"}])
    time.sleep(0.3)  # it holds the account's row and waits for the item's
    try:
        other.execute("SELECT account FROM accounts WHERE account = %s FOR UPDATE", (account,))  # returns once the server's side is aborted
        assert not tagging.done()
    finally:
        other.rollback()
        other.close()
    tagging.result(timeout=30)
    assert time.monotonic() - started >= 0.9  # it did wait for the deadlock check
    assert c.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "k", "Value": "v"}]
