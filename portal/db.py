"""Database engines: embedded SQLite by default, PostgreSQL when DATABASE_URL is set.

Piccolo's SQLite engine opens a fresh connection (and a thread) for every query run outside a
transaction (STACK.md). That costs milliseconds on every page, so queries outside transactions
borrow from a small per-process pool of long-lived connections instead. Transactions still get
their own connection from Piccolo, which is what SQLite's locking wants.

Transactions borrow a long-lived connection too (an idle list per loop, never a wait), and the
writing ones (IMMEDIATE, EXCLUSIVE) of one process queue on an asyncio lock per loop: they wait
their turn in line instead of in SQLite's busy handler, which sleeps in growing steps of up to
100 ms and let concurrent writers of one process starve each other. Other processes (housekeeping,
the CLI) still meet the busy timeout as before.

Reads outside a transaction (the public pages' indexed look-ups, well under a millisecond) run
synchronously on the event loop on one long-lived stdlib connection per loop: the hop to
aiosqlite's worker thread and back cost more than the read itself. In WAL mode a reader never
waits for the writer, so such a read cannot stall the loop on a lock. Writes keep the thread.
"""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
from pathlib import Path
from typing import Any

import aiosqlite
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory
from piccolo.querystring import QueryString

# Per-connection settings: a bigger page cache and memory-mapped reads for search (FTS5).
_CONNECTION_PRAGMAS = (
    "PRAGMA foreign_keys = 1",
    "PRAGMA cache_size = -65536",
    "PRAGMA mmap_size = 268435456",
    "PRAGMA temp_store = MEMORY",
)


# A statement that only reads: SELECT …, or WITH … SELECT without a data-changing verb.
_READ = re.compile(r"\s*(?:SELECT\b|WITH\b(?!.*\b(?:INSERT|UPDATE|DELETE|REPLACE)\b))", re.I | re.S)


def is_read(query: str) -> bool:
    return _READ.match(query) is not None


class PooledSQLiteEngine(SQLiteEngine):
    """SQLiteEngine whose out-of-transaction queries reuse pooled connections."""

    def __init__(self, path: str, pool_size: int = 4, **kwargs: Any) -> None:
        super().__init__(path=path, timeout=30, **kwargs)
        self.pool_size = pool_size
        self._pools: dict[int, asyncio.LifoQueue] = {}
        self._opened: dict[int, int] = {}
        self._readers: dict[int, sqlite3.Connection] = {}
        self._idle: dict[int, list[aiosqlite.Connection]] = {}
        self._write_locks: dict[int, asyncio.Lock] = {}

    def transaction(
        self, transaction_type: TransactionType = TransactionType.deferred, allow_nested: bool = True
    ) -> SQLiteTransaction:
        return _PooledTransaction(self, transaction_type=transaction_type, allow_nested=allow_nested)

    async def _take_for_transaction(self) -> aiosqlite.Connection:
        idle = self._idle.setdefault(id(asyncio.get_running_loop()), [])
        return idle.pop() if idle else await self.get_connection()

    async def _give_back(self, connection: aiosqlite.Connection) -> None:
        idle = self._idle.setdefault(id(asyncio.get_running_loop()), [])
        if connection.in_transaction:  # a failed COMMIT or ROLLBACK: never hand on an open one
            try:
                await connection.rollback()
            except Exception:
                await connection.close()
                return
        if len(idle) < self.pool_size:
            idle.append(connection)
        else:
            await connection.close()

    def _write_lock(self) -> asyncio.Lock:
        return self._write_locks.setdefault(id(asyncio.get_running_loop()), asyncio.Lock())

    async def get_connection(self) -> aiosqlite.Connection:
        connection = aiosqlite.connect(**self.connection_kwargs)
        # Pooled connections live until the process ends; a non-daemon worker thread would
        # keep the interpreter from exiting (aiosqlite 0.22 starts one per connection).
        connection._thread.daemon = True
        await connection
        connection.row_factory = dict_factory  # type: ignore[assignment]
        for pragma in _CONNECTION_PRAGMAS:
            await connection.execute(pragma)
        return connection

    async def _acquire(self) -> aiosqlite.Connection:
        key = id(asyncio.get_running_loop())
        pool = self._pools.setdefault(key, asyncio.LifoQueue())
        if pool.empty() and self._opened.get(key, 0) < self.pool_size:
            self._opened[key] = self._opened.get(key, 0) + 1
            try:
                return await self.get_connection()
            except BaseException:
                self._opened[key] -= 1
                raise
        return await pool.get()

    def _release(self, connection: aiosqlite.Connection) -> None:
        self._pools[id(asyncio.get_running_loop())].put_nowait(connection)

    def _reader(self) -> sqlite3.Connection:
        key = id(asyncio.get_running_loop())
        connection = self._readers.get(key)
        if connection is None:
            connection = sqlite3.connect(**self.connection_kwargs)
            connection.row_factory = dict_factory
            for pragma in _CONNECTION_PRAGMAS:
                connection.execute(pragma)
            self._readers[key] = connection
        return connection

    def read(self, query: str, args=()) -> list[dict]:
        """A read statement (``?`` placeholders) on this loop's reader connection, now."""
        connection = self._reader()
        try:
            return connection.execute(query, args).fetchall()
        finally:
            if connection.in_transaction:  # never hold a read snapshot between requests
                connection.rollback()

    async def _run_in_new_connection(self, query, args=None, query_type="generic", table=None):
        if query_type != "insert" and is_read(query):
            return self.read(query, args or [])
        connection = await self._acquire()
        try:
            async with connection.execute(query, args or []) as cursor:
                return await cursor.fetchall()
        finally:
            try:
                if connection.in_transaction:  # a raw statement left one open: never leak it
                    await connection.rollback()
            finally:
                self._release(connection)

    def data_version(self) -> tuple:
        """Changes whenever another connection (any process) commits to the database (SQLite's
        ``PRAGMA data_version``); this reader connection never writes."""
        connection = self._reader()
        return (id(connection), connection.execute("PRAGMA data_version").fetchone()["data_version"])

    async def close_pool(self) -> None:
        reader = self._readers.pop(id(asyncio.get_running_loop()), None)
        if reader is not None:
            reader.close()
        pool = self._pools.pop(id(asyncio.get_running_loop()), None)
        self._opened.pop(id(asyncio.get_running_loop()), None)
        while pool is not None and not pool.empty():
            await pool.get_nowait().close()
        for connection in self._idle.pop(id(asyncio.get_running_loop()), []):
            await connection.close()
        self._write_locks.pop(id(asyncio.get_running_loop()), None)


