"""Group-commit writers and read access to the audit store (R-19; issue 3 items 5–7).

One writer per process and store collects pending appends and commits them as ONE transaction:
the chain head row is locked (SQLite ``BEGIN IMMEDIATE``; PostgreSQL ``SELECT … FOR UPDATE``), which
serialises the chain across every portal worker process; the batch is numbered, counted and hashed
(``chain.build_batch``), inserted with the per-subject counts and the new head, and committed. Each
caller's future resolves only after COMMIT returned, i.e. after fsync (SQLite WAL + synchronous=FULL)
or the PostgreSQL commit with ``synchronous_commit=on``. Any failure rolls the whole batch back and
every caller in it gets ``AuditUnavailable``: nothing is half-written.

The writers live on their own threads, so callers on any event loop (or none) can append.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from datetime import datetime, timezone
from typing import TypeVar

import asyncpg

from audit.chain import STORED_COLUMNS, Batch, Head, build_batch, parse_time
from audit.db import BackgroundLoop, Conn, PgConn, SQLiteConn, connect, pg_connect, sqlite_connect
from audit.events import EVENT_FIELDS, AuditUnavailable, Receipt
from audit.schema import SCHEMA_VERSION, migrate
from audit.settings import AuditSettings

T = TypeVar("T")
_SUBJECT = EVENT_FIELDS.index("subject_ref")
_COLS = ", ".join(STORED_COLUMNS)
_SQLITE_INSERT = f"INSERT INTO entries ({_COLS}) VALUES ({', '.join('?' * len(STORED_COLUMNS))})"
_PG_TYPES = ["bigint", "timestamptz", *["text"] * len(EVENT_FIELDS), "bigint", "text", "text"]
_PG_INSERT = (
    f"INSERT INTO entries ({_COLS}) SELECT * FROM unnest("
    + ", ".join(f"${i + 1}::{t}[]" for i, t in enumerate(_PG_TYPES))
    + ")"
)
_Items = list[tuple[str, ...]] | Callable[[], list[tuple[str, ...]]]
_COUNTS = "SELECT subject_ref, allowed_count, refused_count FROM subject_counts"
_UPSERT = """INSERT INTO subject_counts (subject_ref, allowed_count, refused_count, last_seq) {source}
    ON CONFLICT (subject_ref) DO UPDATE SET allowed_count = excluded.allowed_count,
    refused_count = excluded.refused_count, last_seq = excluded.last_seq"""


class AppendFuture(Future):
    """A pending append. ``abandon()`` (the caller timed out) withdraws it unless already inserted."""

    def __init__(self, values: tuple[str, ...]) -> None:
        super().__init__()
        self.values = values
        self.abandoned = False

    def abandon(self) -> None:
        self.abandoned = True
        self.cancel()


class _Selection:
    """Passed to ``_append`` as ``items``: called once the chain lock is held, it drops the appends
    whose callers gave up while we waited for the lock (they were told 503; nothing is written)."""

    def __init__(self, live: list[AppendFuture]) -> None:
        self.live = live
        self.kept = live

    def __call__(self) -> list[tuple[str, ...]]:
        self.kept = [f for f in self.live if not f.abandoned]
        return [f.values for f in self.kept]

    def resolve(self, receipts: list[Receipt]) -> None:
        for future, receipt in zip(self.kept, receipts):
            future.set_result(receipt)
        kept = {id(f) for f in self.kept}
        for future in self.live:
            if id(future) not in kept:
                future.set_exception(AuditUnavailable("append withdrawn: the caller timed out"))

    def fail(self, error: BaseException) -> None:
        for future in self.live:
            future.set_exception(error)


def _unavailable(exc: BaseException) -> AuditUnavailable:
    err = AuditUnavailable(f"audit store unavailable: {type(exc).__name__}: {exc}")
    err.__cause__ = exc
    return err


def _drain(
    first: AppendFuture, get_nowait: Callable[[], AppendFuture | None], limit: int
) -> tuple[list[AppendFuture], bool]:
    """The batch to commit now (everything pending, up to ``limit``), and whether close() was asked."""
    batch, stop = [first], False
    while len(batch) < limit:
        try:
            item = get_nowait()
        except (queue.Empty, asyncio.QueueEmpty):
            break
        if item is None:
            stop = True
            break
        batch.append(item)
    # A caller that timed out before we started has cancelled its future: skip it (never half-done).
    return [f for f in batch if f.set_running_or_notify_cancel()], stop


class SQLiteWriter:
    """The group-commit writer thread for the SQLite store."""

    def __init__(self, settings: AuditSettings) -> None:
        self.settings = settings
        self._queue: queue.SimpleQueue[AppendFuture | None] = queue.SimpleQueue()
        self._conn: sqlite3.Connection | None = None
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._thread.start()

    def submit(self, values: tuple[str, ...]) -> Future[Receipt]:
        future = AppendFuture(values)
        self._queue.put(future)
        return future

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(10)

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite_connect(self.settings, create_dir=True)
            try:
                try:
                    version = conn.execute("SELECT max(version) FROM schema_version").fetchone()[0]
                except sqlite3.OperationalError:
                    version = 0
                if (version or 0) < SCHEMA_VERSION:  # the embedded store migrates itself
                    asyncio.run(_migrate(self.settings))
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                break
            live, stop = _drain(first, self._queue.get_nowait, self.settings.max_batch)
            selection = _Selection(live)
            try:
                receipts = self._append(self._connection(), selection) if live else []
            except BaseException as exc:
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None
                selection.fail(_unavailable(exc))
            else:
                selection.resolve(receipts)
            if stop:
                break
        if self._conn is not None:
            self._conn.close()

    @staticmethod
    def _append(conn: sqlite3.Connection, items: _Items, now: datetime | None = None) -> list[Receipt]:
        """One group-commit transaction; ``now`` only for loading historical data (tests, bench)."""
        conn.execute("BEGIN IMMEDIATE")  # the write lock: one chain across processes
        try:
            if callable(items):
                items = items()
            if not items:
                conn.execute("ROLLBACK")
                return []
            last_seq, last_hash, last_created = conn.execute(
                "SELECT last_seq, last_hash, last_created_at FROM chain_head WHERE id = 1"
            ).fetchone()
            refs = list({v[_SUBJECT] for v in items})
            counts: dict[str, list[int]] = {}
            for i in range(0, len(refs), 500):
                chunk = refs[i : i + 500]
                marks = ",".join("?" * len(chunk))
                for ref, allowed, refused in conn.execute(
                    f"{_COUNTS} WHERE subject_ref IN ({marks})",
                    chunk,
                ):
                    counts[ref] = [allowed, refused]
            batch = build_batch(
                Head(last_seq, last_hash, last_created or ""), counts, items, now or datetime.now(timezone.utc)
            )
            conn.executemany(_SQLITE_INSERT, batch.rows)
            conn.executemany(
                _UPSERT.format(source="VALUES (?, ?, ?, ?)"), [(ref, *tally) for ref, tally in batch.counts.items()]
            )
            conn.execute(
                "UPDATE chain_head SET last_seq = ?, last_hash = ?, last_created_at = ? WHERE id = 1",
                (batch.head.last_seq, batch.head.last_hash, batch.head.last_created_at),
            )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.rollback()
            raise
        return batch.receipts


async def _migrate(settings: AuditSettings) -> None:
    async with connect(settings, "admin", create_dir=True) as conn:
        await migrate(conn, settings, quiet=True)


class PgWriter:
    """The group-commit writer for PostgreSQL, a task on the store's background loop."""

    def __init__(self, settings: AuditSettings, bg: BackgroundLoop) -> None:
        self.settings = settings
        self.bg = bg
        self._conn: asyncpg.Connection | None = None
        self._queue: asyncio.Queue[AppendFuture | None] = asyncio.Queue()
        self._task = bg.submit(self._main())

    def submit(self, values: tuple[str, ...]) -> Future[Receipt]:
        future = AppendFuture(values)
        self.bg.call(self._queue.put_nowait, future)
        return future

    def close(self) -> None:
        self.bg.call(self._queue.put_nowait, None)
        try:
            self._task.result(10)
        except Exception:
            pass

    async def _connection(self) -> asyncpg.Connection:
        if self._conn is None or self._conn.is_closed():
            conn = await pg_connect(self.settings, "writer", "audit-writer")
            try:
                version = await conn.fetchval("SELECT max(version) FROM schema_version")
            except asyncpg.UndefinedTableError:
                version = 0
            if (version or 0) < SCHEMA_VERSION:
                await conn.close()
                raise AuditUnavailable("audit schema not migrated: run `python -m audit migrate`")
            self._conn = conn
        return self._conn

    async def _main(self) -> None:
        while True:
            first = await self._queue.get()
            if first is None:
                break
            live, stop = _drain(first, self._queue.get_nowait, self.settings.max_batch)
            selection = _Selection(live)
            try:
                receipts = await self._append(await self._connection(), selection) if live else []
            except BaseException as exc:
                if self._conn is not None:
                    self._conn.terminate()
                    self._conn = None
                selection.fail(exc if isinstance(exc, AuditUnavailable) else _unavailable(exc))
                if not isinstance(exc, Exception):
                    raise
            else:
                selection.resolve(receipts)
            if stop:
                break
        if self._conn is not None:
            await self._conn.close()

    @staticmethod
    async def _append(conn: asyncpg.Connection, items: _Items, now: datetime | None = None) -> list[Receipt]:
        """One group-commit transaction; ``now`` only for loading historical data (tests, bench)."""
        async with conn.transaction():
            if callable(items):
                items = items()
            if not items:
                return []
            row = await conn.fetchrow(
                "SELECT last_seq, last_hash, to_char(last_created_at AT TIME ZONE 'UTC', "
                """'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') FROM chain_head WHERE id = 1 FOR UPDATE"""
            )
            refs = list({v[_SUBJECT] for v in items})
            counts = {
                r[0]: [r[1], r[2]]
                for r in await conn.fetch(
                    f"{_COUNTS} WHERE subject_ref = ANY($1::text[])",
                    refs,
                )
            }
            batch = build_batch(Head(row[0], row[1], row[2] or ""), counts, items, now or datetime.now(timezone.utc))
            await conn.execute(_PG_INSERT, *_columns(batch))
            tallies = list(batch.counts.items())
            await conn.execute(
                _UPSERT.format(source="SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[])"),
                [t[0] for t in tallies],
                [t[1][0] for t in tallies],
                [t[1][1] for t in tallies],
                [t[1][2] for t in tallies],
            )
            await conn.execute(
                "UPDATE chain_head SET last_seq = $1, last_hash = $2, last_created_at = $3 WHERE id = 1",
                batch.head.last_seq,
                batch.head.last_hash,
                parse_time(batch.head.last_created_at),
            )
        return batch.receipts


