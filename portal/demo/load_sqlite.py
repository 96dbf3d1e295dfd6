"""Bulk loading into SQLite with a plain ``sqlite3`` connection (Piccolo's ORM insert is far too
slow for 10M rows, STACK.md).

The whole load is ONE write transaction, so an error or an interrupt leaves the database exactly as
it was (the dropped indexes included). Inside it: the non-unique secondary indexes of the loaded
tables are dropped and recreated afterwards from their exact saved SQL (one sort per index beats
10M random B-tree inserts), rows go in with ``executemany``, then the FTS5 search tables are rebuilt
(portal.search.index.rebuild_sqlite), the demo accounts are added and ANALYZE runs. Load settings:
``synchronous=OFF`` (demo data: after a crash, run the command again) and a big page cache; the
journal mode stays WAL, and the WAL is checkpointed and truncated at the end.
"""

from __future__ import annotations

import gc
import sqlite3
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from portal.demo.accounts import account_rows
from portal.demo.calendar_tables import TODAY, TS
from portal.demo.columns import COLUMNS, LOAD_ORDER, NULLABLE
from portal.demo.pipeline import chunks as make_chunks
from portal.demo.places import agency_rows

__all__ = ["connect", "insert_sql", "run"]

_TABLES = tuple(t for t in LOAD_ORDER if t != "subject_bigram")


def connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, timeout=60)
    for pragma in ("PRAGMA synchronous = OFF", "PRAGMA cache_size = -524288", "PRAGMA temp_store = FILE",
                   "PRAGMA threads = 2", "PRAGMA foreign_keys = OFF"):  # fmt: skip
        connection.execute(pragma)
    return connection


def insert_sql(table: str) -> str:
    """INSERT for one COPY-text row split on tabs; ``\\N`` becomes NULL in the nullable columns."""
    cols = COLUMNS[table]
    values = ", ".join("NULLIF(?, '\\N')" if c in NULLABLE[table] else "?" for c in cols)
    return f'INSERT INTO "{table}" ({", ".join(cols)}) VALUES ({values})'


def _secondary_indexes(connection: sqlite3.Connection) -> list[tuple[str, str]]:
    """(name, CREATE INDEX sql) of the explicit indexes on the loaded tables. UNIQUE constraints
    (autoindexes, sql IS NULL) cannot be dropped and stay."""
    marks = ",".join("?" * len(_TABLES))
    sql = f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks})"
    return connection.execute(sql + " ORDER BY name", _TABLES).fetchall()


def _agencies(connection: sqlite3.Connection) -> dict[str, tuple[int, str]]:
    """Insert the demo agencies that are missing (by code or name); code -> (id, name) as stored."""
    rows = agency_rows()
    connection.executemany(
        "INSERT OR IGNORE INTO agency (code, name, uscc, is_active, created_at) VALUES (?, ?, ?, 1, ?)",
        [(code, name, uscc, TS[TODAY - 30]) for code, name, uscc in rows],
    )
    found = {code: (i, name) for i, code, name in connection.execute("SELECT id, code, name FROM agency")}
    missing = [code for code, _, _ in rows if code not in found]
    if missing:
        raise SystemExit(f"机关名称已被其他代码占用，无法建立演示机关：{', '.join(missing)}")
    return found


def _insert_chunks(connection, chunks: Iterable[tuple[int, dict[str, bytes]]], report) -> dict[str, int]:
    counts = dict.fromkeys(_TABLES, 0)
    sql = {t: insert_sql(t) for t in _TABLES}
    waited, mark = 0.0, time.monotonic()
    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of short-lived row lists: the cyclic collector would rescan them constantly
    try:
        for done, chunk in chunks:
            waited += time.monotonic() - mark
            for table in _TABLES:
                data = chunk.get(table)
                if data:
                    rows = [line.split("\t") for line in data.decode().split("\n")[:-1]]
                    connection.executemany(sql[table], rows)
                    counts[table] += len(rows)
            report(f"已写入 {done:,} 个主体，{counts['credit_record']:,} 条信用信息（等待生成 {waited:.0f} 秒）")
            mark = time.monotonic()
    finally:
        if gc_was_enabled:
            gc.enable()
    return counts


def _accounts(connection, first: int, agency: tuple[int, str]) -> tuple[int, dict[int, str], set[str]]:
    names = dict(connection.execute("SELECT id, name FROM subject WHERE id IN (?, ?)", (first, first + 1)))
    taken = {u for (u,) in connection.execute("SELECT username FROM account")}
    rows = account_rows((first + 1, names[first + 1]), (first, names[first]), agency, taken)
    connection.executemany(
        "INSERT INTO account (username, password_hash, role, display_name, subject, agency, organisation, "
        "is_active, created_at) VALUES (:username, :password_hash, :role, :display_name, :subject, :agency, "
        ":organisation, 1, :created_at)",
        [dict(r, created_at=TS[TODAY - 1]) for r in rows],
    )
    return len(rows), names, taken


def run(path: Path, subjects: int, seed: int, secret: str, if_empty: bool, report: Callable[[str], None],
        chunk_size: int = 20000, processes: bool = True) -> dict | None:  # fmt: skip
    """The whole demo load on SQLite; None when skipped by --if-empty."""
    connection = connect(path)
    try:
        connection.execute("BEGIN IMMEDIATE")
        try:
            count = connection.execute("SELECT count(*) FROM subject").fetchone()[0]
            if count and if_empty:
                connection.execute("ROLLBACK")
                return None
            if count:
                raise SystemExit(f"数据库中已有 {count:,} 个主体：请使用空数据库，或加 --if-empty 跳过。")
            bases = {t: connection.execute(f'SELECT coalesce(max(id), 0) FROM "{t}"').fetchone()[0] for t in _TABLES}
            agencies = _agencies(connection)
            indexes = _secondary_indexes(connection)
            for name, _ in indexes:
                connection.execute(f'DROP INDEX "{name}"')
            stream = make_chunks(seed, secret, agencies, bases, subjects, chunk_size, processes=processes)
            counts = _insert_chunks(connection, stream, report)
            started = time.monotonic()
            for _, create in indexes:
                connection.execute(create)
            report(f"已重建 {len(indexes)} 个索引（{time.monotonic() - started:.0f} 秒）")
            from portal.search.index import rebuild_sqlite

            started = time.monotonic()
            rebuild_sqlite(connection)
            report(f"已重建名称检索索引（{time.monotonic() - started:.0f} 秒）")
            agency = agencies["ZZ-SCJGJ"]
            counts["account"], names, taken = _accounts(connection, bases["subject"] + 1, agency)
            counts["agency"] = len(agencies)
            started = time.monotonic()
            connection.execute("ANALYZE")
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        report(f"已更新统计信息并提交（{time.monotonic() - started:.0f} 秒）")
        first = bases["subject"] + 1
        return {"counts": counts, "citizen": names[first + 1], "enterprise": names[first], "agency": agency[1],
                "existing_accounts": sorted(taken)}  # fmt: skip
    finally:
        connection.close()
