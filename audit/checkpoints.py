"""Signed checkpoints (SPEC §5; issue 3 item 8): ``python -m audit checkpoint [--if-due]``.

Only the audit service makes them (it alone reads the private key; the portal's recorder never
signs). Before signing, the entries since the previous checkpoint are verified — all of them when the guard's
fingerprint changed since the previous checkpoint (``guard.py``) — so a checkpoint attests "up to seq
N the chain was intact and ended in hash H, and the guard was as fingerprinted". No checkpoint is
signed while the guard is missing or altered. ``serve`` makes one every
``AUDIT_CHECKPOINT_EVERY`` entries (checked every ``AUDIT_CHECKPOINT_INTERVAL`` seconds); cron can
run ``checkpoint --if-due`` instead. Each is exported to the export directory at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from audit.chain import GENESIS, format_time
from audit.db import Conn
from audit.guard import guard_problems_and_state, purged_before, same_epoch, signed_state, state_digest, state_text
from audit.keys import SigningKey, load_signing_key
from audit.sealing import CHECKPOINT_SELECT, export, from_row, payload, seal
from audit.settings import AuditSettings
from audit.verify import Problem, Walker, walk


class CheckpointRefused(Exception):
    """The chain since the last checkpoint does not verify: nothing is signed."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems[:5]))
        self.problems = problems


@dataclass(frozen=True)
class Checkpoint:
    id: int
    seq: int
    entry_hash: str
    created_at: str
    path: str


async def last_checkpoint(conn: Conn) -> dict | None:
    row = await conn.fetchrow(f"{CHECKPOINT_SELECT} ORDER BY id DESC LIMIT 1")
    if row is None:
        return None
    body, digest, _ = from_row("checkpoint", row)
    return dict(body, checkpoint_hash=digest)


async def _base(conn: Conn) -> tuple[int, str]:
    row = await conn.fetchrow("SELECT to_seq, last_hash FROM tombstones ORDER BY id DESC LIMIT 1")
    return (int(row[0]), row[1]) if row else (0, GENESIS)


async def make_checkpoint(
    conn: Conn, settings: AuditSettings, *, if_due: bool = False, key: SigningKey | None = None
) -> Checkpoint | None:
    """Sign the current head; None when nothing new (or, with ``if_due``, not yet N entries)."""
    if conn.engine == "postgres":
        from audit.partitions import ensure_partitions

        await ensure_partitions(conn, datetime.now(timezone.utc))
    head = await conn.fetchrow("SELECT last_seq, last_hash FROM chain_head WHERE id = 1")
    head_seq, head_hash = int(head[0]), head[1]
    previous = await last_checkpoint(conn)
    prev_seq = previous["seq"] if previous else 0
    if head_seq == 0 or head_seq == prev_seq:
        return None
    if if_due and head_seq - prev_seq < settings.checkpoint_every:
        return None
    base_seq, base_hash = await _base(conn)
    problems, state = await guard_problems_and_state(conn)
    if problems:
        raise CheckpointRefused([Problem(None, "guard", zh, en) for zh, en in problems])
    # The guard may have been off since the previous checkpoint: then walk from the base, so a
    # deletion made meanwhile is never sealed (guard.py).
    same = previous is not None and same_epoch(await signed_state(conn, previous), state, await purged_before(conn))
    start_seq, start_hash = (
        (prev_seq, previous["entry_hash"]) if previous and prev_seq > base_seq and same else (base_seq, base_hash)
    )
    walker = await walk(
        conn, Walker(start_seq + 1, start_hash, last_good_checkpoint_seq=start_seq), start_seq, head_seq
    )
    if walker.expected_seq - 1 != head_seq and head_seq > base_seq:
        walker.problems.append(
            Problem(walker.expected_seq, "truncated", "链头之前的条目缺失", "entries before the head are missing")
        )
    if walker.problems or (head_seq > base_seq and walker.prev_hash != head_hash):
        raise CheckpointRefused(walker.problems or [Problem(head_seq, "head", "链头哈希不符", "head hash mismatch")])
    key = key or load_signing_key(settings)
    body = payload(
        "checkpoint",
        {
            "id": (previous["id"] + 1) if previous else 1,
            "seq": head_seq,
            "entry_hash": head_hash,
            "prev_checkpoint_hash": previous["checkpoint_hash"] if previous else GENESIS,
            "created_at": format_time(datetime.now(timezone.utc)),
            "key_id": key.key_id,
            "guard": state_digest(state),
        },
    )
    digest, signature = seal(body, key)
    async with conn.transaction():
        await conn.execute(
            "INSERT INTO checkpoints (id, seq, entry_hash, prev_checkpoint_hash, created_at, key_id, checkpoint_hash, "
            "signature, guard, guard_state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            body["id"],
            body["seq"],
            body["entry_hash"],
            body["prev_checkpoint_hash"],
            body["created_at"],
            body["key_id"],
            digest,
            signature,
            body["guard"],
            state_text(state),
        )
    path = export(settings, "checkpoint", body, digest, signature)
    return Checkpoint(body["id"], body["seq"], body["entry_hash"], body["created_at"], str(path))


async def export_all(conn: Conn, settings: AuditSettings) -> int:
    """Re-export every stored checkpoint and tombstone (e.g. to a fresh export directory)."""
    from audit.sealing import TOMBSTONE_SELECT

    count = 0
    for kind, select in (("checkpoint", CHECKPOINT_SELECT), ("tombstone", TOMBSTONE_SELECT)):
        for row in await conn.fetch(f"{select} ORDER BY id"):
            body, digest, signature = from_row(kind, row)
            export(settings, kind, body, digest, signature)
            count += 1
    load_signing_key(settings)  # exports the current public key too
    return count
