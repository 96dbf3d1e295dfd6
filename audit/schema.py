"""The audit store's schema and its versioned, idempotent migrations (``python -m audit migrate``).

Tables (the auditor UI reads them; document every column here):

* ``entries`` — the chain, one row per query (R-19). Columns are ``chain.STORED_COLUMNS``: seq,
  created_at (UTC), requester account/role/org, method, reason code/text, subject_ref (keyed digest,
  never a raw ID number), subject_label (masked), scope, authority_ref + authority_sha256 (the
  authorisation or official letter and its file hash), outcome, request_id, case_ref,
  subject_query_count (cumulative allowed disclosures of the subject, R-19), prev_hash, entry_hash.
  Append-only: no role updates it; only retention deletes (whole partitions on PostgreSQL). From v2
  guard triggers (``guard.py``) refuse UPDATE, and DELETE of an entry no signed tombstone covers.
* ``chain_head`` — one row: last seq/hash/time. Locked by every append (serialises the chain).
* ``subject_counts`` — per subject: allowed and refused totals, last seq (same transaction, R-19).
* ``checkpoints`` — signed (seq, entry_hash, previous checkpoint hash, time, guard digest); also
  exported as files. ``guard_state`` (v2) is the guard fingerprint whose digest the checkpoint signs
  (``guard.py``); empty on checkpoints signed before v2.
* ``tombstones`` — signed records of purged ranges and of the held entries kept in them.
* ``holds`` — legal holds on a subject or a case; released holds stay as history.
* ``verification_runs`` — each ``verify`` run: range, result, first bad seq, message.

On PostgreSQL, ``entries`` is range-partitioned by month on created_at (``partitions.py``), and the
roles get the grants in ``grant_sql`` (the writer may INSERT entries but never UPDATE or DELETE them).
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone

from audit.chain import GENESIS, format_time
from audit.db import Conn
from audit.guard import SQLITE_TRIGGERS, pg_guard_sql
from audit.settings import AuditSettings

SCHEMA_VERSION = 2

_ENTRY_COLUMNS = """
    requester_account TEXT NOT NULL,
    requester_role TEXT NOT NULL,
    requester_org TEXT NOT NULL,
    method TEXT NOT NULL,
    reason_code TEXT NOT NULL,
    reason_text TEXT NOT NULL,
    subject_ref TEXT NOT NULL,
    subject_label TEXT NOT NULL,
    scope TEXT NOT NULL,
    authority_ref TEXT NOT NULL,
    authority_sha256 TEXT NOT NULL,
    outcome TEXT NOT NULL,
    request_id TEXT NOT NULL,
    case_ref TEXT NOT NULL,
    subject_query_count BIGINT NOT NULL,
    prev_hash TEXT NOT NULL,
    entry_hash TEXT NOT NULL"""

_SQLITE_ENTRIES = f"""
CREATE TABLE entries (
    seq INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,{_ENTRY_COLUMNS}
)"""

_PG_ENTRIES = f"""
CREATE TABLE entries (
    seq BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,{_ENTRY_COLUMNS},
    PRIMARY KEY (seq, created_at)
) PARTITION BY RANGE (created_at);
CREATE TABLE entries_default PARTITION OF entries DEFAULT"""

# Keyset browsing pages on (created_at, seq) newest first; one index per filter keeps page 1000
# as cheap as page 1 (DESIGN: keyset paging, never OFFSET).
_INDEXES = """
CREATE INDEX ix_entries_created ON entries (created_at, seq);
CREATE INDEX ix_entries_subject ON entries (subject_ref, created_at, seq);
CREATE INDEX ix_entries_account ON entries (requester_account, created_at, seq);
CREATE INDEX ix_entries_org ON entries (requester_org, created_at, seq);
CREATE INDEX ix_entries_method ON entries (method, created_at, seq);
CREATE INDEX ix_entries_reason ON entries (reason_code, created_at, seq);
CREATE INDEX ix_entries_outcome ON entries (outcome, created_at, seq);
CREATE INDEX ix_entries_case ON entries (case_ref, seq) WHERE case_ref <> ''"""


def _common(identity: str, time_type: str) -> str:
    return f"""
