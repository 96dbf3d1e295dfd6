"""The store's guard on ``entries`` and its fingerprint (SPEC §5: the log is append-only).

**The guard.** Triggers refuse every UPDATE of an entry and every DELETE except the retention
purge's: a row may go only if a tombstone covers its seq (``seq <= max(tombstones.to_seq)``; the
purge writes the tombstone first, in the same transaction) and no active legal hold matches it.
SQLite: two triggers. PostgreSQL: one function, a row trigger on the partitioned parent (cloned to
every partition) and a TRUNCATE trigger on the parent and on each partition — even the owner role
cannot delete outside the purge (the writer role has no DELETE anyway). Only ``DROP`` of a whole
partition, which the purge uses for months past the cutoff, bypasses triggers.

**The fingerprint** (``guard_state``): what would change if somebody removed or disabled the guard,
deleted rows, and put the guard back. PostgreSQL: for ``entries`` and each partition, the relation's
oid and its triggers' oid, ``xmin`` (the transaction that last wrote the catalogue row: a DROP and
re-CREATE, or a DISABLE and ENABLE, gives a new one) and enabled flag; and the function's oid and
``xmin``. SQLite: the schema cookie (``PRAGMA schema_version``, bumped by every schema change).
Each signed checkpoint signs the digest of the fingerprint; ``verify`` may stay incremental only
while the current fingerprint matches the latest checkpoint's (see ``same_epoch``), and a checkpoint
after a change walks the whole chain before signing. What it cannot see is listed in audit/README.md.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

from audit.chain import canonical_json, parse_time, sha256_hex
from audit.db import Conn

__all__ = [
    "SQLITE_TRIGGERS",
    "guard_problems_and_state",
    "pg_guard_sql",
    "purged_before",
    "same_epoch",
    "signed_state",
    "state_digest",
    "state_text",
]

_REFUSED = "audit entries are append-only: only the retention purge deletes, under a signed tombstone"

# An entry under an active legal hold is never deleted, whatever tombstone covers it.
_HELD_SQL = (
    "EXISTS (SELECT 1 FROM holds WHERE released_at IS NULL AND ((kind = 'subject' AND value = OLD.subject_ref)"
    " OR (kind = 'case' AND value IN (OLD.case_ref, OLD.authority_ref))))"
)

SQLITE_TRIGGERS = {
    "entries_append_only": "CREATE TRIGGER entries_append_only BEFORE UPDATE ON entries "
    "BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END",
    "entries_delete_guard": "CREATE TRIGGER entries_delete_guard BEFORE DELETE ON entries "
    f"WHEN OLD.seq > (SELECT coalesce(max(to_seq), 0) FROM tombstones) OR {_HELD_SQL} "
    f"BEGIN SELECT RAISE(ABORT, '{_REFUSED}'); END",
}

PG_FUNCTION_BODY = f"""
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.seq <= (SELECT coalesce(max(to_seq), 0) FROM tombstones) AND NOT {_HELD_SQL} THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION '{_REFUSED} (% refused)', TG_OP;
END
"""
_PG_ROW_TYPE = 1 | 2 | 8 | 16  # TRIGGER_TYPE_ROW | BEFORE | DELETE | UPDATE
_PG_TRUNCATE_TYPE = 2 | 32  # BEFORE | TRUNCATE, statement level
PG_ROW_TRIGGER = "entries_guard"
PG_TRUNCATE_TRIGGER = "entries_no_truncate"


def pg_truncate_trigger_sql(table: str) -> str:
    return (
        f"CREATE TRIGGER {PG_TRUNCATE_TRIGGER} BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION entries_guard()"
    )


def pg_guard_sql() -> list[str]:
    """The guard's DDL (schema v2). ``SET search_path FROM CURRENT`` pins the audit schema."""
    return [
        "CREATE FUNCTION entries_guard() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT "
        f"AS $guard${PG_FUNCTION_BODY}$guard$",
        f"CREATE TRIGGER {PG_ROW_TRIGGER} BEFORE UPDATE OR DELETE ON entries "
        "FOR EACH ROW EXECUTE FUNCTION entries_guard()",
        pg_truncate_trigger_sql("entries"),
        "DO $guard$ DECLARE part regclass; BEGIN "
        "FOR part IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'entries'::regclass LOOP "
        f"EXECUTE format('{pg_truncate_trigger_sql('%s')}', part); END LOOP; END $guard$",
    ]


def _squash(sql: str) -> str:
    return " ".join(sql.split())


def state_digest(state: dict) -> str:
    return sha256_hex(canonical_json(state))


def state_text(state: dict) -> str:
    return canonical_json(state).decode()


async def signed_state(conn: Conn, body: dict) -> dict | None:
    """The guard fingerprint a checkpoint signed (its digest checked), or None (v1, or altered)."""
    if not body.get("guard"):
        return None
    text = await conn.fetchval("SELECT guard_state FROM checkpoints WHERE id = $1", body["id"])
    try:
        state = json.loads(text or "null")
    except ValueError:
        return None
    return state if isinstance(state, dict) and state_digest(state) == body["guard"] else None


