"""Serial document numbers (异议编号, 催报文号 …) handed out once each, under concurrency.

A number is "how many this year (or day) so far, plus one", read and written in one transaction.
On SQLite the caller's IMMEDIATE transaction already holds the database's write lock; on
PostgreSQL two transactions could read the same count, so the allocation takes a transaction-scoped
advisory lock named after the series first (released at commit or rollback).
"""

from __future__ import annotations

from piccolo.table import Table

__all__ = ["serialize"]


async def serialize(table: type[Table], series: str) -> None:
    """Call inside the transaction, before counting: one allocator of ``series`` at a time."""
    if table._meta.db.engine_type == "postgres":
        await table.raw("SELECT pg_advisory_xact_lock(hashtext({}))", f"numbering:{series}")
