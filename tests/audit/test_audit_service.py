"""Read functions for the auditor UI (keyset browsing, entry detail, summaries) and the standalone app."""

from __future__ import annotations

from datetime import timedelta

import pytest
from litestar.testing import AsyncTestClient

from audit import service
from audit.app import create_app
from audit.db import connect
from audit.recorder import Recorder
from audit.service import BrowseFilters
from audit.store import Store
from tests.audit.helpers import cli, event, lift_guard, make_settings


@pytest.fixture
def reader(audit_settings):
    store = Store(audit_settings, role="reader")
    yield store
    store.close()


async def _seed(recorder: Recorder) -> list:
    receipts = []
    for i in range(120):
        outcome = "refused:no_authorization" if i % 10 == 0 else "allowed"
        receipts.append(await recorder.record(event(i, subject=f"subj-{i % 4}", outcome=outcome, request_id=f"r{i}")))
    return receipts


async def _all_pages(reader: Store, filters: BrowseFilters, limit: int) -> list[dict]:
    items, key = [], None
    while True:
        page = await service.browse(filters, key, limit, store=reader)
        items += page.items
        if page.next_key is None:
            return items
        key = page.next_key


@pytest.mark.anyio
async def test_browse_pages_newest_first_through_every_filter(recorder: Recorder, reader: Store) -> None:
    receipts = await _seed(recorder)
    everything = await _all_pages(reader, BrowseFilters(), 25)
    assert [e["seq"] for e in everything] == list(range(120, 0, -1))

    subject = await _all_pages(reader, BrowseFilters(subject_ref="subj-1"), 7)
    assert [e["seq"] for e in subject] == [s for s in range(120, 0, -1) if (s - 1) % 4 == 1]
    refused = await _all_pages(reader, BrowseFilters(outcome="refused"), 5)
    assert len(refused) == 12 and all(e["outcome"] == "refused:no_authorization" for e in refused)
    combined = await _all_pages(
        reader, BrowseFilters(method="agency", reason_code="loan", requester_org="郑州信用服务有限公司1"), 3
    )
    expected = [i + 1 for i in range(120) if i % 5 == 1 and i % 3 == 1]
    assert sorted(e["seq"] for e in combined) == expected
    account = await _all_pages(reader, BrowseFilters(requester_account="102"), 50)
    assert len(account) == 24

    middle = receipts[60].recorded_at
    window = await _all_pages(reader, BrowseFilters(time_from=middle, time_to=middle + timedelta(microseconds=1)), 10)
    assert window and all(e["created_at"] == middle for e in window)
    assert await service.browse(BrowseFilters(subject_ref="nobody"), store=reader) == service.Page([], None)


@pytest.mark.anyio
async def test_entry_detail_summary_and_integrity(recorder: Recorder, reader: Store, audit_settings) -> None:
    await _seed(recorder)
    assert cli(audit_settings, "checkpoint").returncode == 0
    assert cli(audit_settings, "verify").returncode == 0
    detail = await service.entry(57, store=reader)
    assert detail["request_id"] == "r56"
    assert detail["verification"]["hash_ok"] and detail["verification"]["link_ok"]
    assert detail["verification"]["checkpoint"]["seq"] == 120 and detail["verification"]["covered_by_last_good_run"]
    assert await service.entry(999, store=reader) is None

    summary = await service.subject_summary("subj-0", store=reader)
    assert (summary["allowed_count"], summary["refused_count"], summary["entries_kept"]) == (24, 6, 30)
    assert sum(n for _, n in summary["by_method"]) == 30 and summary["first_at"] <= summary["last_at"]

    status = await service.integrity_status(store=reader)
    assert status["head"]["seq"] == 120 and status["last_checkpoint"]["seq"] == 120
    assert status["result"] == "ok" and status["entries_since_checkpoint"] == 0 and status["active_holds"] == 0


@pytest.mark.anyio
async def test_filtered_browse_walks_an_index_not_a_sort(recorder: Recorder, audit_settings) -> None:
    await _seed(recorder)
    async with connect(audit_settings, "reader") as conn:
        where = "subject_ref = $1 AND (created_at, seq) < ($2, $3)"
        sql = f"SELECT seq FROM entries WHERE {where} ORDER BY created_at DESC, seq DESC LIMIT 20"
        if conn.engine == "postgres":
            await conn.execute("SET enable_seqscan = off")
            plan = "\n".join(
                r[0] for r in await conn.fetch(f"EXPLAIN {sql}", "subj-1", conn.time(service.utcnow()), 10**9)
            )
            assert "ix_entries_subject" in plan or "subject_ref_created_at" in plan, plan
            assert "->  Sort " not in plan and not plan.startswith("Sort"), plan
        else:
            sql = sql.replace("$1", "?1").replace("$2", "?2").replace("$3", "?3")
            plan = " ".join(str(r[-1]) for r in await conn.fetch(f"EXPLAIN QUERY PLAN {sql}", "subj-1", "9", 10**9))
            assert "ix_entries_subject" in plan and "TEMP B-TREE" not in plan, plan


