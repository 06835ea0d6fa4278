"""Schema versions: an old state upgrades, a newer one is refused untouched, concurrent starts migrate once.

tests/data/state-v1.db was made by the release before schema version 2 (tools/make_state_fixture.py), with the
answers that release gave in state-v1.json; every later release must still open it and give the same answers.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import sqlite3
import subprocess
import sys
import threading

import pytest
from botocore import xform_name

from codestar_local.store.schema import STEPS, VERSION, SchemaError, migrate_postgres
from pg import fresh_database
from servers import Server, free_port

DATA = pathlib.Path(__file__).resolve().parent.parent / "data"
FIXTURE = DATA / "state-v1.db"
ANSWERS = json.loads((DATA / "state-v1.json").read_text())
FIXTURE_ACCOUNTS = {"111122223333", "444455556666"}


def plain(value):
    if isinstance(value, dict):
        value = {k: v for k, v in value.items() if k != "ResponseMetadata"}
    return json.loads(json.dumps(value, default=lambda d: d.isoformat()))


def missing(expected, actual, where="") -> list[str]:
    """What of `expected` `actual` lacks: new output members are fine, lost or changed values are not."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: {actual!r} is not an object"]
        out = []
        for key, value in expected.items():
            if key not in actual:
                out.append(f"{where}.{key}: missing")
            else:
                out += missing(value, actual[key], f"{where}.{key}")
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{where}: {actual!r} instead of {expected!r}"]
        return [p for i, (e, a) in enumerate(zip(expected, actual)) for p in missing(e, a, f"{where}[{i}]")]
    return [] if expected == actual else [f"{where}: {actual!r} instead of {expected!r}"]


def meta(path) -> dict:
    db = sqlite3.connect(path)
    try:
        return dict(db.execute("SELECT key, value FROM meta"))
    finally:
        db.close()


def old_copy(tmp_path, name="state.db") -> pathlib.Path:
    path = tmp_path / name
    shutil.copyfile(FIXTURE, path)
    return path


def output(server: Server) -> str:
    server.stop()
    return server.proc.stdout.read().decode()


def serve(*args, timeout=60):
    """`codestar-local ...` to completion (a refusal exits before it listens)."""
    return subprocess.run([sys.executable, "-m", "codestar_local.cli", *args], capture_output=True, text=True, timeout=timeout)


# -- SQLite ------------------------------------------------------------------------------------------------------
def test_fixture_is_the_old_version():
    assert ANSWERS["schema_version"] == 1 == int(meta(FIXTURE)["schema_version"])
    assert STEPS[0].version == 1 and VERSION > 1


def test_old_file_upgrades_and_answers_as_before(tmp_path):
    path = old_copy(tmp_path)
    server = Server(state=str(path))
    try:
        problems = []
        for r in ANSWERS["reads"]:
            client = server.client(r["service"], account=r["account"], region=r["region"])
            got = plain(getattr(client, xform_name(r["operation"]))(**r["params"]))
            problems += missing(r["answer"], got, f"{r['service']} {r['operation']} {r['params']}")
        assert problems == []
        # The upgraded file takes writes, and the old rows still count (the deleted ARN stays retired).
        conn = server.client("codestar-connections", account="111122223333")
        arn = conn.create_connection(ProviderType="GitHub", ConnectionName="after-upgrade")["ConnectionArn"]
        assert [c["ConnectionName"] for c in conn.list_connections()["Connections"]] == [
            "fixture-github", "fixture-bitbucket", "fixture-on-host", "after-upgrade"
        ]
        assert conn.get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"] == "PENDING"
    finally:
        started = output(server)
    assert f"migrated from schema version 1 to {VERSION}" in started
    found = meta(path)
    assert found["schema_version"] == str(VERSION)
    assert {f"migrated_to_{v}" for v in range(2, VERSION + 1)} <= set(found)
    db = sqlite3.connect(path)
    try:
        assert {a for (a,) in db.execute("SELECT account FROM accounts")} == FIXTURE_ACCOUNTS
    finally:
        db.close()
    # A second start finds nothing to do.
    again = Server(state=str(path))
    try:
        names = [c["ConnectionName"] for c in again.client("codeconnections", account="111122223333").list_connections()["Connections"]]
        assert names[-1] == "after-upgrade"
    finally:
        assert "migrated" not in output(again)


