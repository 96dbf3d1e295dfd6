"""The read of past disclosure recipients (R-19, R-24): who was shown a record of a subject since a time.

Build item: issue "objections" item 6, the audit read API that finds the parties to notify when a
record is found wrong. Runs on the suite's engine (SQLite file or PostgreSQL schema).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from audit.recipients import covers, recipients_query
from audit.recorder import Recorder
from tests.audit.helpers import event


def _who(rows: list[dict]) -> list[tuple[str, str, str]]:
    return [(r["requester_account"], r["requester_role"], r["requester_org"]) for r in rows]


async def _mark(rec: Recorder, **changes: str):
    return await rec.record(event(0, request_id="mark", **changes))


def test_covers_reads_the_scope_text_the_disclosure_path_writes() -> None:
    assert covers("A,B,C", "C", "tax") and covers("A,B,C", "C")  # all of class C (own query)
    assert covers("B,C;court_judgment,tax", "C", "tax") and not covers("B,C;court_judgment", "C", "tax")
    assert covers("B,C;court_judgment", "C")  # category unknown: any C scope counts
    assert not covers("B", "C", "tax") and not covers("B", "A") and covers("A,B", "A")
    assert not covers("id_number", "A") and not covers("document:identity", "B")


@pytest.mark.anyio
async def test_recipients_are_allowed_query_disclosures_covering_the_record(recorder: Recorder) -> None:
    rec = recorder
    old = await rec.record(event(0, subject="s1", requester_account="early", method="third_party"))
    since = old.recorded_at + timedelta(microseconds=1)  # entries before ``since`` are left out
    e = dict(subject="s1", requester_role="third_party", requester_org="甲信用服务公司")
    await rec.record(event(1, **e, requester_account="bank", method="third_party", scope="A,B,C;court_judgment"))
    await rec.record(event(2, **e, requester_account="bank", method="third_party", scope="A,B"))
    await rec.record(event(3, **e, requester_account="refused", outcome="refused:no_authorization", method="api"))
    a = dict(subject="s1", requester_role="agency", requester_org="市税务局", method="agency")
    await rec.record(event(4, **a, requester_account="tax", scope="B,C;tax"))
    await rec.record(event(5, **a, requester_account="market", scope="B"))
    await rec.record(event(6, subject="s1", requester_account="self", requester_role="citizen", requester_org="",
                           method="web_self", scope="A,B,C"))  # fmt: skip
    for method in ("staff_review", "owner_view", "auditor_view"):  # access views are not disclosures
        await rec.record(event(7, subject="s1", requester_account=f"v-{method}", method=method, scope="A,B,C"))
    await rec.record(event(8, subject="s2", requester_account="other-subject", method="agency", scope="A,B,C"))

    class_a = await rec.disclosure_recipients("s1", since, "A")
    assert _who(class_a) == [("bank", "third_party", "甲信用服务公司"), ("self", "citizen", "")]
    bank = class_a[0]
    assert bank["count"] == 2 and bank["methods"] == ["third_party"] and bank["first_at"] < bank["last_at"]
    assert bank["first_at"].tzinfo is not None and bank["first_at"] >= since

    class_b = await rec.disclosure_recipients("s1", since, "B")
    assert [w[0] for w in _who(class_b)] == ["bank", "market", "self", "tax"]

    assert [r["requester_account"] for r in await rec.disclosure_recipients("s1", since, "C", "tax")] == [
        "self",
        "tax",
    ]  # "bank" saw class C of court_judgment only; "market" saw no class C
    judgment = await rec.disclosure_recipients("s1", since, "C", "court_judgment")
    assert [(r["requester_account"], r["count"]) for r in judgment] == [("bank", 1), ("self", 1)]
    assert [r["requester_account"] for r in await rec.disclosure_recipients("s1", since, "C")] == [
        "bank",
        "self",
        "tax",
    ]

    everything = await rec.disclosure_recipients("s1", old.recorded_at, "A")  # ``since`` is inclusive
    assert [w[0] for w in _who(everything)] == ["bank", "early", "self"]
    assert await rec.disclosure_recipients("nobody", old.recorded_at, "A") == []


@pytest.mark.anyio
async def test_one_row_per_requester_across_methods_and_scopes_and_pages(recorder: Recorder) -> None:
    rec = recorder
    first = await _mark(rec, subject="s3", requester_account="k", method="counter", scope="A,B,C")
    for i, (method, scope) in enumerate([("third_party", "B,C;tax"), ("api", "A"), ("third_party", "B")]):
        await rec.record(event(i, subject="s3", requester_account="k", requester_role="third_party",
                               requester_org="乙公司", method=method, scope=scope))  # fmt: skip
    for n in range(5):
        await rec.record(event(n, subject="s3", requester_account=f"p{n}", requester_role="third_party",
                               requester_org="乙公司", method="third_party", scope="A,B"))  # fmt: skip
    since = first.recorded_at - timedelta(seconds=1)

    b = await rec.disclosure_recipients("s3", since, "B")
    assert [r["requester_account"] for r in b] == ["k", "k", "p0", "p1", "p2", "p3", "p4"]
    k, k_counter = b[0], b[1]  # one row per (account, role, org): the counter entry had another org
    assert (k["requester_org"], k["count"], k["methods"]) == ("乙公司", 2, ["third_party"])  # not the "A" one
    assert (k_counter["requester_org"], k_counter["count"], k_counter["methods"]) == (
        event(0).requester_org,
        1,
        ["counter"],
    )

    # Keyset pages of one grouped row give exactly what one page gives.
    paged = await rec.store.run(lambda conn: recipients_query(conn, "s3", since, "B", page=1))
    assert paged == b
    paged_c = await rec.store.run(lambda conn: recipients_query(conn, "s3", since, "C", "tax", page=2))
    assert paged_c == await rec.disclosure_recipients("s3", since, "C", "tax")
    assert [(r["requester_account"], r["requester_org"]) for r in paged_c] == [
        ("k", "乙公司"),
        ("k", event(0).requester_org),
    ]


@pytest.mark.anyio
async def test_since_must_be_aware(recorder: Recorder) -> None:
    with pytest.raises(ValueError):
        await recorder.disclosure_recipients("s1", datetime(2026, 1, 1), "A")