@pytest.mark.anyio
async def test_app_reports_health_and_integrity(recorder: Recorder, audit_settings, tmp_path) -> None:
    await recorder.record(event())
    async with AsyncTestClient(app=create_app(audit_settings, maintenance=False)) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        body = (await client.get("/integrity")).json()
        assert body["head"]["seq"] == 1 and body["last_checkpoint"] is None
    blocker = tmp_path / "file"
    blocker.write_text("x")
    broken = make_settings(tmp_path, AUDIT_DATA_DIR=str(blocker / "d")).with_(
        database_url=None, admin_database_url=None, reader_database_url=None
    )
    async with AsyncTestClient(app=create_app(broken, maintenance=False)) as client:
        assert (await client.get("/healthz")).status_code == 503


@pytest.mark.anyio
async def test_verify_entry_checks_hash_link_signed_checkpoint_and_chain(
    recorder: Recorder, reader: Store, audit_settings
) -> None:
    await _seed(recorder)
    unsealed = await service.verify_entry(5, store=reader)
    assert unsealed["check"]["status"] == "unsealed" and unsealed["check"]["checkpoint"] is None
    assert cli(audit_settings, "checkpoint").returncode == 0
    assert cli(audit_settings, "verify", "--full").returncode == 0
    good = (await service.verify_entry(5, store=reader))["check"]
    assert good["status"] == "verified" and good["hash_ok"] and good["link_ok"] and good["chain_ok"]
    assert good["checkpoint"]["signature_ok"] and good["checkpoint"]["seq"] == 120 and good["chain_walked"] == 116
    assert good["last_full"]["ok"] and good["last_full"]["to_seq"] == 120
    assert (await service.verify_entry(1, store=reader))["check"]["link_basis"] == "genesis"
    assert await service.verify_entry(999, store=reader) is None

    report = await service.integrity_report(store=reader)
    assert report["checkpoint_check"]["signature_ok"] and report["last_full"]["ok"] and report["keys_found"]

    # Without the trusted public key the signature cannot be checked: never "verified".
    hidden = audit_settings.export_dir / "keys"
    hidden.rename(hidden.with_name("keys-away"))
    try:
        assert (await service.verify_entry(5, store=reader))["check"]["status"] == "partial"
    finally:
        hidden.with_name("keys-away").rename(hidden)

    # The database copy of the checkpoint no longer matches the exported one: the export wins, and it is flagged.
    async with connect(audit_settings, "admin") as conn:
        original = await conn.fetchval("SELECT created_at FROM checkpoints WHERE id = 1")
        await conn.execute("UPDATE checkpoints SET created_at = '2000-01-01T00:00:00.000000Z' WHERE id = 1")
    differs = (await service.verify_entry(5, store=reader))["check"]
    assert differs["status"] == "failed" and differs["checkpoint"]["export"] == "differs"
    async with connect(audit_settings, "admin") as conn:
        await conn.execute("UPDATE checkpoints SET created_at = $1 WHERE id = 1", original)
    assert (await service.verify_entry(5, store=reader))["check"]["checkpoint"]["export"] == "same"

    # An attacker with database access edits entry 60: it and every earlier entry up to the checkpoint fail.
    await lift_guard(audit_settings)  # the guard refuses UPDATE: the attacker removes it first
    async with connect(audit_settings, "admin") as conn:
        await conn.execute("UPDATE entries SET reason_text = '已篡改' WHERE seq = 60")
    edited = (await service.verify_entry(60, store=reader))["check"]
    assert edited["status"] == "failed" and not edited["hash_ok"]
    earlier = (await service.verify_entry(30, store=reader))["check"]
    assert earlier["status"] == "failed" and earlier["hash_ok"] and earlier["chain_ok"] is False
    assert any("seq 60" in p for p in earlier["chain_problems"])
    assert (await service.verify_entry(61, store=reader))["check"]["status"] == "verified"  # links to stored hash


@pytest.mark.anyio
async def test_standalone_app_serves_no_auditor_ui(audit_settings) -> None:
    async with AsyncTestClient(app=create_app(audit_settings, maintenance=False)) as client:
        assert "/audit/log" in (await client.get("/")).json()["auditor_ui"]
        for path in ("/audit/log", "/audit/log/1", "/audit/export.csv", "/audit/subjects"):
            assert (await client.get(path)).status_code == 404
