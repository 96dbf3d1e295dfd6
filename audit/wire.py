"""The audit writer's protocol: ``audit.writer`` serves it, ``audit.client`` speaks it.

One JSON object per line (UTF-8) in each direction:

    → {"id": 7, "v": [14 event values in EVENT_FIELDS order]}
    ← {"id": 7, "seq": 123, "hash": "…", "count": 4, "at": "2026-12-02T08:00:00.000000Z"}
    ← {"id": 7, "error": "audit store unavailable: …"}
    → {"id": 7, "abandon": 1}      the caller gave up: withdrawn unless already inserted

A receipt is sent only after COMMIT returned.
"""

from __future__ import annotations

import json

from audit.chain import format_time, parse_time
from audit.events import AuditUnavailable, Receipt

LINE_LIMIT = 1 << 20  # an event is a few KB; a longer line is a broken peer


def _line(msg: dict) -> bytes:
    return json.dumps(msg, ensure_ascii=False).encode() + b"\n"


def append_request(rid: int, values: tuple[str, ...]) -> bytes:
    return _line({"id": rid, "v": list(values)})


def abandon_request(rid: int) -> bytes:
    return _line({"id": rid, "abandon": 1})


def receipt_reply(rid: int, r: Receipt) -> bytes:
    at = format_time(r.recorded_at)
    return _line({"id": rid, "seq": r.seq, "hash": r.entry_hash, "count": r.subject_query_count, "at": at})


def error_reply(rid: int, error: str) -> bytes:
    return _line({"id": rid, "error": error})


def receipt_from(msg: dict) -> Receipt:
    """The receipt a reply carries; an error reply, or one that is not a receipt, is ``AuditUnavailable``."""
    if "error" in msg:
        raise AuditUnavailable(str(msg["error"]))
    try:
        return Receipt(
            seq=int(msg["seq"]),
            entry_hash=str(msg["hash"]),
            subject_query_count=int(msg["count"]),
            recorded_at=parse_time(msg["at"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise AuditUnavailable(f"malformed reply from the audit writer: {exc}") from exc
