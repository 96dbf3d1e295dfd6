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
import time
from collections.abc import Awaitable, Callable, Sequence
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
_SQLITE_INSERT = f"INSERT INTO entries ({_COLS}) VALUES"
_SQLITE_ROW = f"({', '.join('?' * len(STORED_COLUMNS))})"
_SQLITE_CHUNK = 500  # rows per statement: 500 x 19 parameters, well under SQLite's 32,766
_SQLITE_HEAD = "SELECT last_seq, last_hash, last_created_at, NULL, NULL, NULL FROM chain_head WHERE id = 1"
_SQLITE_COUNTS = (
    "SELECT NULL, NULL, NULL, subject_ref, allowed_count, refused_count FROM subject_counts WHERE subject_ref IN"
)
_PG_TYPES = ["bigint", "timestamptz", *["text"] * len(EVENT_FIELDS), "bigint", "text", "text"]
_PG_LOCK = "BEGIN; SELECT 1 FROM chain_head WHERE id = 1 FOR UPDATE"
_PG_READ = (
    "SELECT last_seq, last_hash, to_char(last_created_at AT TIME ZONE 'UTC', "
    """'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), NULL::text, NULL::bigint, NULL::bigint FROM chain_head WHERE id = 1 """
    "UNION ALL SELECT NULL, NULL, NULL, subject_ref, allowed_count, refused_count FROM subject_counts "
    "WHERE subject_ref = ANY($1::text[])"
)
_N = len(_PG_TYPES)
_PG_WRITE = (
    f"WITH ins AS (INSERT INTO entries ({_COLS}) SELECT * FROM unnest("
    + ", ".join(f"${i + 1}::{t}[]" for i, t in enumerate(_PG_TYPES))
    + f")), cnt AS (INSERT INTO subject_counts (subject_ref, allowed_count, refused_count, last_seq) "
    f"SELECT * FROM unnest(${_N + 1}::text[], ${_N + 2}::bigint[], ${_N + 3}::bigint[], ${_N + 4}::bigint[]) "
    "ON CONFLICT (subject_ref) DO UPDATE SET allowed_count = excluded.allowed_count, "
    "refused_count = excluded.refused_count, last_seq = excluded.last_seq) "
    f"UPDATE chain_head SET last_seq = ${_N + 5}, last_hash = ${_N + 6}, last_created_at = ${_N + 7} WHERE id = 1"
)
_Items = list[tuple[str, ...]] | Callable[[], list[tuple[str, ...]]]
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
    """Passed to ``_append`` as ``items``: called once the chain lock is held. It first takes the
    appends that arrived while we waited for the lock (a bigger group commit: with several processes
    the wait for the head is where time goes), then drops those whose callers gave up meanwhile
    (they were told 503; nothing is written)."""

    def __init__(
        self, live: list[AppendFuture], get_nowait: Callable[[], AppendFuture | None] | None = None, limit: int = 0
    ) -> None:
        self.live = live
        self.kept = live
        self.stop = False  # close() was asked while refilling
        self._get = get_nowait
        self._limit = limit

    def __call__(self) -> list[tuple[str, ...]]:
        if self._get is not None and len(self.live) < self._limit:
            more, self.stop = _take(self._get, self._limit - len(self.live))
            self.live = self.live + more
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


def _take(get_nowait: Callable[[], AppendFuture | None], limit: int) -> tuple[list[AppendFuture], bool]:
    """Up to ``limit`` pending appends without waiting, and whether close() was asked."""
    batch: list[AppendFuture] = []
    stop = False
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


def _drain(
    first: AppendFuture, get_nowait: Callable[[], AppendFuture | None], limit: int
) -> tuple[list[AppendFuture], bool]:
    """The batch to commit now (everything pending, up to ``limit``), and whether close() was asked."""
    rest, stop = _take(get_nowait, limit - 1)
    return [f for f in [first] if f.set_running_or_notify_cancel()] + rest, stop


# Group commit for a busy portal. A commit costs the appending process about half a millisecond of
# CPU however few entries it carries (SQLite: the WAL pages of the entry, its eight indexes, the
# count and the head, written and fsync'd; PostgreSQL: four round trips through the writer's loop),
# and request handlers that each append once arrive a few milliseconds apart, so without care every
# request pays a whole commit. When the writer had been idle for a while (>= _IDLE_S: appends come
# from independent requests, not from callers waiting on the previous commit), the previous commit
# is recent (< _BUSY_S) and small (< _GATHER_ENOUGH), and few appends are pending, it waits _GATHER_S
# for company before committing (+10 ms latency then). An idle portal commits at once; callers
# appending back to back, and heavy load, never wait.
_GATHER_S = 0.010
_GATHER_ENOUGH = 8
_BUSY_S = 0.05
_IDLE_S = 0.001


