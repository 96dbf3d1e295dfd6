"""Monthly range partitions of ``entries`` on PostgreSQL (issue 3 item 9: dropped whole at retention).

Partitions are named ``entries_pYYYYMM`` and cover [first of the month, first of the next) in UTC.
``migrate``, ``checkpoint``, ``purge`` and ``serve`` keep three months ahead; a DEFAULT partition
catches anything outside them, so an append never fails for want of a partition (fail closed only
when the store is really down). The writer role inserts through the parent and cannot touch
partitions directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

from audit.db import Conn
from audit.guard import pg_truncate_trigger_sql

_NAME = re.compile(r"^entries_p(\d{4})(\d{2})$")


def month_start(moment: datetime) -> datetime:
    return datetime(moment.year, moment.month, 1, tzinfo=timezone.utc)


def next_month(start: datetime) -> datetime:
    return start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)


def partition_name(start: datetime) -> str:
    return f"entries_p{start.year:04d}{start.month:02d}"


@dataclass(frozen=True)
class Partition:
    name: str
    start: datetime
    end: datetime


async def list_partitions(conn: Conn) -> list[Partition]:
    rows = await conn.fetch(
        """SELECT c.relname FROM pg_inherits i
           JOIN pg_class c ON c.oid = i.inhrelid
           JOIN pg_class p ON p.oid = i.inhparent
           JOIN pg_namespace n ON n.oid = p.relnamespace
           WHERE p.relname = 'entries' AND n.nspname = current_schema()"""
    )
    parts = []
    for (name,) in rows:
        match = _NAME.match(name)
        if match:
            start = datetime(int(match[1]), int(match[2]), 1, tzinfo=timezone.utc)
            parts.append(Partition(name, start, next_month(start)))
    return sorted(parts, key=lambda p: p.start)


async def ensure_partitions(
    conn: Conn, start: datetime, months_ahead: int = 3, end: datetime | None = None
) -> list[str]:
    """Create the monthly partitions from ``start``'s month to ``months_ahead`` after it (or ``end``)."""
    existing = {p.name for p in await list_partitions(conn)}
    guarded = await conn.fetchval(
        "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = current_schema() AND p.proname = 'entries_guard'"
    )
    created = []
    month = month_start(start)
    last = month_start(end) if end else month
    for _ in range(0 if end else months_ahead):
        last = next_month(last)
    while month <= last:
        name = partition_name(month)
        if name not in existing:
            try:
                async with conn.transaction():
                    await conn.execute(
                        f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF entries "
                        f"FOR VALUES FROM ('{month.isoformat()}') TO ('{next_month(month).isoformat()}')"
                    )
                    if guarded:  # the row guard is cloned from the parent; TRUNCATE needs its own (guard.py)
                        await conn.execute(pg_truncate_trigger_sql(name))
                created.append(name)
            except Exception as exc:  # rows for that month already sit in the default partition
                print(f"audit: could not create partition {name}: {exc}")
        month = next_month(month)
    return created


async def partition_of(conn: Conn, seq: int) -> str | None:
    return await conn.fetchval("SELECT tableoid::regclass::text FROM entries WHERE seq = $1", seq)
