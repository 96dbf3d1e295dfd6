"""Bulk loading into PostgreSQL with asyncpg ``COPY`` (text format, streamed chunk by chunk).

Everything happens in ONE transaction, so a failure leaves the database exactly as it was:

1. unique constraints not referenced by a foreign key, the primary key of ``subject_bigram`` and
   all plain indexes of the loaded tables are dropped (their definitions are read back from the
   catalog first and recreated verbatim at the end: one sort per index instead of millions of
   random B-tree inserts); foreign-key triggers are switched off for the transaction when the
   role is a superuser (``session_replication_role = replica``), else the foreign keys are dropped
   and re-added (validated) too;
2. loaded tables that are empty and referenced only by other loaded tables are TRUNCATEd, so
   ``COPY ... FREEZE`` can write them already frozen (no later VACUUM rewrite, visibility map set);
3. COPY every chunk; recreate indexes and constraints; set the id sequences after the explicit ids.

Then VACUUM ANALYZE / ANALYZE outside the transaction.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from datetime import datetime, timezone

from portal.demo.accounts import account_rows
from portal.demo.columns import COLUMNS, LOAD_ORDER
from portal.demo.pipeline import chunks as make_chunks
from portal.demo.places import agency_rows

__all__ = ["run"]

_TABLES = list(LOAD_ORDER)
_ID_TABLES = [t for t in LOAD_ORDER if t != "subject_bigram"]
_NOW = datetime(2026, 11, 21, 1, 30, tzinfo=timezone.utc)

_INDEXES = """
SELECT c.relname, pg_get_indexdef(i.indexrelid)
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
WHERE t.relname = ANY($1::text[]) AND t.relnamespace = current_schema()::regnamespace
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x'))
ORDER BY c.relname"""

_CONSTRAINTS = """
SELECT t.relname, k.conname, pg_get_constraintdef(k.oid), k.contype
FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid
WHERE t.relname = ANY($1::text[]) AND t.relnamespace = current_schema()::regnamespace
  AND ((k.contype = 'f' AND $2::bool)
       OR (k.contype IN ('u', 'p') AND (k.contype = 'u' OR t.relname = 'subject_bigram')
           AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = k.conindid)))
