"""One entry's verification status for the auditor's detail page (SPEC §5; issue 3 item 10).

Four questions, each answered from the store and the trusted public keys alone:

1. **Content** — does the entry's hash, recomputed from its canonical fields, equal the stored hash?
2. **Link** — does its ``prev_hash`` equal the previous entry's hash (or the signed tombstone's last
   hash when the previous entries were purged; GENESIS for seq 1)?
3. **Checkpoint** — is it covered by a signed checkpoint (the first with ``seq`` ≥ this one) whose
   Ed25519 signature verifies with a trusted public key, and does the chain from this entry up to the
   checkpoint recompute to the hash the checkpoint signed? Only that last step proves the entry was
   not edited and re-hashed by someone without the private key.
4. **Last runs** — what the last full verification (and the last run of any kind) said.

Trusted keys and the exported copies come from the export directory (``<export>/keys/*.pem``,
``<export>/checkpoints/``), as for ``python -m audit verify``; the exported copy of a checkpoint wins
over the database's when they differ.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from audit.chain import GENESIS, US, joined_hash
from audit.db import Conn
from audit.keys import load_public_keys
from audit.sealing import CHECKPOINT_SELECT, check_seal, from_row, payload
from audit.settings import AuditSettings
from audit.verify import Walker, canonical_select, walk

__all__ = ["MAX_WALK", "RUN_FIELDS", "export_dir_of", "trusted_keys", "check_entry", "check_checkpoint", "last_runs"]

MAX_WALK = 20_000  # entries walked from an entry to its checkpoint (default spacing: 1,000)

RUN_FIELDS = (
    "id",
    "started_at",
    "finished_at",
    "mode",
    "from_seq",
    "to_seq",
    "entries_checked",
    "ok",
    "first_bad_seq",
    "message",
)
"""The columns of ``verification_runs`` shown to auditors (here and in ``service.integrity_status``)."""


def trusted_keys(settings: AuditSettings) -> dict:
    """The public keys exported beside the checkpoints (the same trust root as ``audit verify``)."""
    directory = settings.export_dir / "keys"
    return load_public_keys([directory]) if directory.is_dir() else {}


def export_dir_of(settings: AuditSettings) -> Path | None:
    return settings.export_dir if settings.export_dir.is_dir() else None


def _exported_copy(export_dir: Path | None, checkpoint_id: int) -> tuple | str | None:
    """The exported copy of one checkpoint (``sealing.export`` names it by id), or why it is unusable."""
    if export_dir is None:
        return None
    path = export_dir / "checkpoints" / f"{int(checkpoint_id):012d}.json"
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        return payload("checkpoint", record), record["hash"], record["signature"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return f"unreadable export {path.name}: {exc}"


def check_checkpoint(row: Any, keys: dict, export_dir: Path | None) -> dict:
    """A stored checkpoint row (``CHECKPOINT_SELECT`` order): its seal, and the exported copy."""
    body, digest, signature = from_row("checkpoint", row)
    exported = _exported_copy(export_dir, body["id"])
    export_state = "missing"
    if isinstance(exported, tuple):
        export_state = "same" if exported == (body, digest, signature) else "differs"
        body, digest, signature = exported  # the export is the trusted copy
    elif isinstance(exported, str):
        export_state = "unreadable"
    reason = check_seal(body, digest, signature, keys)
    return {
        "id": body["id"],
        "seq": body["seq"],
        "entry_hash": body["entry_hash"],
        "created_at": Conn.as_time(body["created_at"]),
        "key_id": body["key_id"],
        "signature_ok": reason is None,
        "key_known": body["key_id"] in keys,
        "seal_problem": reason,
        "export": export_state,
    }


async def last_runs(conn: Conn) -> dict:
    select = f"SELECT {', '.join(RUN_FIELDS)} FROM verification_runs"

    def run(row) -> dict | None:
        if row is None:
            return None
        item = dict(zip(RUN_FIELDS, row))
        item["ok"] = bool(item["ok"])
        item["finished_at"] = Conn.as_time(item["finished_at"])
        item["started_at"] = Conn.as_time(item["started_at"])
        return item

    return {
        "last_full": run(await conn.fetchrow(f"{select} WHERE mode = 'full' ORDER BY id DESC LIMIT 1")),
        "last_any": run(await conn.fetchrow(f"{select} ORDER BY id DESC LIMIT 1")),
    }


async def _link(conn: Conn, seq: int, prev_hash: str) -> tuple[bool | None, str]:
    if seq == 1:
        return prev_hash == GENESIS, "genesis"
    before = await conn.fetchval("SELECT entry_hash FROM entries WHERE seq = $1", seq - 1)
    if before is not None:
        return before == prev_hash, "previous"
    tomb = await conn.fetchrow(
        "SELECT to_seq, last_hash FROM tombstones WHERE from_seq <= $1 AND to_seq >= $1 ORDER BY id DESC LIMIT 1",
        seq - 1,
    )
    if tomb is None:
        return False, "missing"  # the previous entry was deleted without a tombstone
    if int(tomb[0]) == seq - 1:
        return tomb[1] == prev_hash, "tombstone"
    return None, "purged"  # a held entry inside a purged range: the full verification checks it


async def check_entry(conn: Conn, seq: int, keys: dict, export_dir: Path | None) -> dict | None:
    row = await conn.fetchrow(f"SELECT {canonical_select(conn)} FROM entries WHERE seq = $1", seq)
    if row is None:
        return None
    joined, prev_hash, stored = row[1], row[2], row[3]
    hash_ok = joined.count(US) == 16 and joined_hash(prev_hash, joined) == stored
    link_ok, link_basis = await _link(conn, seq, prev_hash)
    checkpoint, chain_ok, chain_problems, walked = None, None, [], 0
    cp_row = await conn.fetchrow(f"{CHECKPOINT_SELECT} WHERE seq >= $1 ORDER BY seq, id LIMIT 1", seq)
    if cp_row is not None:
        checkpoint = check_checkpoint(cp_row, keys, export_dir)
        if checkpoint["seq"] - seq < MAX_WALK:
            walker = Walker(
                seq,
                prev_hash,
                {checkpoint["seq"]: [(checkpoint["id"], checkpoint["entry_hash"])]},
                last_good_checkpoint_seq=seq - 1,
            )
            await walk(conn, walker, seq - 1, checkpoint["seq"])
            walked = walker.checked
            chain_problems = [str(p) for p in walker.problems]
            chain_ok = not walker.problems and walker.expected_seq - 1 == checkpoint["seq"]
            if chain_ok is False and not chain_problems:
                chain_problems = [f"条目在序号 {walker.expected_seq - 1} 处中断，未到达检查点"]
    failed = (
        not hash_ok
        or link_ok is False
        or (checkpoint is not None and (chain_ok is False or checkpoint["export"] == "differs"))
        or (checkpoint is not None and checkpoint["key_known"] and not checkpoint["signature_ok"])
    )
    if failed:
        status = "failed"
    elif checkpoint is None:
        status = "unsealed"  # intact so far, not yet covered by a signed checkpoint
    elif checkpoint["signature_ok"] and chain_ok and link_ok is not None:
        status = "verified"
    else:
        status = "partial"  # e.g. no trusted public key here, or the checkpoint is too far to walk
    return {
        "status": status,
        "hash_ok": hash_ok,
        "link_ok": link_ok,
        "link_basis": link_basis,
        "checkpoint": checkpoint,
        "chain_ok": chain_ok,
        "chain_walked": walked,
        "chain_problems": chain_problems,
        "keys_found": sorted(keys),
        **await last_runs(conn),
    }
