"""The storage contract, run against every implementation: SQLite in memory, a SQLite file, PostgreSQL."""

from __future__ import annotations

import pytest

from codestar_local.errors import AwsError
from codestar_local.store import open_store
from codestar_local.store.base import make_token, read_token
from pg import fresh_database


@pytest.fixture(params=["memory", "sqlite-file", "postgres"])
def store(request, tmp_path):
    if request.param == "memory":
        s = open_store("memory")
        yield s
        s.close()
    elif request.param == "sqlite-file":
        s = open_store(str(tmp_path / "state.db"))
        yield s
        s.close()
    else:
        with fresh_database() as url:
            s = open_store(url)
            yield s
            s.close()


def fill(store):
    with store.write() as tx:
        a = tx.insert("connection", "arn:c1", "111111111111", "us-east-1", {"n": 1})
        b = tx.insert("connection", "arn:c2", "111111111111", "eu-west-1", {"n": 2}, parent="arn:h1")
        c = tx.insert("connection", "arn:c3", "222222222222", "us-east-1", {"n": 3})
        h = tx.insert("host", "arn:h1", "111111111111", "eu-west-1", {"name": "h"})
    return a, b, c, h


def test_insert_get_update_delete(store):
    a, b, c, h = fill(store)
    assert a.seq < b.seq < c.seq < h.seq
    with store.read() as tx:
        got = tx.get("connection", "arn:c2")
        assert (got.kind, got.id, got.account, got.region, got.parent, got.data) == (
            "connection", "arn:c2", "111111111111", "eu-west-1", "arn:h1", {"n": 2},
        )
        assert tx.get("host", "arn:c2") is None  # ids are per kind
    with store.write() as tx:
        got = tx.get("connection", "arn:c2")
        got.data["n"] = 20
        got.parent = None
        tx.update(got)
    with store.read() as tx:
        again = tx.get("connection", "arn:c2")
        assert again.data == {"n": 20} and again.parent is None and again.seq == b.seq
    with store.write() as tx:
        assert tx.delete("connection", "arn:c2") is True
        assert tx.delete("connection", "arn:c2") is False
    with store.read() as tx:
        assert tx.get("connection", "arn:c2") is None


def test_list_and_count_by_scope(store):
    fill(store)
    with store.read() as tx:
        assert [i.id for i in tx.list("connection", "111111111111")] == ["arn:c1", "arn:c2"]
        assert [i.id for i in tx.list("connection", "111111111111", "eu-west-1")] == ["arn:c2"]
        assert [i.id for i in tx.list("connection", None, parent="arn:h1")] == ["arn:c2"]
        assert tx.count("connection", "111111111111") == 2
        assert tx.count("connection", None, parent="arn:h1") == 1
        assert tx.count("connection", "333333333333") == 0
        first = tx.list("connection", "111111111111", limit=1)
        assert [i.id for i in tx.list("connection", "111111111111", after=first[0].seq)] == ["arn:c2"]


def test_failed_write_changes_nothing(store):
    fill(store)
    with pytest.raises(RuntimeError):
        with store.write() as tx:
            tx.insert("connection", "arn:c9", "111111111111", "us-east-1", {})
            tx.delete("connection", "arn:c1")
            raise RuntimeError("provider failed half-way")
    with store.read() as tx:
        assert tx.get("connection", "arn:c9") is None
        assert tx.get("connection", "arn:c1") is not None


def test_unique_ids(store):
    fill(store)
    with pytest.raises(Exception):
        with store.write() as tx:
            tx.insert("connection", "arn:c1", "111111111111", "us-east-1", {})
    with store.read() as tx:
        assert tx.get("connection", "arn:c1").data == {"n": 1}


def test_retired_ids_survive_reset(store):
    with store.write() as tx:
        tx.retire("arn:gone")
        tx.retire("arn:gone")
        assert tx.is_retired("arn:gone")
        assert not tx.is_retired("arn:other")
    store.reset()
    with store.read() as tx:
        assert tx.is_retired("arn:gone")


def test_reset_one_account(store):
    fill(store)
    store.reset("111111111111")
    with store.read() as tx:
        assert tx.count("connection", "111111111111") == 0
        assert tx.count("connection", "222222222222") == 1


def test_dump_load_round_trip_keeps_sequence_moving_forward(store):
    fill(store)
    with store.write() as tx:
        tx.retire("arn:old")
    snapshot = store.dump()
    store.reset()
    store.load(snapshot)
    assert store.dump() == snapshot
    with store.write() as tx:
        new = tx.insert("connection", "arn:new", "111111111111", "us-east-1", {})
    assert new.seq > max(i["seq"] for i in snapshot["items"])


def test_page_tokens():
    token = make_token("connection", 42)
    assert read_token("connection", token) == 42
    assert read_token("connection", None) == 0
    for bad in ["x", "", make_token("host", 42), "eyJ2IjoxfQ", "!!!!"]:
        with pytest.raises(AwsError) as e:
            read_token("connection", bad)
        assert e.value.code == "ValidationException"


def test_sqlite_read_cache_sees_other_connections_writes(tmp_path):
    """Two stores on one file (two workers, or the CLI beside a server): reads never go stale."""
    path = str(tmp_path / "shared.db")
    a, b = open_store(path), open_store(path)
    try:
        with a.write() as tx:
            tx.insert("connection", "arn:c", "111111111111", "us-east-1", {"ConnectionStatus": "PENDING"})
        with b.read() as tx:
            assert tx.get("connection", "arn:c").data == {"ConnectionStatus": "PENDING"}  # now cached in b
        with a.write() as tx:
            item = tx.get("connection", "arn:c")
            item.data["ConnectionStatus"] = "AVAILABLE"
            tx.update(item)
        with b.read() as tx:
            assert tx.get("connection", "arn:c").data == {"ConnectionStatus": "AVAILABLE"}
        a.reset()
        with b.read() as tx:
            assert tx.get("connection", "arn:c") is None
    finally:
        a.close()
        b.close()


def test_sqlite_read_cache_sees_own_writes_and_hands_out_copies(store):
    with store.write() as tx:
        tx.insert("connection", "arn:c", "111111111111", "us-east-1", {"Tags": [{"Key": "k", "Value": "v"}]})
    with store.read() as tx:
        first = tx.get("connection", "arn:c")
        first.data["Tags"].append({"Key": "mutated", "Value": ""})  # a caller mutating what it got
        assert tx.get("connection", "arn:c").data == {"Tags": [{"Key": "k", "Value": "v"}]}
    with store.write() as tx:
        tx.delete("connection", "arn:c")
    with store.read() as tx:
        assert tx.get("connection", "arn:c") is None