async def purged_before(conn: Conn) -> datetime | None:
    """The latest tombstone's cutoff: monthly partitions wholly before it may be gone (guard.py)."""
    cutoff = await conn.fetchval("SELECT cutoff FROM tombstones ORDER BY id DESC LIMIT 1")
    return parse_time(cutoff) if cutoff else None


async def guard_problems_and_state(conn: Conn) -> tuple[list[tuple[str, str]], dict]:
    """(problems as (zh, en), fingerprint). A problem means the guard is missing, altered or off."""
    if conn.engine == "postgres":
        return await _pg(conn)
    problems = []
    rows = dict(await conn.fetch("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'entries'"))
    for name, sql in SQLITE_TRIGGERS.items():
        if name not in rows:
            problems.append((f"防删改触发器 {name} 缺失", f"guard trigger {name} is missing"))
        elif _squash(rows[name]) != _squash(sql):
            problems.append((f"防删改触发器 {name} 被改动", f"guard trigger {name} was altered"))
    for name in sorted(set(rows) - set(SQLITE_TRIGGERS)):
        problems.append((f"条目表上多出触发器 {name}", f"unexpected trigger {name} on entries"))
    version = await conn.fetchval("PRAGMA schema_version")
    return problems, {"engine": "sqlite", "schema_version": int(version)}


async def _pg(conn: Conn) -> tuple[list[tuple[str, str]], dict]:
    problems: list[tuple[str, str]] = []
    fn = await conn.fetchrow(
        "SELECT p.oid::text, p.xmin::text, p.prosrc FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = current_schema() AND p.proname = 'entries_guard'"
    )
    if fn is None:
        return [
            (
                "防删改函数 entries_guard 缺失（请运行 python -m audit migrate）",
                "guard function entries_guard is missing",
            )
        ], {
            "engine": "postgres",
            "function": None,
        }
    if _squash(fn[2]) != _squash(PG_FUNCTION_BODY):
        problems.append(("防删改函数 entries_guard 被改动", "guard function entries_guard was altered"))
    rows = await conn.fetch(
        """SELECT c.relname, c.oid::text, t.tgname, t.oid::text, t.xmin::text, t.tgenabled::text, t.tgtype::int,
                  t.tgfoid::text, t.tgqual IS NULL AND t.tgattr::text = ''
           FROM pg_class c LEFT JOIN pg_trigger t ON t.tgrelid = c.oid AND NOT t.tgisinternal
           WHERE c.oid = 'entries'::regclass
              OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'entries'::regclass)
           ORDER BY c.relname, t.tgname"""
    )
    relations: dict[str, dict] = {}
    for relname, reloid, tgname, tgoid, xmin, enabled, tgtype, tgfoid, plain in rows:
        rel = relations.setdefault(relname, {"oid": reloid, "triggers": {}})
        if tgname is not None:
            rel["triggers"][tgname] = f"{tgoid}:{xmin}:{enabled}"
            expected = {PG_ROW_TRIGGER: _PG_ROW_TYPE, PG_TRUNCATE_TRIGGER: _PG_TRUNCATE_TYPE}.get(tgname)
            if expected is not None and (tgtype != expected or tgfoid != fn[0] or not plain):
                problems.append((f"{relname} 上的触发器 {tgname} 被改动", f"trigger {tgname} on {relname} was altered"))
            if expected is not None and enabled not in ("O", "A"):
                problems.append((f"{relname} 上的触发器 {tgname} 被停用", f"trigger {tgname} on {relname} is disabled"))
    for relname, rel in sorted(relations.items()):
        for name in (PG_ROW_TRIGGER, PG_TRUNCATE_TRIGGER):
            if name not in rel["triggers"]:
                problems.append((f"{relname} 上的触发器 {name} 缺失", f"trigger {name} on {relname} is missing"))
    state = {
        "engine": "postgres",
        "function": f"{fn[0]}:{fn[1]}",
        "relations": {
            name: f"{rel['oid']}|{json.dumps(rel['triggers'], sort_keys=True)}" for name, rel in relations.items()
        },
    }
    return problems, state


_PARTITION = re.compile(r"^entries_p(\d{4})(\d{2})$")


def _month_end(name: str) -> datetime | None:
    match = _PARTITION.match(name)
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    return datetime(year + month // 12, month % 12 + 1, 1, tzinfo=timezone.utc)


def same_epoch(signed: dict | None, current: dict, purged_before: datetime | None) -> bool:
    """Whether the guard can have been off since ``signed`` was taken (False: walk everything).

    Allowed differences (PostgreSQL): partitions created since, and monthly partitions dropped by
    the purge — wholly before the cutoff of the latest signed tombstone (``purged_before``).
    """
    if not signed or signed.get("engine") != current.get("engine"):
        return False
    if current["engine"] == "sqlite":
        return signed == current
    if signed.get("function") != current.get("function") or current.get("function") is None:
        return False
    now, then = current["relations"], signed["relations"]
    for name, value in then.items():
        if name in now:
            if now[name] != value:
                return False
        else:
            end = _month_end(name)
            if end is None or purged_before is None or end > purged_before:
                return False
    return True