def _should_gather(waiting_since: float, last_commit: float, last_size: int, pending: int) -> bool:
    now = time.monotonic()
    return (
        now - waiting_since >= _IDLE_S
        and now - last_commit < _BUSY_S
        and last_size < _GATHER_ENOUGH
        and pending + 1 < _GATHER_ENOUGH
    )


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
        last_commit, last_size = 0.0, 0
        while True:
            waiting_since = time.monotonic()
            first = self._queue.get()
            if first is None:
                break
            if _should_gather(waiting_since, last_commit, last_size, self._queue.qsize()):
                time.sleep(_GATHER_S)  # releases the GIL: the request handlers keep working meanwhile
            live, stop = _drain(first, self._queue.get_nowait, self.settings.max_batch)
            last_commit, last_size = time.monotonic(), len(live)
            selection = _Selection(live, None if stop else self._queue.get_nowait, self.settings.max_batch)
            try:
                receipts = self._append(self._connection(), selection) if live else []
            except BaseException as exc:
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None
                selection.fail(_unavailable(exc))
            else:
                selection.resolve(receipts)
            if stop or selection.stop:
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
            # Few statements per commit: each sqlite3 call releases and retakes the GIL, and under
            # load every retake waits for the request-handling thread (multi-row statements, not
            # executemany; head and counts in one SELECT).
            refs = list({v[_SUBJECT] for v in items})
            head: Sequence | None = None
            counts: dict[str, list[int]] = {}
            for i in range(0, len(refs), _SQLITE_CHUNK):
                chunk = refs[i : i + _SQLITE_CHUNK]
                sql = f"{_SQLITE_COUNTS} ({','.join('?' * len(chunk))})"
                for row in conn.execute(f"{_SQLITE_HEAD} UNION ALL {sql}" if i == 0 else sql, chunk):
                    if row[3] is None:
                        head = row
                    else:
                        counts[row[3]] = [row[4], row[5]]
            if head is None:
                raise AuditUnavailable("audit chain head row is missing")
            batch = build_batch(Head(head[0], head[1], head[2] or ""), counts, items, now or datetime.now(timezone.utc))
            for i in range(0, len(batch.rows), _SQLITE_CHUNK):
                chunk = batch.rows[i : i + _SQLITE_CHUNK]
                conn.execute(f"{_SQLITE_INSERT} {', '.join([_SQLITE_ROW] * len(chunk))}", [v for r in chunk for v in r])
            tallies = [(ref, *tally) for ref, tally in batch.counts.items()]
            for i in range(0, len(tallies), _SQLITE_CHUNK):
                chunk = tallies[i : i + _SQLITE_CHUNK]
                values = "VALUES " + ", ".join(["(?, ?, ?, ?)"] * len(chunk))
                conn.execute(_UPSERT.format(source=values), [v for r in chunk for v in r])
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
        last_commit, last_size = 0.0, 0
        while True:
            waiting_since = time.monotonic()
            first = await self._queue.get()
            if first is None:
                break
            if _should_gather(waiting_since, last_commit, last_size, self._queue.qsize()):
                await asyncio.sleep(_GATHER_S)
            live, stop = _drain(first, self._queue.get_nowait, self.settings.max_batch)
            last_commit, last_size = time.monotonic(), len(live)
            selection = _Selection(live, None if stop else self._queue.get_nowait, self.settings.max_batch)
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
            if stop or selection.stop:
                break
        if self._conn is not None:
            await self._conn.close()

    @staticmethod
    async def _append(conn: asyncpg.Connection, items: _Items, now: datetime | None = None) -> list[Receipt]:
        """One group-commit transaction; ``now`` only for loading historical data (tests, bench).

        Four round trips, three of them while the chain lock is held (the lock is what every writer
        process queues on): BEGIN + lock; head and counts (a statement started after the lock is
        granted, so it sees the previous holder's commit); entries + counts + head in one statement;
        COMMIT (durable: synchronous_commit=on). Any failure before COMMIT rolls everything back.
        """
        try:
            await conn.execute(_PG_LOCK)  # simple protocol: BEGIN and the lock in one round trip
            if callable(items):
                items = items()
            if not items:
                await conn.execute("ROLLBACK")
                return []
            refs = list({v[_SUBJECT] for v in items})
            head: Sequence | None = None
            counts: dict[str, list[int]] = {}
            for r in await conn.fetch(_PG_READ, refs):
                if r[3] is None:
                    head = r
                else:
                    counts[r[3]] = [r[4], r[5]]
            if head is None:
                raise AuditUnavailable("audit chain head row is missing")
            batch = build_batch(Head(head[0], head[1], head[2] or ""), counts, items, now or datetime.now(timezone.utc))
            tallies = list(batch.counts.items())
            await conn.execute(
                _PG_WRITE,
                *_columns(batch),
                [t[0] for t in tallies],
                [t[1][0] for t in tallies],
                [t[1][1] for t in tallies],
                [t[1][2] for t in tallies],
                batch.head.last_seq,
                batch.head.last_hash,
                parse_time(batch.head.last_created_at),
            )
            await conn.execute("COMMIT")
        except BaseException:
            if not conn.is_closed() and conn.is_in_transaction():
                try:
                    await conn.execute("ROLLBACK")
                except Exception:  # the writer terminates a broken connection anyway
                    pass
            raise
        return batch.receipts


def _columns(batch: Batch) -> list[list]:
    columns = [list(col) for col in zip(*batch.rows)]
    times: dict[str, datetime] = {}  # a batch shares one created_at: parse it once, not per row
    columns[1] = [times.get(t) or times.setdefault(t, parse_time(t)) for t in columns[1]]
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