def _columns(batch: Batch) -> list[list]:
    columns = [list(col) for col in zip(*batch.rows)]
    columns[1] = [parse_time(t) for t in columns[1]]
    return columns


class Store:
    """Append and read access for one process; safe to use from any thread or event loop."""

    def __init__(self, settings: AuditSettings, role: str = "writer") -> None:
        self.settings = settings
        self.role = role
        self._lock = threading.Lock()
        self._writer: SQLiteWriter | PgWriter | None = None
        self._bg: BackgroundLoop | None = None
        self._pool: asyncpg.Pool | None = None
        self._sqlite_pool: queue.SimpleQueue[SQLiteConn] = queue.SimpleQueue()

    def _background(self) -> BackgroundLoop:
        if self._bg is None:
            self._bg = BackgroundLoop("audit-pg")
        return self._bg

    def submit(self, values: tuple[str, ...]) -> Future[Receipt]:
        with self._lock:
            if self._writer is None:
                if self.settings.is_postgres:
                    self._writer = PgWriter(self.settings, self._background())
                else:
                    self._writer = SQLiteWriter(self.settings)
            writer = self._writer
        return writer.submit(values)

    async def run(self, fn: Callable[[Conn], Awaitable[T]]) -> T:
        """Run ``fn(conn)`` with a read connection; store failures become ``AuditUnavailable``."""
        try:
            if self.settings.is_postgres:
                with self._lock:
                    bg = self._background()
                return await asyncio.wrap_future(bg.submit(self._run_pg(fn)))
            return await self._run_sqlite(fn)
        except (OSError, TimeoutError, sqlite3.Error, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise _unavailable(exc) from exc

    async def _run_pg(self, fn: Callable[[Conn], Awaitable[T]]) -> T:
        if self._pool is None:
            self._pool = await asyncpg.create_pool(
                self.settings.dsn(self.role),
                min_size=0,
                max_size=4,
                timeout=self.settings.timeout,
                server_settings={"search_path": self.settings.pg_schema, "application_name": f"audit-{self.role}"},
            )
        async with self._pool.acquire() as raw:
            return await fn(PgConn(raw))

    async def _run_sqlite(self, fn: Callable[[Conn], Awaitable[T]]) -> T:
        try:
            conn = self._sqlite_pool.get_nowait()
        except queue.Empty:
            conn = await SQLiteConn.open(self.settings)
        try:
            return await fn(conn)
        finally:
            self._sqlite_pool.put(conn)

    def close(self) -> None:
        with self._lock:
            writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()
        while not self._sqlite_pool.empty():
            self._sqlite_pool.get_nowait().close_now()
        if self._bg is not None:
            pool, self._pool = self._pool, None

            async def cleanup() -> None:
                if pool is not None:
                    await pool.close()

            self._bg.stop(cleanup)
            self._bg = None