def test_concurrent_starts_on_an_old_file_migrate_once(tmp_path):
    path = old_copy(tmp_path)
    ports = [free_port() for _ in range(3)]
    procs = [
        subprocess.Popen([sys.executable, "-m", "codestar_local.cli", "serve", "--port", str(p), "--state", str(path)],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for p in ports
    ]
    lines = []
    try:
        for proc in procs:
            lines.append(proc.stdout.readline().decode())  # the start-up line, printed once the state is open
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(20)
    assert all(line.startswith("codestar-local ") for line in lines), lines
    assert sum("migrated from schema version 1" in line for line in lines) == 1, lines
    assert meta(path)["schema_version"] == str(VERSION)


def newer_copy(tmp_path, journal: str) -> pathlib.Path:
    path = old_copy(tmp_path)
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA journal_mode={journal}")
    db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(VERSION + 1),))
    db.commit()
    db.close()
    return path


def assert_refused(result, path, before: bytes) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    message = result.stderr
    assert f"schema version {VERSION + 1}" in message and f"versions up to {VERSION}" in message, message
    assert "Upgrade codestar-local" in message and "new state" in message and "Nothing was changed" in message
    assert "Traceback" not in message
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no journal, WAL or shm left behind


@pytest.mark.parametrize("journal", ["delete", "wal"])
def test_newer_file_is_refused_by_serve_and_left_as_it_was(tmp_path, journal):
    path = newer_copy(tmp_path, journal)
    before = path.read_bytes()
    result = serve("serve", "--port", str(free_port()), "--state", str(path))
    assert_refused(result, path, before)
    assert "on http://" not in result.stdout


def test_newer_file_is_refused_by_the_state_commands(tmp_path):
    folder = tmp_path / "state"
    folder.mkdir()
    path = newer_copy(folder, "delete")
    before = path.read_bytes()
    out = tmp_path / "export.json"
    assert_refused(serve("state", "export", str(out), "--state", str(path)), path, before)
    assert not out.exists()
    snapshot = tmp_path / "snapshot.json"
    snapshot.write_text(json.dumps({"version": 1, "items": [], "retired": []}))
    assert_refused(serve("state", "import", str(snapshot), "--state", str(path)), path, before)


def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    path = tmp_path / "state.db"
    path.write_bytes(b"not SQLite at all, " * 64)
    before = path.read_bytes()
    result = serve("serve", "--port", str(free_port()), "--state", str(path))
    assert result.returncode == 2 and "is not a codestar-local state" in result.stderr and "Traceback" not in result.stderr
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["state.db"]


def test_fresh_file_is_created_at_the_current_version(tmp_path):
    path = tmp_path / "new.db"
    server = Server(state=str(path))
    output(server)
    found = meta(path)
    assert found["schema_version"] == str(VERSION)
    assert "created" in found and not any(k.startswith("migrated_to_") for k in found)


# -- PostgreSQL --------------------------------------------------------------------------------------------------
def connect(url):
    import psycopg

    return psycopg.connect(url, autocommit=True, connect_timeout=10)


def make_version_1(url) -> None:
    """The database as the version-1 release left it: its tables, its meta row, and the fixture's rows."""
    old = sqlite3.connect(FIXTURE)
    items = old.execute("SELECT seq, kind, id, account, region, parent, data FROM items ORDER BY seq").fetchall()
    retired = old.execute("SELECT id FROM retired").fetchall()
    old.close()
    with connect(url) as conn, conn.transaction():
        for statement in STEPS[0].postgres:
            conn.execute(statement)
        conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '1')")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO items (seq, kind, id, account, region, parent, data) VALUES (%s, %s, %s, %s, %s, %s, %s)", items)
            cur.executemany("INSERT INTO retired (id) VALUES (%s)", retired)
        # As the release left it: the sequence past every row it inserted.
        conn.execute("SELECT setval(pg_get_serial_sequence('items', 'seq'), (SELECT MAX(seq) FROM items))")


def pg_meta(conn) -> dict:
    return dict(conn.execute("SELECT key, value FROM meta").fetchall())


def tables(conn) -> set:
    return {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}


def test_old_postgres_database_upgrades():
    with fresh_database() as url:
        make_version_1(url)
        with connect(url) as conn:
            before = conn.execute("SELECT seq, kind, id, account, region, parent, data FROM items ORDER BY seq").fetchall()
            done = migrate_postgres(conn)
            assert (done.found, done.version) == (1, VERSION) and done.ran == tuple(range(2, VERSION + 1))
            assert pg_meta(conn)["schema_version"] == str(VERSION)
            assert {r[0] for r in conn.execute("SELECT account FROM accounts")} == FIXTURE_ACCOUNTS
            assert conn.execute("SELECT seq, kind, id, account, region, parent, data FROM items ORDER BY seq").fetchall() == before
            again = migrate_postgres(conn)
            assert (again.found, again.ran) == (VERSION, ())


