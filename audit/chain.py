"""Canonical encoding and the hash chain (SPEC §5: the audit log is tamper-evident).

Entry encoding, version ``audit-entry-v1`` (stable; any change needs a new version tag):

    canonical(entry) = "audit-entry-v1" US f1 US f2 … US f17        (US = U+001F, UTF-8)
    entry_hash       = SHA-256( prev_hash_hex "\\n" canonical(entry) ) as lowercase hex

with the 17 fields of ``ENTRY_FIELDS`` in that order, integers in decimal and ``created_at`` as
``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (UTC). Field values never contain control characters (the recorder
refuses or replaces them), so the separators are unambiguous; the verifier checks their count. The
first entry's ``prev_hash`` is ``GENESIS`` (64 zeros). ``subject_query_count`` is the subject's
cumulative count after the entry; an access entry (``events.ACCESS_METHODS``) leaves it as it was —
the encoding is unchanged, so entries written before that rule still verify. A fixed-order join rather than JSON keeps
verification above 100,000 entries/s in pure Python, and is as easy to re-implement.

Checkpoints and tombstones are small and rare: they use sorted-key compact JSON (``canonical_json``),
signed with Ed25519 (``keys.py``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from audit.events import ACCESS_METHODS, ALLOWED, EVENT_FIELDS, Receipt

ENTRY_VERSION = "audit-entry-v1"
GENESIS = "0" * 64
US = "\x1f"
ENTRY_FIELDS: tuple[str, ...] = ("seq", "created_at", *EVENT_FIELDS, "subject_query_count")
STORED_COLUMNS: tuple[str, ...] = (*ENTRY_FIELDS, "prev_hash", "entry_hash")
_OUTCOME_INDEX = ENTRY_FIELDS.index("outcome") - 2  # position within the event values
_SUBJECT_INDEX = ENTRY_FIELDS.index("subject_ref") - 2
_METHOD_INDEX = ENTRY_FIELDS.index("method") - 2
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def format_time(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    return moment.astimezone(timezone.utc).strftime(TIME_FORMAT)


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=timezone.utc)


def canonical_entry(texts: Sequence[str]) -> str:
    """``texts``: the 17 ``ENTRY_FIELDS`` values as strings."""
    return ENTRY_VERSION + US + US.join(texts)


def entry_hash(prev_hash: str, texts: Sequence[str]) -> str:
    return joined_hash(prev_hash, US.join(texts))


def joined_hash(prev_hash: str, joined: str) -> str:
    """``entry_hash`` given the 17 field texts already joined with US (as the verifier reads them)."""
    return hashlib.sha256(f"{prev_hash}\n{ENTRY_VERSION}{US}{joined}".encode()).hexdigest()


def canonical_json(obj: object) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Head:
    """The chain head row: serialises appends across processes (R-19, one chain)."""

    last_seq: int
    last_hash: str
    last_created_at: str  # canonical time text, "" before the first entry


@dataclass
class Batch:
    rows: list[tuple]  # STORED_COLUMNS values, ints for seq and count
    receipts: list[Receipt]
    counts: dict[str, list[int]]  # subject_ref -> [allowed, refused, last_seq] after the batch
    head: Head


def build_batch(head: Head, counts: dict[str, list[int]], items: Sequence[tuple[str, ...]], now: datetime) -> Batch:
    """Number, time, count and hash a batch of prepared events (pure; the caller holds the chain lock).

    ``created_at`` never goes backwards along the chain (clamped to the head's time), so a time range
    is a seq range: retention purges a prefix, and browsing can page on (created_at, seq).
    """
    created = max(format_time(now), head.last_created_at)
    created_dt = parse_time(created)
    seq, prev = head.last_seq, head.last_hash
    rows: list[tuple] = []
    receipts: list[Receipt] = []
    touched: dict[str, list[int]] = {}
    for values in items:
        seq += 1
        ref = values[_SUBJECT_INDEX]
        tally = touched.get(ref) or list(counts.get(ref, (0, 0)))[:2] + [0]
        if values[_METHOD_INDEX] in ACCESS_METHODS:
            pass  # R-19 counts queries only: a staff, owner or auditor view is recorded, never counted
        elif values[_OUTCOME_INDEX] == ALLOWED:
            tally[0] += 1  # R-19 cumulative count: allowed disclosures only; refusals kept apart
        else:
            tally[1] += 1
        tally[2] = seq
        touched[ref] = tally
        texts = (str(seq), created, *values, str(tally[0]))
        digest = entry_hash(prev, texts)
        rows.append((seq, created, *values, tally[0], prev, digest))
        receipts.append(Receipt(seq=seq, entry_hash=digest, subject_query_count=tally[0], recorded_at=created_dt))
        prev = digest
    return Batch(rows=rows, receipts=receipts, counts=touched, head=Head(seq, prev, created))