ORDER BY k.contype = 'f' DESC, t.relname, k.conname"""

# (referenced, referencing) table pairs of the foreign keys that point at loaded tables.
_REFERENCES = """
SELECT DISTINCT r.relname, t.relname FROM pg_constraint k
JOIN pg_class r ON r.oid = k.confrelid JOIN pg_class t ON t.oid = k.conrelid
WHERE k.contype = 'f' AND r.relname = ANY($1::text[]) AND r.relnamespace = current_schema()::regnamespace"""


async def _agencies(conn) -> dict[str, tuple[int, str]]:
    rows = agency_rows()
    await conn.executemany(
        "INSERT INTO agency (code, name, uscc, is_active, created_at) VALUES ($1, $2, $3, true, $4) "
        "ON CONFLICT DO NOTHING",
        [(code, name, uscc, _NOW) for code, name, uscc in rows],
    )
    found = {r["code"]: (r["id"], r["name"]) for r in await conn.fetch("SELECT id, code, name FROM agency")}
    missing = [code for code, _, _ in rows if code not in found]
    if missing:
        raise SystemExit(f"机关名称已被其他代码占用，无法建立演示机关：{', '.join(missing)}")
    return found


def _bigrams(subjects: bytes) -> bytes:
    """``subject_bigram`` rows (portal.search.index.bigram_rows) for the legal persons of a chunk.

    Computed here rather than in the generator process: that one is the bottleneck, while this
    process mostly waits for the server."""
    from portal.search.index import bigram_rows

    legal = []
    for line in subjects.decode().split("\n")[:-1]:
        sid, kind, _, name, _ = line.split("\t", 4)
        if kind == "legal":
            legal.append((sid, name))
    return "".join(f"{gram}\t{sid}\n" for gram, sid in bigram_rows(legal)).encode()


async def _truncatable(conn) -> list[str]:
    """Empty loaded tables (not ``subject``) whose referencing tables are all in the set too."""
    tables = {t for t in _TABLES if t != "subject" and not await conn.fetchval(f'SELECT EXISTS (SELECT FROM "{t}")')}
    references = await conn.fetch(_REFERENCES, _TABLES)
    while True:
        blocked = {parent for parent, child in references if parent in tables and child not in tables}
        if not blocked:
            return [t for t in _TABLES if t in tables]
        tables -= blocked


async def _load(conn, stream, report) -> dict[str, int]:
    counts = dict.fromkeys(_TABLES, 0)
    # A superuser can switch the foreign-key triggers off for this transaction (as pg_restore
    # --disable-triggers does): the generated ids are consistent by construction, so the
    # constraints stay in place and need no re-validation. Anyone else drops and re-adds them.
    trusted = await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    if trusted:
        await conn.execute("SET LOCAL session_replication_role = replica")
    indexes = await conn.fetch(_INDEXES, _TABLES)
    constraints = await conn.fetch(_CONSTRAINTS, _TABLES, not trusted)
    for table, name, _, _ in constraints:  # foreign keys first (see the ORDER BY)
        await conn.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        await conn.execute(f'DROP INDEX "{name}"')
    frozen = await _truncatable(conn)
    if frozen:
        await conn.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in frozen))
    waited, mark = 0.0, time.monotonic()
    for done, chunk in stream:
        waited += time.monotonic() - mark
        chunk["subject_bigram"] = _bigrams(chunk["subject"])
        for table in _TABLES:
            data = chunk.get(table)
            if data:
                await conn.copy_to_table(
                    table, source=io.BytesIO(data), columns=list(COLUMNS[table]), format="text", freeze=table in frozen
                )
                counts[table] += data.count(b"\n")
        report(f"已写入 {done:,} 个主体，{counts['credit_record']:,} 条信用信息（等待生成 {waited:.0f} 秒）")
        mark = time.monotonic()
    started = time.monotonic()
    for _, create in indexes:
        await conn.execute(create)
    report(f"已重建 {len(indexes)} 个索引（{time.monotonic() - started:.0f} 秒）")
    started = time.monotonic()
    for table, name, definition, _ in reversed(constraints):  # p/u before the foreign keys that need them
        await conn.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
    report(f"已恢复 {len(constraints)} 个约束（{time.monotonic() - started:.0f} 秒）")
    for table in _ID_TABLES:
        await conn.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), max_id, true) "
            f'FROM (SELECT max(id) AS max_id FROM "{table}") m WHERE max_id IS NOT NULL'
        )
    return counts


async def run(
    dsn: str,
    subjects: int,
    seed: int,
    secret: str,
    if_empty: bool,
    report: Callable[[str], None],
    chunk_size: int = 20000,
    processes: bool = True,
) -> dict | None:
    """The whole demo load on PostgreSQL; None when skipped by --if-empty."""
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        count = await conn.fetchval("SELECT count(*) FROM subject")
        if count and if_empty:
            return None
        if count:
            raise SystemExit(f"数据库中已有 {count:,} 个主体：请使用空数据库，或加 --if-empty 跳过。")
        agencies = await _agencies(conn)
        bases = {t: await conn.fetchval(f'SELECT coalesce(max(id), 0) FROM "{t}"') for t in _ID_TABLES}
        stream = make_chunks(seed, secret, agencies, bases, subjects, chunk_size, processes=processes)
        async with conn.transaction():
            await conn.execute("SET LOCAL synchronous_commit = off")
            await conn.execute("SET LOCAL maintenance_work_mem = '512MB'")
            counts = await _load(conn, stream, report)
        started = time.monotonic()
        await conn.execute("VACUUM (ANALYZE) subject")
        for table in _TABLES:
            if table != "subject":
                await conn.execute(f'ANALYZE "{table}"')
        report(f"已更新统计信息（{time.monotonic() - started:.0f} 秒）")
        first = bases["subject"] + 1
        names = {
            r["id"]: r["name"]
            for r in await conn.fetch("SELECT id, name FROM subject WHERE id = ANY($1::int[])", [first, first + 1])
        }
        taken = {r["username"] for r in await conn.fetch("SELECT username FROM account")}
        agency = agencies["ZZ-SCJGJ"]
        rows = account_rows((first + 1, names[first + 1]), (first, names[first]), agency, taken)
        await conn.executemany(
            "INSERT INTO account (username, password_hash, role, display_name, subject, agency, organisation, "
            "is_active, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, true, $8)",
            [
                (
                    r["username"],
                    r["password_hash"],
                    r["role"],
                    r["display_name"],
                    r["subject"],
                    r["agency"],
                    r["organisation"],
                    _NOW,
                )
                for r in rows
            ],
        )
        counts["account"] = len(rows)
        existing = sorted(taken)
        counts["agency"] = len(agencies)
        return {"counts": counts, "citizen": names[first + 1], "enterprise": names[first], "agency": agency[1],
                "existing_accounts": existing}  # fmt: skip
    finally:
        await conn.close()
