"""Retention (R-19: query records kept 5 years from creation) and legal holds: ``python -m audit purge``.

Entries older than the cutoff (now − 5 years) are purged oldest first, in chunks; each chunk is ONE
transaction that writes a signed tombstone (range, count, the hash before it and its last hash, the
held entries it keeps, earlier held entries it now releases) and deletes the entries, so the rest of
the chain still verifies from the tombstone. A chunk is verified before it is purged: tampering is
never sealed into a tombstone.

Legal holds (R-28: query info used in a case stays with the case) stop purging of matching entries:
``subject`` holds match ``subject_ref``; ``case`` holds match ``case_ref`` or ``authority_ref``. Held
entries stay where they are and are listed in the tombstone; when the hold is released, the next purge
deletes them and records that.

PostgreSQL: a monthly partition that lies wholly before the cutoff (and before the current month) and
holds no held entry is DROPPED whole; a partition with held entries has only its other rows deleted
(it is dropped by a later purge once its holds are released and it is empty); the month straddling the
cutoff is deleted row-wise. Schedule it daily, e.g. cron ``17 3 * * * cd /srv/portal && .venv/bin/python
-m audit purge`` (or the systemd timer in audit/README.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

from audit.chain import GENESIS, format_time
from audit.db import Conn
from audit.keys import SigningKey, load_signing_key
from audit.sealing import TOMBSTONE_SELECT, export, from_row, payload, seal
from audit.settings import AuditSettings
from audit.verify import Problem, Walker, walk

_HELD = (
    "(subject_ref IN (SELECT value FROM holds WHERE kind = 'subject' AND released_at IS NULL)"
    " OR case_ref IN (SELECT value FROM holds WHERE kind = 'case' AND released_at IS NULL)"
    " OR authority_ref IN (SELECT value FROM holds WHERE kind = 'case' AND released_at IS NULL))"
)


class PurgeRefused(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems[:5]))
        self.problems = problems


def retention_cutoff(now: datetime, years: int) -> datetime:
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February
        return now.replace(year=now.year - years, day=28)


# ---- legal holds ---------------------------------------------------------------------------


async def add_hold(conn: Conn, kind: str, value: str, reason: str, by: str) -> int:
    if kind not in ("subject", "case") or not value.strip() or not reason.strip():
        raise ValueError("a hold needs a kind (subject/case), a value and a reason")
    now = format_time(datetime.now(timezone.utc))
    async with conn.transaction():
        await conn.execute(
            "INSERT INTO holds (kind, value, reason, created_at, created_by) VALUES ($1, $2, $3, $4, $5)",
            kind,
            value.strip(),
            reason,
            now,
            by,
        )
        return int(await conn.fetchval("SELECT max(id) FROM holds"))


async def release_hold(conn: Conn, hold_id: int, reason: str, by: str) -> bool:
    async with conn.transaction():
        active = await conn.fetchval("SELECT count(*) FROM holds WHERE id = $1 AND released_at IS NULL", hold_id)
        if not active:
            return False
        await conn.execute(
            "UPDATE holds SET released_at = $2, released_by = $3, release_reason = $4 WHERE id = $1",
            hold_id,
            format_time(datetime.now(timezone.utc)),
            by,
            reason,
        )
    return True


async def list_holds(conn: Conn, include_released: bool = False) -> list[dict]:
    where = "" if include_released else " WHERE released_at IS NULL"
    rows = await conn.fetch(
        "SELECT id, kind, value, reason, created_at, created_by, released_at, released_by, release_reason "
        f"FROM holds{where} ORDER BY id"
    )
    names = (
        "id",
        "kind",
        "value",
        "reason",
        "created_at",
        "created_by",
        "released_at",
        "released_by",
        "release_reason",
    )
    return [dict(zip(names, row)) for row in rows]


# ---- purge ---------------------------------------------------------------------------------


@dataclass
class PurgeReport:
    cutoff: str
    tombstones: list[int] = field(default_factory=list)
    purged: int = 0
    kept: int = 0
    released: int = 0
    dropped_partitions: list[str] = field(default_factory=list)


@dataclass
class _State:
    base_seq: int
    base_hash: str
    last_id: int
    last_hash: str
    kept: dict[int, str]


async def _state(conn: Conn) -> _State:
    state = _State(0, GENESIS, 0, GENESIS, {})
    for row in await conn.fetch(f"{TOMBSTONE_SELECT} ORDER BY id"):
        body, digest, _ = from_row("tombstone", row)
        state.kept.update({int(s): h for s, h in body["kept"]})
        for s in body["released"]:
            state.kept.pop(int(s), None)
        state.base_seq = max(state.base_seq, body["to_seq"])
        state.base_hash, state.last_id, state.last_hash = body["last_hash"], body["id"], digest
    return state


async def _released(conn: Conn, kept: dict[int, str]) -> list[int]:
    if not kept:
        return []
    rows = await conn.fetch(f"SELECT seq FROM entries WHERE {_HELD} AND seq <= $1", max(kept))
    still = {int(r[0]) for r in rows}
    return sorted(s for s in kept if s not in still)


async def purge(
    conn: Conn,
    settings: AuditSettings,
    now: datetime | None = None,
    *,
    max_entries: int = 50_000,
    dry_run: bool = False,
    key: SigningKey | None = None,
) -> PurgeReport:
    real_now = datetime.now(timezone.utc)
    cutoff = retention_cutoff(now or real_now, settings.retention_years)
    report = PurgeReport(cutoff=format_time(cutoff))
    key = key or (None if dry_run else load_signing_key(settings))
    while True:
        state = await _state(conn)
        released = await _released(conn, state.kept)
        due = await conn.fetchval(
            "SELECT max(seq) FROM entries WHERE created_at < $1 AND seq > $2", conn.time(cutoff), state.base_seq
        )
        due = int(due) if due is not None else state.base_seq
        if due <= state.base_seq and not released:
            return report
        if dry_run:
            report.purged += due - state.base_seq
            report.released += len(released)
            return report
        chunk_to, whole = await _chunk(conn, state, due, cutoff, real_now, max_entries)
        walker = await walk(conn, Walker(state.base_seq + 1, state.base_hash), state.base_seq, chunk_to)
        if walker.problems or walker.expected_seq - 1 != chunk_to:
            raise PurgeRefused(
                walker.problems or [Problem(chunk_to, "missing", "待清除条目缺失", "entries to purge are missing")]
            )
        tomb_id = await _purge_chunk(
            conn, settings, state, chunk_to, walker.prev_hash, whole, released, cutoff, key, report
        )
        report.tombstones.append(tomb_id)


async def _chunk(
    conn: Conn, state: _State, due: int, cutoff: datetime, real_now: datetime, limit: int
) -> tuple[int, str | None]:
    """The next range to purge: a whole droppable partition on PostgreSQL, else up to ``limit`` rows."""
    if due <= state.base_seq:
        return state.base_seq, None  # only released held entries
    if conn.engine == "postgres":
        from audit.partitions import list_partitions, month_start, partition_of

        name = await partition_of(conn, state.base_seq + 1)
        part = next((p for p in await list_partitions(conn) if p.name == name), None)
        if part is not None and part.end <= cutoff and part.end <= month_start(real_now):
            top = int(await conn.fetchval(f"SELECT max(seq) FROM {part.name}"))
            if top <= due:
                return top, part.name
    return min(due, state.base_seq + limit), None


async def _purge_chunk(conn, settings, state, chunk_to, last_hash, whole, released, cutoff, key, report) -> int:
    async with conn.transaction():
        if conn.engine == "postgres":
            await conn.execute("LOCK TABLE holds IN SHARE MODE")  # holds cannot change under us
        held = [
            (int(r[0]), r[1])
            for r in await conn.fetch(
                f"SELECT seq, entry_hash FROM entries WHERE seq > $1 AND seq <= $2 AND {_HELD} ORDER BY seq",
                state.base_seq,
                chunk_to,
            )
        ]
        body = payload(
            "tombstone",
            {
                "id": state.last_id + 1,
                "from_seq": state.base_seq + 1,
                "to_seq": chunk_to,
                "purged_count": chunk_to - state.base_seq - len(held) + len(released),
                "cutoff": format_time(cutoff),
                "first_prev_hash": state.base_hash,
                "last_hash": last_hash if chunk_to > state.base_seq else state.base_hash,
                "kept": [[s, h] for s, h in held],
                "released": released,
                "created_at": format_time(datetime.now(timezone.utc)),
                "prev_tombstone_hash": state.last_hash,
                "key_id": key.key_id,
            },
        )
        digest, signature = seal(body, key)
        await conn.execute(
            "INSERT INTO tombstones (id, from_seq, to_seq, purged_count, cutoff, first_prev_hash, last_hash, kept, "
            "released, created_at, prev_tombstone_hash, key_id, tombstone_hash, signature) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            *[json.dumps(body[n]) if n in ("kept", "released") else body[n] for n in list(body)[2:]],
            digest,
            signature,
        )
        if whole and not held and not await _has_rows_upto(conn, whole, state.base_seq):
            await conn.execute(f"DROP TABLE {whole}")
            report.dropped_partitions.append(whole)
        elif chunk_to > state.base_seq:
            await conn.execute(
                f"DELETE FROM entries WHERE seq > $1 AND seq <= $2 AND NOT {_HELD}", state.base_seq, chunk_to
            )
        for i in range(0, len(released), 500):
            part = released[i : i + 500]
            marks = ", ".join(f"${n + 1}" for n in range(len(part)))
            await conn.execute(f"DELETE FROM entries WHERE seq IN ({marks})", *part)
    export(settings, "tombstone", body, digest, signature)
    report.purged += body["purged_count"]
    report.kept += len(held)
    report.released += len(released)
    if conn.engine == "postgres":
        report.dropped_partitions += await _drop_empty_partitions(conn, cutoff)
    return body["id"]


async def _has_rows_upto(conn: Conn, table: str, seq: int) -> bool:
    return bool(await conn.fetchval(f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE seq <= $1 LIMIT 1) x", seq))


async def _drop_empty_partitions(conn: Conn, cutoff: datetime) -> list[str]:
    """Partitions emptied by purges (held entries released) wholly before the cutoff and this month."""
    from audit.partitions import list_partitions, month_start

    dropped = []
    limit = min(cutoff, month_start(datetime.now(timezone.utc)))
    for part in await list_partitions(conn):
        if part.end <= limit and not await conn.fetchval(f"SELECT count(*) FROM (SELECT 1 FROM {part.name} LIMIT 1) x"):
            async with conn.transaction():
                await conn.execute(f"DROP TABLE {part.name}")
            dropped.append(part.name)
    return dropped