class _PooledTransaction(SQLiteTransaction):
    """Piccolo's SQLite transaction on a borrowed connection; writers of this loop take turns."""

    __slots__ = ("_lock",)

    async def __aenter__(self) -> SQLiteTransaction:
        if self._parent is not None:
            return self._parent
        engine: PooledSQLiteEngine = self.engine  # type: ignore[assignment]
        self._lock = None if self.transaction_type == TransactionType.deferred else engine._write_lock()
        if self._lock is not None:
            try:  # the same bound and error as SQLite's own busy timeout
                async with asyncio.timeout(engine.connection_kwargs.get("timeout", 30)):
                    await self._lock.acquire()
            except TimeoutError:
                raise sqlite3.OperationalError("database is locked") from None
        try:
            self.connection = await engine._take_for_transaction()
            try:
                await self.begin()
            except BaseException:
                await engine._give_back(self.connection)
                raise
        except BaseException:
            if self._lock is not None:
                self._lock.release()
            raise
        self.context = engine.current_transaction.set(self)
        return self

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        if self._parent:
            return exception is None
        try:
            if exception:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
        finally:
            try:
                await self.engine._give_back(self.connection)  # type: ignore[attr-defined]
            finally:
                self.engine.current_transaction.reset(self.context)
                if self._lock is not None:
                    self._lock.release()
        return exception is None


def prepare_sqlite_file(path: Path) -> None:
    """WAL lets readers run beside the single writer; the mode persists in the file (STACK.md)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Created 0600 whatever the caller's umask (the `piccolo` CLI sets none); SQLite gives the
    # -wal/-shm files the database file's mode (SPEC §5, R-28).
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")


def make_engine(database_url: str | None, sqlite_path: Path) -> SQLiteEngine | PostgresEngine:
    if database_url:
        # No JIT: the portal's statements are short look-ups, and one whose plan is costed past
        # jit_above_cost (a search walk that may read a thousand rows) spent 40+ ms compiling.
        return PostgresEngine(config={"dsn": database_url, "server_settings": {"jit": "off"}}, extensions=("pg_trgm",))
    prepare_sqlite_file(sqlite_path)
    return PooledSQLiteEngine(path=str(sqlite_path.resolve()))


async def start_pool(engine: PostgresEngine, min_size: int, max_size: int) -> None:
    """The PostgreSQL connection pool, whose released connections are handed on as they are."""
    await engine.start_connection_pool(min_size=min_size, max_size=max_size, reset=_keep_session)


async def _keep_session(connection: Any) -> None:
    """What asyncpg's pool does to a released connection besides rolling back a transaction left
    open: nothing. Its default reset (``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET
    ALL``) is one more round trip on every release, i.e. for every statement run outside a
    transaction; the portal leaves no session state to reset: its advisory locks are transaction
    locks (``pg_advisory_xact_lock``), its settings ``SET LOCAL``, and it neither listens nor
    keeps cursors or temporary tables (tests/integration/test_pool_sessions.py)."""


def is_postgres(engine: Any) -> bool:
    return getattr(engine, "engine_type", "") == "postgres"


async def data_version(engine: Any) -> object:
    """A value that differs after any committed write: a cache filled under one value is current
    as long as this returns the same value. Read it before computing what is cached."""
    if is_postgres(engine):
        # Two equal snapshots (xmin:xmax:in-progress ids) see exactly the same rows; a transaction
        # that writes gets a new id, so the snapshot changes with every write (any database of
        # the cluster), while reads leave it alone.
        rows = await engine.run_querystring(QueryString("SELECT pg_current_snapshot()::text AS snap"))
        return rows[0]["snap"]
    return engine.data_version()
