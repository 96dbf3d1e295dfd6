"""Read functions for the auditor UI and the subject's "谁查询了我" page (issue 3 items 10–11).

Everything here only reads (``verify_entry`` and ``integrity_report`` also check signatures with the
exported public keys; see ``audit/entry_check.py``). Browsing pages newest first on the key (created_at, seq) with one
index per filter, so page 1,000 costs what page 1 costs (DESIGN: keyset paging, never OFFSET).
Functions take an optional ``store``; by default a process-wide store on the reader DSN.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timezone

from audit.chain import format_time, joined_hash, parse_time
from audit.db import Conn
from audit.entry_check import RUN_FIELDS, check_checkpoint, check_entry, export_dir_of, last_runs, trusted_keys
from audit.events import ACCESS_METHODS
from audit.sealing import CHECKPOINT_SELECT
from audit.settings import AuditSettings, get_settings
from audit.store import Store
from audit.verify import canonical_select

_FIELDS = (
    "seq created_at requester_account requester_role requester_org method reason_code reason_text subject_ref "
    "subject_label scope authority_ref authority_sha256 outcome request_id case_ref subject_query_count "
    "prev_hash entry_hash"
).split()
_SELECT = ", ".join(_FIELDS)
_HISTORY_FIELDS = (
    "seq created_at requester_org requester_role method reason_code reason_text scope outcome subject_query_count"
).split()
MAX_LIMIT = 500


@dataclass(frozen=True)
class BrowseFilters:
    time_from: datetime | None = None  # inclusive
    time_to: datetime | None = None  # exclusive
    requester_account: str | None = None
    requester_org: str | None = None
    subject_ref: str | None = None
    method: str | None = None
    reason_code: str | None = None
    outcome: str | None = None  # exact ("allowed", "refused:no_authorization"), or "refused" for any refusal


@dataclass(frozen=True)
class Page:
    items: list[dict]
    next_key: str | None  # pass back as ``after_key`` for the next (older) page


def encode_key(created_at: datetime, seq: int) -> str:
    return f"{format_time(created_at)}~{seq}"


def decode_key(key: str) -> tuple[datetime, int]:
    try:
        created, seq = key.split("~")
        return parse_time(created), int(seq)
    except ValueError as exc:
        raise ValueError("bad paging key") from exc


def _row(conn: Conn, names: list[str], row) -> dict:
    item = dict(zip(names, row))
    item["created_at"] = conn.as_time(item["created_at"])
    return item


async def browse_query(conn: Conn, filters: BrowseFilters, after_key: str | None, limit: int) -> Page:
    limit = max(1, min(limit, MAX_LIMIT))
    where, args = [], []

    def arg(value) -> str:
        args.append(value)
        return f"${len(args)}"

    for name in ("requester_account", "requester_org", "subject_ref", "method", "reason_code"):
        value = getattr(filters, name)
        if value is not None and value != "":
            where.append(f"{name} = {arg(value)}")
    if filters.outcome == "refused":
        where.append("outcome LIKE 'refused:%'")
    elif filters.outcome:
        where.append(f"outcome = {arg(filters.outcome)}")
    if filters.time_from:
        where.append(f"created_at >= {arg(conn.time(filters.time_from))}")
    if filters.time_to:
        where.append(f"created_at < {arg(conn.time(filters.time_to))}")
    if after_key:
        created, seq = decode_key(after_key)
        where.append(f"(created_at, seq) < ({arg(conn.time(created))}, {arg(seq)})")
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = await conn.fetch(
        f"SELECT {_SELECT} FROM entries {clause} ORDER BY created_at DESC, seq DESC LIMIT {limit + 1}", *args
    )
    items = [_row(conn, _FIELDS, r) for r in rows[:limit]]
    next_key = encode_key(items[-1]["created_at"], items[-1]["seq"]) if len(rows) > limit else None
    return Page(items, next_key)


async def entry_query(conn: Conn, seq: int) -> dict | None:
    """One entry with its verification status (hash recomputed, link, checkpoint, last verify run)."""
    row = await conn.fetchrow(f"SELECT {_SELECT} FROM entries WHERE seq = $1", seq)
    if row is None:
        return None
    item = _row(conn, _FIELDS, row)
    texts = await conn.fetchrow(f"SELECT {canonical_select(conn)} FROM entries WHERE seq = $1", seq)
    digest = joined_hash(texts[2], texts[1])
    prev = await conn.fetchval("SELECT entry_hash FROM entries WHERE seq = $1", seq - 1)
    checkpoint = await conn.fetchrow(
        "SELECT id, seq, created_at FROM checkpoints WHERE seq >= $1 ORDER BY seq LIMIT 1", seq
    )
    run = await conn.fetchrow("SELECT to_seq, finished_at FROM verification_runs WHERE ok = 1 ORDER BY id DESC LIMIT 1")
    item["verification"] = {
        "hash_ok": digest == item["entry_hash"],
        "link_ok": None if prev is None else prev == item["prev_hash"],  # None: first entry or predecessor purged
        "checkpoint": None
        if checkpoint is None
        else {"id": checkpoint[0], "seq": checkpoint[1], "created_at": checkpoint[2]},
        "covered_by_last_good_run": bool(run and int(run[0]) >= seq),
        "last_good_run_at": run[1] if run else None,
    }
    return item


async def subject_summary_query(conn: Conn, subject_ref: str) -> dict:
    counts = await conn.fetchrow(
        "SELECT allowed_count, refused_count FROM subject_counts WHERE subject_ref = $1", subject_ref
    )
    span = await conn.fetchrow(
        "SELECT min(created_at), max(created_at), count(*) FROM entries WHERE subject_ref = $1", subject_ref
    )

    async def group(column: str, top: int = 20) -> list[tuple[str, int]]:
        rows = await conn.fetch(
            f"SELECT {column}, count(*) AS n FROM entries WHERE subject_ref = $1 "
            f"GROUP BY {column} ORDER BY n DESC, {column} LIMIT {top}",
            subject_ref,
        )
        return [(r[0], int(r[1])) for r in rows]

    return {
        "subject_ref": subject_ref,
        "allowed_count": int(counts[0]) if counts else 0,  # R-19 cumulative count
        "refused_count": int(counts[1]) if counts else 0,
        "entries_kept": int(span[2]),
        "first_at": conn.as_time(span[0]),
        "last_at": conn.as_time(span[1]),
        "by_method": await group("method"),
        "by_org": await group("requester_org"),
        "by_reason": await group("reason_code"),
        "by_outcome": await group("outcome"),
    }


async def integrity_status_query(conn: Conn) -> dict:
    head = await conn.fetchrow("SELECT last_seq, last_created_at FROM chain_head WHERE id = 1")
    cp = await conn.fetchrow("SELECT id, seq, created_at, key_id FROM checkpoints ORDER BY id DESC LIMIT 1")
    names = RUN_FIELDS
    select = f"SELECT {', '.join(names)} FROM verification_runs"
    last = await conn.fetchrow(f"{select} ORDER BY id DESC LIMIT 1")
    good = await conn.fetchrow(f"{select} WHERE ok = 1 ORDER BY id DESC LIMIT 1")
    tomb = await conn.fetchrow("SELECT count(*), max(to_seq), max(created_at) FROM tombstones")
    holds = await conn.fetchval("SELECT count(*) FROM holds WHERE released_at IS NULL")

    def run(row) -> dict | None:
        return None if row is None else dict(zip(names, row), ok=bool(row[names.index("ok")]))

    head_seq = int(head[0]) if head else 0
    return {
        "head": {"seq": head_seq, "created_at": conn.as_time(head[1]) if head else None},
        "last_checkpoint": None if cp is None else {"id": cp[0], "seq": cp[1], "created_at": cp[2], "key_id": cp[3]},
        "entries_since_checkpoint": head_seq - (int(cp[1]) if cp else 0),
        "last_verification": run(last),
        "last_good_verification": run(good),
        "result": None if last is None else ("ok" if last[7] else "failed"),
        "tombstones": {"count": int(tomb[0]), "purged_through_seq": tomb[1], "last_at": tomb[2]},
        "active_holds": int(holds),
    }


async def access_summary_query(conn: Conn, limit: int = 20) -> dict:
    """Access entries (staff reviews, owner views, auditor views; ``events.ACCESS_METHODS``): the
    count of each and the newest ``limit`` of all, each method read on its own index range."""
    counts, latest = {}, []
    for method in ACCESS_METHODS:
        counts[method] = int(await conn.fetchval("SELECT count(*) FROM entries WHERE method = $1", method))
        rows = await conn.fetch(
            f"SELECT {_SELECT} FROM entries WHERE method = $1 ORDER BY created_at DESC, seq DESC LIMIT {limit}", method
        )
        latest += [_row(conn, _FIELDS, r) for r in rows]
    latest.sort(key=lambda e: (e["created_at"], e["seq"]), reverse=True)
    return {"counts": counts, "latest": latest[:limit]}


async def subject_history_query(conn: Conn, subject_ref: str, after_seq: int | None, limit: int) -> list[dict]:
    """The subject's own rows only; organisation, not the requester's account (issue 3 item 11)."""
    limit = max(1, min(limit, MAX_LIMIT))
    args: list = [subject_ref]
    keyset = ""
    if after_seq is not None:
        args.append(after_seq)
        keyset = " AND (created_at, seq) < ((SELECT created_at FROM entries WHERE seq = $2 AND subject_ref = $1), $2)"
    rows = await conn.fetch(
        f"SELECT {', '.join(_HISTORY_FIELDS)} FROM entries WHERE subject_ref = $1{keyset} "
        f"ORDER BY created_at DESC, seq DESC LIMIT {limit}",
        *args,
    )
    return [_row(conn, _HISTORY_FIELDS, r) for r in rows]


# ---- module-level API on a default reader store ---------------------------------------------

_store: Store | None = None
_lock = threading.Lock()


def default_store(settings: AuditSettings | None = None) -> Store:
    global _store
    with _lock:
        if _store is None or (settings is not None and _store.settings != settings):
            if _store is not None:
                _store.close()
            _store = Store(settings or get_settings(), role="reader")
        return _store


async def browse(
    filters: BrowseFilters, after_key: str | None = None, limit: int = 50, store: Store | None = None
) -> Page:
    return await (store or default_store()).run(lambda c: browse_query(c, filters, after_key, limit))


async def entry(seq: int, store: Store | None = None) -> dict | None:
    return await (store or default_store()).run(lambda c: entry_query(c, seq))


async def subject_summary(subject_ref: str, store: Store | None = None) -> dict:
    return await (store or default_store()).run(lambda c: subject_summary_query(c, subject_ref))


async def integrity_status(store: Store | None = None) -> dict:
    return await (store or default_store()).run(integrity_status_query)


async def verify_entry(seq: int, store: Store | None = None) -> dict | None:
    """The entry (as ``entry``) plus ``check``: content, link, signed checkpoint, last runs."""
    store = store or default_store()
    keys, export_dir = trusted_keys(store.settings), export_dir_of(store.settings)

    async def run(conn: Conn) -> dict | None:
        item = await entry_query(conn, seq)
        if item is not None:
            item["check"] = await check_entry(conn, seq, keys, export_dir)
        return item

    return await store.run(run)


async def integrity_report(store: Store | None = None) -> dict:
    """``integrity_status`` plus the last checkpoint's signature checked with the trusted keys, and
    the latest access entries with their counts (``access_summary_query``)."""
    store = store or default_store()
    keys, export_dir = trusted_keys(store.settings), export_dir_of(store.settings)

    async def run(conn: Conn) -> dict:
        status = await integrity_status_query(conn)
        row = await conn.fetchrow(f"{CHECKPOINT_SELECT} ORDER BY id DESC LIMIT 1")
        status["checkpoint_check"] = None if row is None else check_checkpoint(row, keys, export_dir)
        status["checkpoint_count"] = int(await conn.fetchval("SELECT count(*) FROM checkpoints"))
        status["keys_found"] = sorted(keys)
        status.update(await last_runs(conn))
        status["access"] = await access_summary_query(conn)
        for name in ("last_verification", "last_good_verification"):
            run_ = status[name]
            if run_:
                run_["finished_at"] = conn.as_time(run_["finished_at"])
                run_["started_at"] = conn.as_time(run_["started_at"])
        return status

    return await store.run(run)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