CREATE TABLE chain_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq BIGINT NOT NULL,
    last_hash TEXT NOT NULL,
    last_created_at {time_type}
);
CREATE TABLE subject_counts (
    subject_ref TEXT PRIMARY KEY,
    allowed_count BIGINT NOT NULL,
    refused_count BIGINT NOT NULL,
    last_seq BIGINT NOT NULL
);
CREATE TABLE checkpoints (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    entry_hash TEXT NOT NULL,
    prev_checkpoint_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    key_id TEXT NOT NULL,
    checkpoint_hash TEXT NOT NULL UNIQUE,
    signature TEXT NOT NULL
);
CREATE INDEX ix_checkpoints_seq ON checkpoints (seq);
CREATE TABLE tombstones (
    id BIGINT PRIMARY KEY,
    from_seq BIGINT NOT NULL,
    to_seq BIGINT NOT NULL,
    purged_count BIGINT NOT NULL,
    cutoff TEXT NOT NULL,
    first_prev_hash TEXT NOT NULL,
    last_hash TEXT NOT NULL,
    kept TEXT NOT NULL,
    released TEXT NOT NULL,
    created_at TEXT NOT NULL,
    prev_tombstone_hash TEXT NOT NULL,
    key_id TEXT NOT NULL,
    tombstone_hash TEXT NOT NULL UNIQUE,
    signature TEXT NOT NULL
);
CREATE TABLE holds (
    id {identity},
    kind TEXT NOT NULL CHECK (kind IN ('subject', 'case')),
    value TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    released_at TEXT,
    released_by TEXT,
    release_reason TEXT
);
CREATE TABLE verification_runs (
    id {identity},
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    mode TEXT NOT NULL,
    from_seq BIGINT NOT NULL,
    to_seq BIGINT NOT NULL,
    entries_checked BIGINT NOT NULL,
    ok INTEGER NOT NULL,
    first_bad_seq BIGINT,
    anchor_checkpoint_id BIGINT,
    message TEXT NOT NULL
)"""


def _v1(engine: str) -> list[str]:
    if engine == "postgres":
        common = _common("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "TIMESTAMPTZ")
        return [_PG_ENTRIES, _INDEXES, common, f"INSERT INTO chain_head VALUES (1, 0, '{GENESIS}', NULL)"]
    common = _common("INTEGER PRIMARY KEY", "TEXT")
    return [
        _SQLITE_ENTRIES,
        _INDEXES,
        common,
        f"INSERT INTO chain_head VALUES (1, 0, '{GENESIS}', '')",
        # Defence in depth for the file: entries are never updated, by anyone (SPEC §5).
        SQLITE_TRIGGERS["entries_append_only"],
    ]


def _v2(engine: str) -> list[str]:
    """The guard on entries (``guard.py``) and the fingerprint its checkpoints sign."""
    common = [
        "ALTER TABLE checkpoints ADD COLUMN guard TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE checkpoints ADD COLUMN guard_state TEXT NOT NULL DEFAULT ''",
        "CREATE INDEX ix_tombstones_to_seq ON tombstones (to_seq)",  # the guard reads max(to_seq) per row
    ]
    if engine == "postgres":
        return common + pg_guard_sql()
    return common + [SQLITE_TRIGGERS["entries_delete_guard"]]


MIGRATIONS = {1: _v1, 2: _v2}


def grant_sql(settings: AuditSettings) -> str:
    """The GRANTs ``migrate`` gives (documented in audit/README.md); roles are created by the DBA."""
    s, w, r = settings.pg_schema, settings.pg_writer_role, settings.pg_reader_role
    return f"""
REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM PUBLIC;
GRANT USAGE ON SCHEMA {s} TO {w}, {r};
GRANT SELECT, INSERT ON entries TO {w};
GRANT SELECT, UPDATE ON chain_head TO {w};
GRANT SELECT, INSERT, UPDATE ON subject_counts TO {w};
GRANT SELECT ON schema_version, checkpoints TO {w};
GRANT SELECT ON entries, chain_head, subject_counts, checkpoints, tombstones, holds, verification_runs,
    schema_version TO {r};
GRANT INSERT ON verification_runs TO {r}"""


async def migrate(conn: Conn, settings: AuditSettings, *, quiet: bool = False) -> list[int]:
    """Apply the missing migrations, each in its own transaction; safe to run again or concurrently."""
    applied: list[int] = []
    if conn.engine == "postgres":
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {settings.pg_schema}")
        await conn.execute("SELECT pg_advisory_lock(hashtext('audit-migrate'))")
    try:
        async with conn.transaction():
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT)"
            )
        for version in sorted(MIGRATIONS):
            async with conn.transaction():
                done = await conn.fetchval("SELECT count(*) FROM schema_version WHERE version = $1", version)
                if done:
                    continue
                for block in MIGRATIONS[version](conn.engine):
                    if "CREATE TRIGGER" in block or "$guard$" in block:  # bodies hold semicolons
                        await conn.execute(block)
                    else:
                        await conn.script(block)
                now = format_time(datetime.now(timezone.utc))
                await conn.execute("INSERT INTO schema_version VALUES ($1, $2)", version, now)
            applied.append(version)
        if conn.engine == "postgres":
            from audit.partitions import ensure_partitions

            await ensure_partitions(conn, datetime.now(timezone.utc), months_ahead=3)
            await _grant(conn, settings, quiet)
    finally:
        if conn.engine == "postgres":
            await conn.execute("SELECT pg_advisory_unlock(hashtext('audit-migrate'))")
    return applied


async def _grant(conn: Conn, settings: AuditSettings, quiet: bool) -> None:
    roles = {r[0] for r in await conn.fetch("SELECT rolname FROM pg_roles")}
    missing = [r for r in (settings.pg_writer_role, settings.pg_reader_role) if r not in roles]
    if missing:
        if not quiet:
            print(f"audit migrate: roles {', '.join(missing)} do not exist; no grants given", file=sys.stderr)
        return
    await conn.script(grant_sql(settings))