def test_newer_postgres_database_is_refused_untouched():
    with fresh_database() as url:
        make_version_1(url)
        with connect(url) as conn:
            conn.execute("UPDATE meta SET value = %s WHERE key = 'schema_version'", (str(VERSION + 1),))
            names, rows = tables(conn), pg_meta(conn)
            with pytest.raises(SchemaError) as refused:
                migrate_postgres(conn, "postgresql://…/db")
            message = str(refused.value)
            assert f"postgresql://…/db has schema version {VERSION + 1}" in message and f"versions up to {VERSION}" in message
            assert "Upgrade codestar-local" in message
            assert tables(conn) == names and pg_meta(conn) == rows and "accounts" not in names


@pytest.mark.parametrize("start", ["fresh", "version 1"])
def test_replicas_starting_at_once_migrate_once(start):
    with fresh_database() as url:
        if start == "version 1":
            make_version_1(url)
        conns = [connect(url) for _ in range(3)]
        gate = threading.Barrier(len(conns))
        results, errors = [], []

        def start_replica(conn):
            gate.wait()
            try:
                results.append(migrate_postgres(conn))
            except Exception as e:  # collected: a race shows as an error here
                errors.append(e)

        threads = [threading.Thread(target=start_replica, args=(c,)) for c in conns]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        try:
            assert errors == []
            migrated = [r for r in results if r.ran]
            assert len(migrated) == 1, results
            assert migrated[0].found == (None if start == "fresh" else 1)
            assert all(r.found == VERSION and r.ran == () for r in results if not r.ran)
            rows = pg_meta(conns[0])
            assert rows["schema_version"] == str(VERSION)
            assert ("created" in rows) == (start == "fresh")
            accounts = {r[0] for r in conns[0].execute("SELECT account FROM accounts")}
            assert accounts == (set() if start == "fresh" else FIXTURE_ACCOUNTS)
        finally:
            for c in conns:
                c.close()


def test_fixture_file_is_self_contained():
    # Committed without its WAL: a -wal beside it would be lost by git, and with it the newest rows.
    assert not os.path.exists(str(FIXTURE) + "-wal")
    db = sqlite3.connect(f"file:{FIXTURE}?mode=ro", uri=True)
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    finally:
        db.close()


def replay(server: Server) -> list[str]:
    problems = []
    for r in ANSWERS["reads"]:
        client = server.client(r["service"], account=r["account"], region=r["region"])
        got = plain(getattr(client, xform_name(r["operation"]))(**r["params"]))
        problems += missing(r["answer"], got, f"{r['service']} {r['operation']} {r['params']}")
    return problems


def start_together(state: str, count: int = 3) -> list[Server]:
    """`count` serve processes launched at the same moment on one state; each constructor waits until healthy."""
    servers, errors = [None] * count, []

    def start(i):
        try:
            servers[i] = Server(state=state)
        except Exception as e:
            errors.append(e)

    threads = [threading.Thread(target=start, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    if errors:
        for s in servers:
            if s is not None:
                s.stop()
        raise errors[0]
    return servers


def test_replicas_serving_an_old_postgres_database_migrate_once_and_answer_as_before():
    with fresh_database() as url:
        make_version_1(url)
        servers = start_together(url)
        try:
            for s in servers:
                assert replay(s) == []
            # Writes through every replica, after the migration: the accounts rows lock, new seqs follow the old.
            for n, s in enumerate(servers):
                conn = s.client("codeconnections", account="111122223333")
                conn.create_connection(ProviderType="GitHub", ConnectionName=f"replica-{n}")
            names = [c["ConnectionName"] for c in servers[0].client("codeconnections", account="111122223333").list_connections()["Connections"]]
            assert names == ["fixture-github", "fixture-bitbucket", "fixture-on-host", "replica-0", "replica-1", "replica-2"]
        finally:
            lines = [output(s) for s in servers]
        assert sum(f"migrated from schema version 1 to {VERSION}" in line for line in lines) == 1, lines
        with connect(url) as conn:
            assert pg_meta(conn)["schema_version"] == str(VERSION)


def test_serve_refuses_a_newer_postgres_database():
    with fresh_database() as url:
        make_version_1(url)
        with connect(url) as conn:
            conn.execute("UPDATE meta SET value = %s WHERE key = 'schema_version'", (str(VERSION + 1),))
            names, rows = tables(conn), pg_meta(conn)
        result = serve("serve", "--port", str(free_port()), "--state", url)
        assert result.returncode == 2, (result.stdout, result.stderr)
        assert f"has schema version {VERSION + 1}" in result.stderr and f"versions up to {VERSION}" in result.stderr
        assert "Traceback" not in result.stderr
        with connect(url) as conn:
            assert tables(conn) == names and pg_meta(conn) == rows
