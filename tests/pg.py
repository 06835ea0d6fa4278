"""PostgreSQL for tests: the server on 127.0.0.1:5432 (trust auth). Under CI=true it must be there."""

from __future__ import annotations

import contextlib
import os
import uuid

import pytest

ADMIN_URL = os.environ.get("CODESTAR_LOCAL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextlib.contextmanager
def fresh_database():
    """Yield the URL of a new, empty database; drop it afterwards."""
    import psycopg

    try:
        admin = psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as e:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"PostgreSQL is not reachable at {ADMIN_URL}: {e}")
    name = f"codestar_local_test_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
