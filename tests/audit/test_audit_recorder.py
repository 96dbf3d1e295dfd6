"""The recorder: durable receipts, cumulative counts under concurrency (R-19), fail-closed (item 6)."""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from pathlib import Path

import pytest

from audit.db import connect
from audit.recorder import AuditUnavailable, Recorder
from audit.settings import AuditSettings
from tests.audit.helpers import admin_sql, event, make_settings, on_postgres, run_async


async def _entries(settings: AuditSettings) -> list:
    async with connect(settings, "admin") as conn:
        return await conn.fetch(
            "SELECT seq, subject_ref, outcome, subject_query_count, request_id FROM entries ORDER BY seq"
        )


@pytest.mark.anyio
async def test_concurrent_appends_get_increasing_seqs_and_exact_counts(recorder: Recorder, audit_settings) -> None:
    def outcome(i: int) -> str:
        return "refused:no_authorization" if i % 5 == 0 else "allowed"

    events = [event(i, subject=f"subj-{i % 7}", outcome=outcome(i), request_id=f"r{i}") for i in range(400)]
    receipts = await asyncio.gather(*(recorder.record(e) for e in events))

    seqs = [r.seq for r in receipts]
    assert sorted(seqs) == list(range(1, 401))  # every append has its own place in one chain
    by_subject: dict[str, list] = defaultdict(list)
    for e, r in zip(events, receipts):
        by_subject[e.subject_ref].append((r.seq, e.outcome, r.subject_query_count))
    for subject, rows in by_subject.items():
        allowed = 0
        for _, out, count in sorted(rows):
            allowed += out == "allowed"
            assert count == allowed, subject  # cumulative, this one included; refusals don't count
        total = await recorder.subject_count(subject)
        assert (total.allowed, total.refused) == (allowed, sum(out != "allowed" for _, out, _ in rows))
    times = [r.recorded_at for r in sorted(receipts, key=lambda r: r.seq)]
    assert times == sorted(times) and all(t.tzinfo is not None for t in times)

    stored = await _entries(audit_settings)
    assert [(int(s), rid) for s, _, _, _, rid in stored] == sorted(
        (r.seq, e.request_id) for e, r in zip(events, receipts)
    )


def test_recorder_survives_event_loop_changes_and_threads(recorder: Recorder) -> None:
    # Apps in tests run on a new loop each time; portal code may call from a worker thread.
    first = asyncio.run(recorder.record(event(1)))
    second = asyncio.run(recorder.record(event(2)))
    third = run_async(lambda: recorder.record(event(3)))
    results = []
    threads = [threading.Thread(target=lambda i=i: results.append(recorder.record_sync(event(i)))) for i in range(4, 8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [first.seq, second.seq, third.seq] == [1, 2, 3]
    assert sorted(r.seq for r in results) == [4, 5, 6, 7]
    assert max(r.subject_query_count for r in results) == 7


@pytest.mark.anyio
async def test_subject_history_is_the_subjects_own_newest_first_and_pages(recorder: Recorder) -> None:
    for i in range(25):
        await recorder.record(event(i, subject="mine" if i % 2 == 0 else "other", request_id=f"r{i}"))
    first = await recorder.subject_history("mine", limit=10)
    assert len(first) == 10
    assert [r["subject_query_count"] for r in first] == list(range(13, 3, -1))
    rest = await recorder.subject_history("mine", after_seq=first[-1]["seq"], limit=10)
    assert [r["subject_query_count"] for r in rest] == [3, 2, 1]
    assert all(
        set(r) >= {"created_at", "requester_org", "method", "reason_code", "reason_text", "outcome"} for r in first
    )
    assert all("requester_account" not in r and "subject_ref" not in r for r in first + rest)
    assert await recorder.subject_history("nobody") == []


@pytest.mark.anyio
async def test_store_in_a_missing_directory_is_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    settings = make_settings(tmp_path, AUDIT_DATA_DIR=str(blocker / "audit"), AUDIT_TIMEOUT_SECONDS="2")
    settings = settings.with_(database_url=None, admin_database_url=None, reader_database_url=None)
    rec = Recorder(settings)
    try:
        with pytest.raises(AuditUnavailable):
            await rec.record(event())
        with pytest.raises(AuditUnavailable):
            await rec.subject_history("subj-a")
    finally:
        rec.close()


@pytest.mark.anyio
@pytest.mark.skipif(not on_postgres(), reason="PostgreSQL run only")
async def test_postgres_on_a_wrong_port_is_unavailable(audit_settings: AuditSettings) -> None:
    dead = "postgresql://audit_writer@127.0.0.1:1/audit_test"
    rec = Recorder(audit_settings.with_(database_url=dead, timeout=3.0))
    try:
        with pytest.raises(AuditUnavailable):
            await rec.record(event())
    finally:
        rec.close()


@pytest.mark.anyio
@pytest.mark.skipif(on_postgres(), reason="SQLite run only")
async def test_sqlite_store_migrates_itself_on_first_append(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "fresh")
    rec = Recorder(settings)
    try:
        assert (await rec.record(event())).seq == 1
    finally:
        rec.close()
    assert settings.sqlite_path.exists()


@pytest.mark.anyio
async def test_a_failing_batch_writes_nothing(recorder: Recorder, audit_settings: AuditSettings) -> None:
    await recorder.record(event(0))
    # Sabotage the head update, the last statement of the transaction: entries and counts were
    # already inserted in it and must be rolled back with it.
    if audit_settings.is_postgres:
        await admin_sql(
            audit_settings,
            "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION 'boom'; END$$",
            "CREATE TRIGGER boom BEFORE UPDATE ON chain_head FOR EACH ROW EXECUTE FUNCTION boom()",
        )
    else:
        await admin_sql(
            audit_settings, "CREATE TRIGGER boom BEFORE UPDATE ON chain_head BEGIN SELECT RAISE(ABORT, 'boom'); END"
        )
    results = await asyncio.gather(
        *(recorder.record(event(i, subject="new")) for i in range(1, 30)), return_exceptions=True
    )
    assert all(isinstance(r, AuditUnavailable) for r in results)
    assert len(await _entries(audit_settings)) == 1
    assert (await recorder.subject_count("new")).allowed == 0
    await admin_sql(audit_settings, "DROP TRIGGER boom" + (" ON chain_head" if audit_settings.is_postgres else ""))
    receipt = await recorder.record(event(99, subject="new"))  # recovers: same chain, no gap
    assert (receipt.seq, receipt.subject_query_count) == (2, 1)


@pytest.mark.anyio
async def test_a_store_locked_past_the_timeout_fails_closed(audit_settings: AuditSettings) -> None:
    rec = Recorder(audit_settings.with_(timeout=1.0))
    try:
        await rec.record(event(0))
        async with connect(audit_settings, "admin") as blocker:
            async with blocker.transaction():  # another process holds the chain lock for too long
                if blocker.engine == "postgres":
                    await blocker.execute("SELECT * FROM chain_head WHERE id = 1 FOR UPDATE")
                else:
                    await blocker.execute("UPDATE chain_head SET last_seq = last_seq WHERE id = 1")
                with pytest.raises(AuditUnavailable):
                    await rec.record(event(1))
        await asyncio.sleep(1.2)  # let the writer give up on the blocked batch
        receipt = await rec.record(event(2))
        assert receipt.seq == 2  # the refused append left no entry and no gap
    finally:
        rec.close()
