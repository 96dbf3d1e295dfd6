"""The search's reads, straight to the driver: on SQLite the event loop's own reader connection
(portal/db.py: a sub-millisecond indexed read costs less than a hop to a thread), on PostgreSQL
one pooled asyncpg connection. Piccolo's query objects cost more per statement than most of
these reads; inside a transaction (tests, writers) Piccolo runs them, on the transaction's
connection. Statements are written with ``{}`` placeholders, as for ``Table.raw``."""

from __future__ import annotations

from functools import lru_cache

from portal.db import PooledSQLiteEngine
from portal.subjects.tables import Subject

__all__ = ["fetch", "engine_type"]


def engine_type() -> str:
    return Subject._meta.db.engine_type


@lru_cache(maxsize=4096)
def _compiled(sql: str, postgres: bool) -> str:
    if not postgres:
        return sql.replace("{}", "?")
    parts = sql.split("{}")
    return "".join(p + (f"${i}" if i < len(parts) else "") for i, p in enumerate(parts, 1))


async def fetch(sql: str, *args) -> list[dict]:
    db = Subject._meta.db
    if db.current_transaction.get() is None:
        if isinstance(db, PooledSQLiteEngine):
            return db.read(_compiled(sql, False), args)
        pool = getattr(db, "pool", None)
        if pool is not None:
            async with pool.acquire() as connection:
                return [dict(r.items()) for r in await connection.fetch(_compiled(sql, True), *args)]
    return await Subject.raw(sql, *args)
