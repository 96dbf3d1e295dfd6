"""Unit tests: event checks (DESIGN rule 4), canonical encoding and batch numbering (R-19)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import pytest

from audit.chain import ENTRY_FIELDS, GENESIS, Head, build_batch, canonical_entry, entry_hash, format_time, parse_time
from audit.events import EVENT_FIELDS, looks_like_id, mask_id_numbers, prepare
from tests.audit.helpers import event


@pytest.mark.parametrize(
    "ref", ["410105199001011234", "41010519900101123X", "p:410105199001011234", "91410100MA44ABCD1X", "410105900101123"]
)
def test_subject_ref_that_looks_like_an_id_number_is_refused(ref: str) -> None:
    with pytest.raises(ValueError, match="subject_ref"):
        prepare(event(subject=ref))


def test_opaque_digests_are_accepted() -> None:
    digest = "s:" + "0123456789" * 6 + "abcd"  # long digit runs inside a hex digest are fine
    assert not looks_like_id(digest)
    assert prepare(event(subject=digest))[EVENT_FIELDS.index("subject_ref")] == digest


def test_id_numbers_in_free_text_are_masked() -> None:
    values = prepare(event(reason_text="核查 410105199001011234 的记录", subject_label="张三 41010519900101123X"))
    assert values[EVENT_FIELDS.index("reason_text")] == "核查 4101**********1234 的记录"
    assert values[EVENT_FIELDS.index("subject_label")] == "张三 4101**********123X"
    assert mask_id_numbers("USCC 91410100MA44ABCD1X stays") == "USCC 91410100MA44ABCD1X stays"


@pytest.mark.parametrize(
    "change",
    [
        {"method": "telepathy"},
        {"requester_role": "king"},
        {"outcome": "denied"},
        {"outcome": "refused:"},
        {"authority_sha256": "XYZ"},
        {"scope": "A\x1fB"},
        {"subject_ref": ""},
    ],
)
def test_malformed_events_are_programming_errors(change: dict) -> None:
    with pytest.raises(ValueError):
        prepare(dataclasses.replace(event(), **change))


def test_control_characters_in_free_text_become_spaces() -> None:
    values = prepare(event(reason_text="a\x1fb\nc"))
    assert values[EVENT_FIELDS.index("reason_text")] == "a b c"


def test_time_format_round_trips_with_microseconds() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=timezone.utc)
    assert format_time(moment) == "2026-01-02T03:04:05.000678Z"
    assert parse_time(format_time(moment)) == moment


def test_entry_hash_covers_every_field_and_the_previous_hash() -> None:
    texts = [str(i) for i in range(len(ENTRY_FIELDS))]
    base = entry_hash(GENESIS, texts)
    assert canonical_entry(texts).startswith("audit-entry-v1\x1f0\x1f1")
    assert entry_hash("1" * 64, texts) != base
    for i in range(len(texts)):
        changed = list(texts)
        changed[i] += "x"
        assert entry_hash(GENESIS, changed) != base


def test_batch_counts_allowed_disclosures_and_keeps_time_monotonic() -> None:
    items = [
        prepare(event(i, subject="s1" if i % 2 else "s2", outcome="refused:no_authorization" if i == 3 else "allowed"))
        for i in range(6)
    ]
    later = "2999-01-01T00:00:00.000000Z"
    batch = build_batch(Head(10, "f" * 64, later), {"s1": [4, 1]}, items, datetime.now(timezone.utc))
    assert [r.seq for r in batch.receipts] == [11, 12, 13, 14, 15, 16]
    assert all(r.recorded_at == parse_time(later) for r in batch.receipts)  # clamped to the head's time
    # s2 (even i): 1, 2, 3; s1 (odd i): 5, refused (stays 5), 6
    assert [r.subject_query_count for r in batch.receipts] == [1, 5, 2, 5, 3, 6]
    assert batch.counts == {"s2": [3, 0, 15], "s1": [6, 2, 16]}
    assert batch.rows[0][-2] == "f" * 64 and batch.rows[1][-2] == batch.rows[0][-1]
    assert batch.head.last_seq == 16 and batch.head.last_hash == batch.rows[-1][-1]
