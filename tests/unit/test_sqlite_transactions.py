"""SQLite transactions on borrowed connections, writers of one process in line (portal/db.py).

A fresh database file per test; these exercise the engine itself, whatever engine the suite runs on.
"""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from piccolo.engine.sqlite import TransactionType

from portal.db import PooledSQLiteEngine, prepare_sqlite_file

IMMEDIATE = TransactionType.immediate


@pytest.fixture
def engine(tmp_path):
    path = tmp_path / "t.sqlite3"
    prepare_sqlite_file(path)
    return PooledSQLiteEngine(path=str(path))


async def _table(engine) -> None:
    await engine._run_in_new_connection("CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, v TEXT)")


async def _rows(engine) -> list[tuple]:
    rows = await engine._run_in_new_connection("SELECT k, v FROM t ORDER BY id")
    return [(r["k"], r["v"]) for r in rows]


@pytest.mark.anyio
async def test_concurrent_writers_all_commit_in_their_own_transaction(engine):
    await _table(engine)

    async def writer(k: int) -> None:
        for i in range(20):
            async with engine.transaction(transaction_type=IMMEDIATE) as tx:
                await tx.connection.execute("INSERT INTO t (k, v) VALUES (?, ?)", (k, f"{i}a"))
                await asyncio.sleep(0)  # let the others try to start meanwhile
                await tx.connection.execute("INSERT INTO t (k, v) VALUES (?, ?)", (k, f"{i}b"))

    await asyncio.wait_for(asyncio.gather(*(writer(k) for k in range(8))), 60)
    rows = await _rows(engine)
    assert len(rows) == 8 * 20 * 2
    # One writer at a time: each transaction's two rows are adjacent.
    for first, second in zip(rows[::2], rows[1::2], strict=True):
        assert first[0] == second[0] and first[1][:-1] == second[1][:-1]
    await engine.close_pool()


@pytest.mark.anyio
async def test_a_failed_transaction_rolls_back_and_its_connection_is_clean(engine):
    await _table(engine)
    with pytest.raises(RuntimeError):
        async with engine.transaction(transaction_type=IMMEDIATE) as tx:
            await tx.connection.execute("INSERT INTO t (k, v) VALUES (1, 'lost')")
            raise RuntimeError("boom")
    async with engine.transaction(transaction_type=IMMEDIATE) as tx:
        assert tx.connection.in_transaction  # BEGIN of its own, nothing left over
        await tx.connection.execute("INSERT INTO t (k, v) VALUES (2, 'kept')")
    assert await _rows(engine) == [(2, "kept")]
    await engine.close_pool()


@pytest.mark.anyio
async def test_a_nested_transaction_joins_its_parent(engine):
    await _table(engine)
    async with engine.transaction(transaction_type=IMMEDIATE) as outer:
        async with engine.transaction(transaction_type=IMMEDIATE) as inner:
            assert inner is outer  # no second lock: it would wait for itself
            await inner.connection.execute("INSERT INTO t (k, v) VALUES (1, 'x')")
    assert await _rows(engine) == [(1, "x")]
    await engine.close_pool()


@pytest.mark.anyio
async def test_a_writer_waiting_too_long_gets_database_is_locked(tmp_path):
    path = tmp_path / "t.sqlite3"
    prepare_sqlite_file(path)
    engine = PooledSQLiteEngine(path=str(path))
    engine.connection_kwargs["timeout"] = 0.2
    await _table(engine)
    holding = asyncio.Event()
    release = asyncio.Event()

    async def holder() -> None:
        async with engine.transaction(transaction_type=IMMEDIATE):
            holding.set()
            await release.wait()

    task = asyncio.create_task(holder())
    await holding.wait()
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        async with engine.transaction(transaction_type=IMMEDIATE):
            pass
    release.set()
    await task
    async with engine.transaction(transaction_type=IMMEDIATE) as tx:  # the line moves on
        await tx.connection.execute("INSERT INTO t (k, v) VALUES (3, 'after')")
    assert await _rows(engine) == [(3, "after")]
    await engine.close_pool()


@pytest.mark.anyio
async def test_transactions_reuse_connections_instead_of_opening_one_each(engine):
    await _table(engine)
    seen = set()
    for _ in range(5):
        async with engine.transaction(transaction_type=IMMEDIATE) as tx:
            seen.add(id(tx.connection))
    assert len(seen) == 1  # each new aiosqlite connection is a thread start and four PRAGMAs
    await engine.close_pool()
