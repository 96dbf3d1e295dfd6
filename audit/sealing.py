"""Signed records: checkpoints and tombstones, their payloads, seals and exported files (SPEC §5).

A checkpoint signs (id, seq, entry_hash, prev_checkpoint_hash, created_at, key_id and, from v2, the
guard fingerprint's digest): each chains the previous one, so deleting or altering any checkpoint
breaks the checkpoint chain. A tombstone signs a purged range (from/to seq, count, the hash before
and the last hash of the range, held entries kept in it, entries released from earlier holds) so
the remaining chain still verifies after retention.

Both are stored in the database and exported, one JSON file each, to
``<export dir>/checkpoints/<id>.json`` and ``<export dir>/tombstones/<id>.json`` with the public keys
in ``<export dir>/keys/`` — a directory the portal never writes (in production: another user, or a
host the auditors control).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from audit.chain import canonical_json, sha256_hex
from audit.keys import SigningKey, verify_signature, write_atomic
from audit.settings import AuditSettings

CHECKPOINT_FIELDS = ("id", "seq", "entry_hash", "prev_checkpoint_hash", "created_at", "key_id", "guard")
TOMBSTONE_FIELDS = (
    "id",
    "from_seq",
    "to_seq",
    "purged_count",
    "cutoff",
    "first_prev_hash",
    "last_hash",
    "kept",
    "released",
    "created_at",
    "prev_tombstone_hash",
    "key_id",
)
KINDS = {"checkpoint": CHECKPOINT_FIELDS, "tombstone": TOMBSTONE_FIELDS}
CHECKPOINT_SELECT = "SELECT " + ", ".join((*CHECKPOINT_FIELDS, "checkpoint_hash", "signature")) + " FROM checkpoints"
TOMBSTONE_SELECT = "SELECT " + ", ".join((*TOMBSTONE_FIELDS, "tombstone_hash", "signature")) + " FROM tombstones"


def payload(kind: str, values: dict[str, Any]) -> dict[str, Any]:
    """The signed content: ``kept``/``released`` as lists, integers as ints.

    Checkpoints from schema v2 also sign ``guard`` (the digest of the guard fingerprint, guard.py)
    and say ``"v": 2``; a checkpoint without it keeps its v1 body, so old seals still verify."""
    guard = (values.get("guard") or "") if kind == "checkpoint" else ""
    body: dict[str, Any] = {"type": f"audit-{kind}", "v": 2 if guard else 1}
    for name in KINDS[kind]:
        if name == "guard":
            if guard:
                body[name] = guard
            continue
        value = values[name]
        if name in ("kept", "released") and isinstance(value, str):
            value = json.loads(value)
        elif name in ("id", "seq", "from_seq", "to_seq", "purged_count"):
            value = int(value)
        body[name] = value
    return body


def from_row(kind: str, row: Sequence[Any]) -> tuple[dict[str, Any], str, str]:
    """A stored row (``*_SELECT`` order) → (payload, hash, signature)."""
    names = KINDS[kind]
    return payload(kind, dict(zip(names, row))), row[len(names)], row[len(names) + 1]


def seal(body: dict[str, Any], key: SigningKey) -> tuple[str, str]:
    data = canonical_json(body)
    return sha256_hex(data), key.sign(data)


def check_seal(body: dict[str, Any], digest: str, signature: str, keys: dict) -> str | None:
    """None if the record is intact and signed by a trusted key, else the reason."""
    data = canonical_json(body)
    if sha256_hex(data) != digest:
        return "hash mismatch"
    if body.get("key_id") not in keys:
        return f"signed by unknown key {body.get('key_id')} (trusted keys: {', '.join(keys) or 'none found'})"
    if not verify_signature(keys, body["key_id"], data, signature):
        return "bad signature"
    return None


def export(settings: AuditSettings, kind: str, body: dict[str, Any], digest: str, signature: str) -> Path:
    """Write the record to the export directory (atomically, fsync'd)."""
    record = dict(body, hash=digest, signature=signature)
    path = settings.export_dir / f"{kind}s" / f"{int(body['id']):012d}.json"
    write_atomic(path, canonical_json(record) + b"\n")
    return path


def read_exports(directory: Path | None, kind: str) -> dict[int, tuple[dict[str, Any], str, str] | str]:
    """Exported records by id; a string value says why a file could not be read."""
    found: dict[int, tuple[dict[str, Any], str, str] | str] = {}
    if directory is None or not (directory / f"{kind}s").is_dir():
        return found
    for path in sorted((directory / f"{kind}s").glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            body = payload(kind, record)
            found[body["id"]] = (body, record["hash"], record["signature"])
        except (ValueError, KeyError, TypeError) as exc:
            try:
                found[int(path.stem)] = f"unreadable export {path.name}: {exc}"
            except ValueError:
                continue
    return found
