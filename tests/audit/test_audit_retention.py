"""Retention (R-19: 5 years) with signed tombstones, and legal holds (R-28) that stop purging."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest

from audit.db import connect, sqlite_connect
from audit.events import prepare
from audit.partitions import ensure_partitions, list_partitions, partition_name
from audit.recorder import Recorder
from audit.retention import purge
from audit.store import pg_append, sqlite_append
from tests.audit.helpers import admin_sql, cli, event, lift_guard, seed


def _years_ahead(years: int, days: int) -> str:
    today = date.today()
    return (today.replace(year=today.year + years) + timedelta(days=days)).isoformat()


async def _remaining(settings) -> list[tuple[int, str, str]]:
    async with connect(settings, "admin") as conn:
        rows = await conn.fetch("SELECT seq, subject_ref, case_ref FROM entries ORDER BY seq")
        return [(int(s), r, c) for s, r, c in rows]


@pytest.mark.anyio
async def test_purge_after_five_years_leaves_tombstone_and_held_entries(recorder: Recorder, audit_settings) -> None:
    await seed(recorder, 30, subjects=3)  # subj-0, subj-1, subj-2
    await recorder.record(event(30, subject="subj-9", case_ref="(2026)豫0105刑初1号"))
    assert cli(audit_settings, "checkpoint").returncode == 0
    held = cli(audit_settings, "hold", "add", "--subject-ref", "subj-1", "--reason", "诉讼保全")
    case = cli(audit_settings, "hold", "add", "--case", "(2026)豫0105刑初1号", "--reason", "案件调查")
    assert held.returncode == 0 and case.returncode == 0, held.stderr + case.stderr
    listed = [json.loads(line) for line in cli(audit_settings, "hold", "list").stdout.splitlines()]
    assert [(h["kind"], h["value"]) for h in listed] == [("subject", "subj-1"), ("case", "(2026)豫0105刑初1号")]

    early = cli(audit_settings, "purge", "--now", _years_ahead(5, -1))  # not yet 5 years old
    assert early.returncode == 0 and json.loads(early.stdout)["purged"] == 0, early.stdout + early.stderr
    assert len(await _remaining(audit_settings)) == 31

    result = cli(audit_settings, "purge", "--now", _years_ahead(5, 1))
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["purged"] == 20 and report["kept"] == 11 and report["tombstones"] == [1]
    remaining = await _remaining(audit_settings)
    assert {r for _, r, _ in remaining} == {"subj-1", "subj-9"} and len(remaining) == 11
    assert (audit_settings.export_dir / "tombstones" / "000000000001.json").exists()
    verified = cli(audit_settings, "verify", "--full")
    assert verified.returncode == 0 and "1 tombstones" in verified.stdout, verified.stdout

    # The count stays cumulative although old entries are gone; new appends chain on.
    assert (await recorder.subject_count("subj-0")).allowed == 10
    receipt = await recorder.record(event(31, subject="subj-0"))
    assert (receipt.seq, receipt.subject_query_count) == (32, 11)
    assert cli(audit_settings, "verify").returncode == 0

    # Releasing the subject hold lets the next purge take those entries (recorded as released).
    assert cli(audit_settings, "hold", "release", "1", "--reason", "诉讼终结").returncode == 0
    again = json.loads(cli(audit_settings, "purge", "--now", _years_ahead(5, 1)).stdout)
    assert again["released"] == 10 and again["kept"] == 0 and again["purged"] == 11  # + the new, also "old" entry
    assert [r for _, r, _ in await _remaining(audit_settings)] == ["subj-9"]
    assert cli(audit_settings, "verify", "--full").returncode == 0

    # Deleting a held entry is refused by the guard although a tombstone covers it ...
    with pytest.raises(Exception, match="append-only"):
        await admin_sql(audit_settings, "DELETE FROM entries WHERE subject_ref = 'subj-9'")
    # ... and, with the guard removed, detected.
    await lift_guard(audit_settings)
    async with connect(audit_settings, "admin") as conn:
        await conn.execute("DELETE FROM entries WHERE subject_ref = 'subj-9'")
    broken = cli(audit_settings, "verify", "--full")
    assert broken.returncode == 1 and "legal hold is missing" in broken.stdout


async def _append_at(settings, moment: datetime, events) -> None:
    """Load entries as if recorded at ``moment`` (history older than this test run)."""
    items = [prepare(e) for e in events]
    if settings.is_postgres:
        from audit.db import pg_connect

        async with connect(settings, "admin") as conn:
            await ensure_partitions(conn, moment, end=moment)
        raw = await pg_connect(settings, "writer", "test")
        try:
            await pg_append(raw, items, now=moment)
        finally:
            await raw.close()
    else:
        conn = sqlite_connect(settings)
        try:
            sqlite_append(conn, items, now=moment)
        finally:
            conn.close()


@pytest.mark.anyio
async def test_purge_of_old_months_drops_partitions_and_keeps_holds(recorder: Recorder, audit_settings) -> None:
    now = datetime.now(timezone.utc)
    old_a = now.replace(year=now.year - 6, day=10)
    old_b = (old_a + timedelta(days=35)).replace(day=10)
    await _append_at(audit_settings, old_a, [event(i, subject=f"a-{i % 2}") for i in range(10)])
    await _append_at(audit_settings, old_b, [event(i, subject=f"b-{i % 5}") for i in range(10)])
    await seed(recorder, 5)
    async with connect(audit_settings, "admin") as conn:
        await conn.execute(
            "INSERT INTO holds (kind, value, reason, created_at, created_by) VALUES ('subject', 'b-3', 'x', '', 't')"
        )
        report = await purge(conn, audit_settings, max_entries=7)
    assert report.purged == 18 and report.kept == 2
    if audit_settings.is_postgres:
        assert partition_name(old_a.replace(day=1)) in report.dropped_partitions  # dropped whole
        async with connect(audit_settings, "admin") as conn:
            names = [p.name for p in await list_partitions(conn)]
        assert partition_name(old_b.replace(day=1)) in names  # still holds the held rows
    else:
        assert len(report.tombstones) >= 3  # chunks of at most 7 entries, each its own transaction
    assert [r for _, r, _ in await _remaining(audit_settings)] == ["b-3", "b-3"] + [f"subj-{i % 3}" for i in range(5)]
    assert cli(audit_settings, "verify", "--full").returncode == 0

    async with connect(audit_settings, "admin") as conn:
        await conn.execute("UPDATE holds SET released_at = 'now' WHERE value = 'b-3'")
        second = await purge(conn, audit_settings)
        assert second.released == 2
        if audit_settings.is_postgres:
            assert partition_name(old_b.replace(day=1)) in second.dropped_partitions
    assert len(await _remaining(audit_settings)) == 5
    assert cli(audit_settings, "verify", "--full").returncode == 0
