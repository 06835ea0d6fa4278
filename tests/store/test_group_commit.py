"""Group commit on SQLite (serving/server.py, store/sqlite.py _Batch): requests complete in one loop step share one
transaction, each write in a savepoint of its own, and no answer is written before the one COMMIT."""

from __future__ import annotations

import threading

import pytest
from bursts import burst, raw

from codestar_local.app import App
from codestar_local.errors import AwsError
from codestar_local.store import open_store
from codestar_local.testing.server import ThreadServer


@pytest.fixture
def served(tmp_path):
    app = App(str(tmp_path / "state.db"))
    commits = []
    app.store.db.set_trace_callback(lambda sql: commits.append(sql) if sql == "COMMIT" else None)
    server = ThreadServer(app).start()
    yield server, commits
    server.stop()


def test_a_burst_of_creates_shares_commits_and_every_answer_is_stored(served):
    server, commits = served
    answers = burst(server, [raw("CreateConnection", {"ProviderType": "GitHub", "ConnectionName": f"b{i}"}, "111111111111")
                                  for i in range(48)])
    assert [status for status, _ in answers] == [200] * 48
    assert 0 < len(commits) <= 24, len(commits)  # answers waited for commits they shared
    listed = server.client("codestar-connections", account="111111111111").list_connections(MaxResults=100)["Connections"]
    assert sorted(c["ConnectionArn"] for c in listed) == sorted(body["ConnectionArn"] for _, body in answers)


def test_the_quota_is_exact_when_the_last_creates_arrive_together(served):
    server, _ = served
    client = server.client("codestar-connections", account="222222222222")
    for i in range(240):
        client.create_connection(ProviderType="GitHub", ConnectionName=f"q{i}")
    answers = burst(server, [raw("CreateConnection", {"ProviderType": "GitHub", "ConnectionName": f"last{i}"}, "222222222222")
                                  for i in range(30)])
    made = [body["ConnectionArn"] for status, body in answers if status == 200]
    refused = [body["__type"].rpartition("#")[2] for status, body in answers if status != 200]
    assert len(made) == 10 and refused == ["LimitExceededException"] * 20
    listed, token = [], None
    while True:
        page = client.list_connections(MaxResults=100, **({"NextToken": token} if token else {}))
        listed += page["Connections"]
        token = page.get("NextToken")
        if not token:
            break
    assert len(listed) == 250 and set(made) <= {c["ConnectionArn"] for c in listed}


def test_one_failing_write_in_a_batch_rolls_back_only_itself(tmp_path):
    store = open_store(str(tmp_path / "s.db"))
    try:
        with store.batch():
            with store.write("1") as tx:
                tx.insert("connection", "kept", "1", "us-east-1", {"n": 1})
            with pytest.raises(AwsError):
                with store.write("1") as tx:
                    tx.insert("connection", "gone", "1", "us-east-1", {"n": 2})
                    raise AwsError("ValidationException", "no")
            with store.read() as tx:
                assert tx.get("connection", "kept") is not None and tx.get("connection", "gone") is None
        with store.read() as tx:
            assert tx.get("connection", "kept").data == {"n": 1} and tx.get("connection", "gone") is None
    finally:
        store.close()


def test_a_batch_that_fails_keeps_none_of_its_writes(tmp_path):
    store = open_store(str(tmp_path / "s.db"))
    try:
        with pytest.raises(RuntimeError):
            with store.batch():
                with store.write("1") as tx:
                    tx.insert("connection", "a", "1", "us-east-1", {})
                raise RuntimeError("the commit is never reached")
        with store.read() as tx:
            assert tx.get("connection", "a") is None
        assert not store.db.in_transaction
    finally:
        store.close()


def test_a_batch_of_reads_opens_no_transaction(tmp_path):
    store = open_store(str(tmp_path / "s.db"))
    try:
        with store.write("1") as tx:
            tx.insert("connection", "a", "1", "us-east-1", {})
        with store.batch():
            with store.read() as tx:
                assert tx.get("connection", "a") is not None
            assert not store.db.in_transaction  # other processes' writers are not held up by reads
    finally:
        store.close()


def test_another_thread_waits_for_the_batch_and_then_writes_on_its_own(tmp_path):
    store = open_store(str(tmp_path / "s.db"))
    try:
        done = threading.Event()

        def other():
            with store.write("2") as tx:  # a Git sync thread, say: not part of the batch
                tx.insert("connection", "theirs", "2", "us-east-1", {})
            done.set()

        with store.batch():
            with store.write("1") as tx:
                tx.insert("connection", "ours", "1", "us-east-1", {})
            t = threading.Thread(target=other)
            t.start()
            assert not done.wait(0.2)  # held until the batch commits
        t.join(5)
        assert done.is_set()
        with store.read() as tx:
            assert tx.get("connection", "ours") and tx.get("connection", "theirs")
    finally:
        store.close()


def test_a_commit_that_fails_answers_every_request_of_the_batch_and_keeps_none(served, monkeypatch):
    server, _ = served
    store = server.app.store
    real = store.batch

    class Failing:
        def __enter__(self):
            self.inner = real()
            return self.inner.__enter__()

        def __exit__(self, *exc):
            self.inner.__exit__(OSError, OSError("disk full"), None)  # rolled back, as a failed COMMIT leaves it
            raise OSError("disk full")

    monkeypatch.setattr(store, "batch", Failing)
    answers = burst(server, [raw("CreateConnection", {"ProviderType": "GitHub", "ConnectionName": f"f{i}"}, "333333333333")
                             for i in range(8)])
    assert [status for status, _ in answers] == [500] * 8
    assert {body["__type"].rpartition("#")[2] for _, body in answers} == {"InternalFailure"}
    monkeypatch.setattr(store, "batch", real)
    assert server.client("codestar-connections", account="333333333333").list_connections()["Connections"] == []


def test_a_batch_of_reads_sees_what_another_process_committed_before_it(tmp_path):
    # Two servers on one file stand for two workers. A has the connection's row cached; B deletes it; every Get of
    # A's next batch (one data_version check for the whole batch) must miss.
    path = str(tmp_path / "state.db")
    a = ThreadServer(App(path)).start()
    b = ThreadServer(App(path)).start()
    try:
        arn = a.client("codestar-connections", account="444444444444").create_connection(
            ProviderType="GitHub", ConnectionName="shared")["ConnectionArn"]
        get = raw("GetConnection", {"ConnectionArn": arn}, "444444444444")
        assert [status for status, _ in burst(a, [get] * 6)] == [200] * 6  # now cached in A
        b.client("codestar-connections", account="444444444444").delete_connection(ConnectionArn=arn)
        answers = burst(a, [get] * 6)
        assert [status for status, _ in answers] == [400] * 6
        assert {body["__type"].rpartition("#")[2] for _, body in answers} == {"ResourceNotFoundException"}
    finally:
        a.stop()
        b.stop()
