"""Connections to the audit store: the audit's own, never the portal's engine (DESIGN rule 3).

Raw drivers rather than Piccolo: Piccolo fixes one engine per process when table modules are
imported, and the portal's ``piccolo_conf`` must never be involved here. SQL is written once with
``$1`` placeholders; on SQLite they become ``?1`` (numbered parameters). Engine-specific statements
branch on ``conn.engine``.

* SQLite: one ``sqlite3`` connection per ``SQLiteConn``, used from its own thread, WAL, FULL sync.
* PostgreSQL: asyncpg, ``search_path`` set to the audit schema, synchronous commit on.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

import asyncpg

from audit.chain import format_time, parse_time
from audit.settings import AuditSettings

T = TypeVar("T")
_PLACEHOLDER = re.compile(r"\$(\d+)")


def sqlite_connect(settings: AuditSettings, *, create_dir: bool = False) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL, fsync on every commit."""
    path = settings.sqlite_path
    if create_dir:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.parent.is_dir():
        raise sqlite3.OperationalError(f"audit data directory {path.parent} does not exist")
    # Readers never create an empty store by accident: only the writer/migrate may (mode=rwc).
    uri = f"file:{quote(str(path))}?mode={'rwc' if create_dir else 'rw'}"
    conn = sqlite3.connect(
        uri, uri=True, timeout=settings.timeout, isolation_level=None, check_same_thread=False, cached_statements=256
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(settings.timeout * 1000)}")
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")  # persists in the file
        conn.execute("PRAGMA synchronous = FULL")  # WAL + FULL: a commit is fsync'd before it returns
        conn.execute("PRAGMA cache_size = -32768")
    except BaseException:
        conn.close()
        raise
    return conn


def pg_server_settings(settings: AuditSettings, application: str) -> dict[str, str]:
    return {
        "search_path": settings.pg_schema,
        "synchronous_commit": "on",  # durable before COMMIT returns, whatever the role's default
        "application_name": application,
        "lock_timeout": str(int(settings.timeout * 1000)),
    }


async def pg_connect(settings: AuditSettings, role: str, application: str) -> asyncpg.Connection:
    dsn = settings.dsn(role)
    return await asyncpg.connect(
        dsn, timeout=settings.timeout, server_settings=pg_server_settings(settings, application)
    )


class Conn:
    """The few operations the audit code needs, on either engine."""

    engine: str

    async def fetch(self, sql: str, *args: Any) -> list[Sequence[Any]]:
        raise NotImplementedError

    async def execute(self, sql: str, *args: Any) -> None:
        raise NotImplementedError

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        raise NotImplementedError

    def transaction(self):  # an async context manager; IMMEDIATE on SQLite
        raise NotImplementedError

    async def script(self, sql: str) -> None:
        """Several statements without parameters (DDL), inside the caller's transaction."""
        for statement in sql.split(";"):
            if statement.strip():
                await self.execute(statement)

    async def close(self) -> None:
        raise NotImplementedError

    async def fetchrow(self, sql: str, *args: Any) -> Sequence[Any] | None:
        rows = await self.fetch(sql, *args)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, *args: Any) -> Any:
        row = await self.fetchrow(sql, *args)
        return None if row is None else row[0]

    def time(self, moment: datetime) -> Any:
        """A time as a query parameter (text on SQLite, timestamptz on PostgreSQL)."""
        return moment if self.engine == "postgres" else format_time(moment)

    def time_sql(self, column: str) -> str:
        """SQL giving ``column`` in the canonical text form (for hashing)."""
        if self.engine == "postgres":
            return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
        return column

    @staticmethod
    def as_time(value: Any) -> datetime | None:
        if value is None or value == "":
            return None
        return value if isinstance(value, datetime) else parse_time(value)


class SQLiteConn(Conn):
    engine = "sqlite"

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit-sqlite")

    @classmethod
    async def open(cls, settings: AuditSettings, create_dir: bool = False) -> SQLiteConn:
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit-sqlite")
        loop = asyncio.get_running_loop()
        try:
            db = await loop.run_in_executor(executor, lambda: sqlite_connect(settings, create_dir=create_dir))
        finally:
            executor.shutdown(wait=False)
        return cls(db)

    async def _run(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn)

    @staticmethod
    def _sql(sql: str) -> str:
        return _PLACEHOLDER.sub(r"?\1", sql)

    async def fetch(self, sql: str, *args: Any) -> list[Sequence[Any]]:
        query = self._sql(sql)
        return await self._run(lambda: self._db.execute(query, args).fetchall())

    async def execute(self, sql: str, *args: Any) -> None:
        query = self._sql(sql)
        await self._run(lambda: self._db.execute(query, args))

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        query, data = self._sql(sql), list(rows)
        await self._run(lambda: self._db.executemany(query, data))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        await self._run(lambda: self._db.execute("BEGIN IMMEDIATE"))
        try:
            yield
        except BaseException:
            await self._run(self._db.rollback)
            raise
        await self._run(lambda: self._db.execute("COMMIT"))

    async def close(self) -> None:
        await self._run(self._db.close)
        self._thread.shutdown(wait=False)

    def close_now(self) -> None:
        """Close from outside any event loop (pooled connections at shutdown)."""
        self._thread.submit(self._db.close).result(5)
        self._thread.shutdown(wait=False)


class PgConn(Conn):
    engine = "postgres"

    def __init__(self, connection: asyncpg.Connection) -> None:
        self.raw = connection

    async def fetch(self, sql: str, *args: Any) -> list[Sequence[Any]]:
        return await self.raw.fetch(sql, *args)

    async def execute(self, sql: str, *args: Any) -> None:
        await self.raw.execute(sql, *args)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self.raw.executemany(sql, list(rows))

    def transaction(self):
        return self.raw.transaction()

    async def close(self) -> None:
        await self.raw.close()


@asynccontextmanager
async def connect(settings: AuditSettings, role: str = "admin", create_dir: bool = False) -> AsyncIterator[Conn]:
    """A connection on the current event loop (CLI commands, tests)."""
    conn: Conn
    if settings.is_postgres:
        conn = PgConn(await pg_connect(settings, role, f"audit-{role}"))
    else:
        conn = await SQLiteConn.open(settings, create_dir=create_dir)
    try:
        yield conn
    finally:
        await conn.close()


class BackgroundLoop:
    """An event loop on a daemon thread: asyncpg connections live here, whatever loop the caller runs.

    Callers on any loop (or none) submit coroutines and wait on a ``concurrent.futures.Future``, so a
    test or app that runs on a different loop every time still shares one writer (STACK: loops change).
    """

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.loop.call_soon(ready.set)
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, name=name, daemon=True)
        self.thread.start()
        ready.wait()

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def stop(self, cleanup: Callable[[], Awaitable[None]] | None = None, timeout: float = 5.0) -> None:
        if not self.thread.is_alive():
            return
        if cleanup is not None:
            try:
                self.submit(cleanup()).result(timeout)
            except Exception:  # best effort at shutdown
                pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout)
