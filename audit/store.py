"""Group-commit transactions and read access to the audit store (R-19; issue 3 items 5–7).

``sqlite_append`` / ``pg_append`` commit a batch of appends as ONE transaction: the chain head row is
locked (SQLite ``BEGIN IMMEDIATE``; PostgreSQL ``SELECT … FOR UPDATE``), which serialises the chain
across every writer process; the batch is numbered, counted and hashed (``chain.build_batch``),
inserted with the per-subject counts and the new head, and committed. They return the receipts only
after COMMIT returned, i.e. after fsync (SQLite WAL + synchronous=FULL) or the PostgreSQL commit with
``synchronous_commit=on``. Any failure rolls the whole batch back: nothing is half-written. The audit
writer process (``audit.writer``) is their caller; ``Store`` gives reads from any loop or thread.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Awaitable, Callable, Sequence
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


def _unavailable(exc: BaseException) -> AuditUnavailable:
    err = AuditUnavailable(f"audit store unavailable: {type(exc).__name__}: {exc}")
    err.__cause__ = exc
    return err


def _batch(rows: Sequence[Sequence], items: list[tuple[str, ...]], now: datetime | None) -> Batch:
    """Build the batch from the head row and the subjects' count rows, read under the chain lock."""
    head: Sequence | None = None
    counts: dict[str, list[int]] = {}
    for r in rows:  # (last_seq, last_hash, last_created_at, NULL…) or (NULL…, subject_ref, allowed, refused)
        if r[3] is None:
            head = r
        else:
            counts[r[3]] = [r[4], r[5]]
    if head is None:
        raise AuditUnavailable("audit chain head row is missing")
    return build_batch(Head(head[0], head[1], head[2] or ""), counts, items, now or datetime.now(timezone.utc))


def sqlite_append(conn: sqlite3.Connection, items: _Items, now: datetime | None = None) -> list[Receipt]:
    """One group-commit transaction; ``now`` only for loading historical data (tests, bench).

    ``items`` may be a callable, called once the chain lock is held: the writer then adds what
    arrived while it waited and drops appends whose callers gave up (they were told 503)."""
    conn.execute("BEGIN IMMEDIATE")  # the write lock: one chain across processes
    try:
        if callable(items):
            items = items()
        if not items:
            conn.execute("ROLLBACK")
            return []
        # Few statements per commit: multi-row statements, not executemany; head and counts in one SELECT.
        refs = list({v[_SUBJECT] for v in items})
        rows: list[Sequence] = []
        for i in range(0, len(refs), _SQLITE_CHUNK):
            chunk = refs[i : i + _SQLITE_CHUNK]
            sql = f"{_SQLITE_COUNTS} ({','.join('?' * len(chunk))})"
            rows += conn.execute(f"{_SQLITE_HEAD} UNION ALL {sql}" if i == 0 else sql, chunk)
        batch = _batch(rows, items, now)
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


def open_sqlite_writer(settings: AuditSettings) -> sqlite3.Connection:
    """The writer's connection; the embedded store migrates itself on first use."""
    conn = sqlite_connect(settings, create_dir=True)
    try:
        try:
            version = conn.execute("SELECT max(version) FROM schema_version").fetchone()[0]
        except sqlite3.OperationalError:
            version = 0
        if (version or 0) < SCHEMA_VERSION:
            asyncio.run(_migrate(settings))
    except BaseException:
        conn.close()
        raise
    return conn


async def open_pg_writer(settings: AuditSettings) -> asyncpg.Connection:
    """The writer role's connection; PostgreSQL is migrated by the operator (``python -m audit migrate``)."""
    conn = await pg_connect(settings, "writer", "audit-writer")
    try:
        version = await conn.fetchval("SELECT max(version) FROM schema_version")
    except asyncpg.UndefinedTableError:
        version = 0
    if (version or 0) < SCHEMA_VERSION:
        await conn.close()
        raise AuditUnavailable("audit schema not migrated: run `python -m audit migrate`")
    return conn


async def pg_append(conn: asyncpg.Connection, items: _Items, now: datetime | None = None) -> list[Receipt]:
    """One group-commit transaction; ``now`` only for loading historical data (tests, bench);
    ``items`` as for ``sqlite_append``.

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
        batch = _batch(await conn.fetch(_PG_READ, list({v[_SUBJECT] for v in items})), items, now)
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
    """Read access for one process; safe to use from any thread or event loop."""

    def __init__(self, settings: AuditSettings, role: str = "writer") -> None:
        self.settings = settings
        self.role = role
        self._lock = threading.Lock()
        self._bg: BackgroundLoop | None = None
        self._pool: asyncpg.Pool | None = None
        self._sqlite_pool: queue.SimpleQueue[SQLiteConn] = queue.SimpleQueue()

    def _background(self) -> BackgroundLoop:
        if self._bg is None:
            self._bg = BackgroundLoop("audit-pg")
        return self._bg

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
        while not self._sqlite_pool.empty():
            self._sqlite_pool.get_nowait().close_now()
        if self._bg is not None:
            pool, self._pool = self._pool, None

            async def cleanup() -> None:
                if pool is not None:
                    await pool.close()

            self._bg.stop(cleanup)
            self._bg = None
