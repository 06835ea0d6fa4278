"""How the event loop should wait on PostgreSQL: psycopg's async API, or the sync API on a bounded thread pool.

    python bench/bench_pg_io.py [--queries 20000] [--concurrency 64] [--pool 8] [--rounds 3]

Both run the PostgreSQL store's point read (GetConnection's one statement) from `--concurrency` tasks on a uvloop
event loop, against a fresh database at $CODESTAR_LOCAL_BENCH_PG (default postgresql://postgres@127.0.0.1:5432/postgres):
- async: psycopg_pool.AsyncConnectionPool, `await conn.execute(...)` on the loop;
- threads: psycopg_pool.ConnectionPool on a ThreadPoolExecutor of the same size, `await loop.run_in_executor(...)`,
  which is what App.__call__ does for the PostgreSQL store.
Reports queries/s and this process's CPU per query for each, median of interleaved rounds, and threads/async.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import sys
import time

from run import pg_database

from codestar_local.store.postgres import PostgresTx

GET = PostgresTx.GET  # the store's point read


async def run_async(url, queries, concurrency, size) -> tuple[float, float]:
    from psycopg_pool import AsyncConnectionPool

    async with AsyncConnectionPool(url, min_size=size, max_size=size, kwargs={"autocommit": True}) as pool:
        await pool.wait()

        async def one():
            async with pool.connection() as conn:
                cur = await conn.execute(GET, ("connection", "arn:x:1"))
                await cur.fetchone()

        return await _drive(one, queries, concurrency)


async def run_threads(url, queries, concurrency, size) -> tuple[float, float]:
    from psycopg_pool import ConnectionPool

    with ConnectionPool(url, min_size=size, max_size=size, kwargs={"autocommit": True}) as pool:
        pool.wait()
        executor = concurrent.futures.ThreadPoolExecutor(size)
        loop = asyncio.get_running_loop()

        def read():
            with pool.connection() as conn:
                conn.execute(GET, ("connection", "arn:x:1")).fetchone()

        async def one():
            await loop.run_in_executor(executor, read)

        try:
            return await _drive(one, queries, concurrency)
        finally:
            executor.shutdown()


async def _drive(one, queries, concurrency) -> tuple[float, float]:
    left = queries

    async def client():
        nonlocal left
        while left > 0:
            left -= 1
            await one()

    for _ in range(200):  # warm up: prepared statements, pool
        await one()
    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return queries / wall, cpu / queries * 1e6


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--queries", type=int, default=20000)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--pool", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    import psycopg
    import uvloop

    from codestar_local.store.schema import migrate_postgres

    runs: dict[str, list] = {"async": [], "threads": []}
    with pg_database("io") as url:
        with psycopg.connect(url, autocommit=True) as conn:
            migrate_postgres(conn)  # the store's own tables and indexes
            conn.execute("INSERT INTO items (kind, id, account, region, data) VALUES ('connection', 'arn:x:1', 'a', 'r', %s)",
                         ('{"ConnectionName": "x"}',))
        for _ in range(args.rounds):
            for mode, fn in (("async", run_async), ("threads", run_threads)):
                runs[mode].append(uvloop.run(fn(url, args.queries, args.concurrency, args.pool)))
    median = {mode: sorted(r)[len(r) // 2] for mode, r in runs.items()}
    for mode, (qps, cpu) in median.items():
        print(f"{mode:8} {qps:9.0f} queries/s {cpu:7.1f} us CPU per query   rounds: {[round(q) for q, _ in runs[mode]]}")
    print(f"threads / async: {median['threads'][0] / median['async'][0]:.2f} of the queries/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
