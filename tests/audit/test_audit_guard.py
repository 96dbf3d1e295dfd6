"""The guard on entries and what the default (incremental) ``verify`` sees (SPEC §5; R-19, R-28).

The store refuses UPDATE and DELETE of entries except the retention purge's (a signed tombstone
covers the row), on both engines and even for the owner role. An incremental ``verify`` notices a
deletion anywhere — also below the last checkpoint — when the guard was removed for it, whether or
not it was put back; the checkpoint's entry gone is seen without walking the log.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from audit.guard import same_epoch
from audit.recorder import Recorder
from audit.settings import AuditSettings
from tests.audit.helpers import admin_sql, cli, event, lift_guard, restore_guard, seed


def _first_bad(output: str) -> int:
    match = re.search(r"first bad entry: seq (\d+)", output)
    assert match, output
    return int(match.group(1))


async def _verified_chain(rec: Recorder, settings: AuditSettings) -> None:
    """Entries 1–40, checkpoint #1, 41–60, checkpoint #2, a good full run, then 61–75 unsealed."""
    await seed(rec, 40)
    assert cli(settings, "checkpoint").returncode == 0
    await seed(rec, 20, start=40)
    assert cli(settings, "checkpoint").returncode == 0
    first = cli(settings, "verify")
    assert first.returncode == 0 and "(full" in first.stdout, first.stdout + first.stderr
    await seed(rec, 15, start=60)
    second = cli(settings, "verify")  # nothing touched: stays incremental, walks only 61–75
    assert second.returncode == 0 and "15 entries (incremental, seq 61–75)" in second.stdout, second.stdout


def _incremental_fails(settings: AuditSettings) -> str:
    result = cli(settings, "verify")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "AUDIT LOG VERIFICATION FAILED" in result.stdout
    return result.stdout


@pytest.mark.anyio
async def test_raw_update_delete_and_truncate_are_refused_even_for_the_owner(recorder: Recorder, audit_settings):
    await seed(recorder, 10)
    statements = ["DELETE FROM entries WHERE seq = 3", "DELETE FROM entries", "UPDATE entries SET scope = 'A'"]
    if audit_settings.is_postgres:
        part = (await admin_sql(audit_settings, "SELECT tableoid::regclass::text FROM entries WHERE seq = 3"))[0][0][0]
        statements += [f"DELETE FROM {part} WHERE seq = 3", "TRUNCATE entries", f"TRUNCATE {part}"]
    for sql in statements:
        with pytest.raises(Exception, match="append-only"):
            await admin_sql(audit_settings, sql)
    count = (await admin_sql(audit_settings, "SELECT count(*) FROM entries"))[0][0][0]
    assert count == 10
    assert cli(audit_settings, "verify", "--full").returncode == 0


@pytest.mark.anyio
async def test_incremental_verify_sees_a_deletion_below_the_last_checkpoint(recorder: Recorder, audit_settings):
    # Observation: the default (incremental) verify missed an entry deleted below the last checkpoint.
    await _verified_chain(recorder, audit_settings)
    await lift_guard(audit_settings)
    await admin_sql(audit_settings, "DELETE FROM entries WHERE seq = 23")
    output = _incremental_fails(audit_settings)
    assert _first_bad(output) == 23 and "missing (deleted)" in output
    assert "guard" in output and "full walk" in output


@pytest.mark.anyio
async def test_incremental_verify_sees_a_deletion_when_the_guard_was_put_back(recorder: Recorder, audit_settings):
    await _verified_chain(recorder, audit_settings)
    await lift_guard(audit_settings)
    await admin_sql(audit_settings, "DELETE FROM entries WHERE seq = 12")
    await restore_guard(audit_settings)  # identical definition: only its fingerprint changed
    output = _incremental_fails(audit_settings)
    assert _first_bad(output) == 12 and "missing (deleted)" in output and "full walk" in output
    # ... and no checkpoint seals the damage: it walks the whole chain since the guard changed.
    await seed(recorder, 3, start=75)
    refused = cli(audit_settings, "checkpoint")
    assert refused.returncode == 1 and "checkpoint refused" in refused.stdout, refused.stdout + refused.stderr


@pytest.mark.anyio
async def test_incremental_verify_sees_a_checkpoint_entry_gone_with_the_fingerprint_forged(
    recorder: Recorder, audit_settings
):
    if audit_settings.is_postgres:
        pytest.skip("the owner role cannot forge the catalogue's oids and xmins (a superuser could: README)")
    await _verified_chain(recorder, audit_settings)
    # An attacker with the file lifts the guard, deletes, puts it back and rewinds the schema cookie.
    cookie = (await admin_sql(audit_settings, "PRAGMA schema_version"))[0][0][0]
    await lift_guard(audit_settings)
    await admin_sql(audit_settings, "DELETE FROM entries WHERE seq = 40")  # checkpoint #1's entry
    await restore_guard(audit_settings)
    await admin_sql(audit_settings, f"PRAGMA schema_version = {cookie}")
    output = _incremental_fails(audit_settings)
    assert _first_bad(output) == 40 and "checkpoint #1" in output and "incremental" in output


def test_guard_epoch_allows_new_and_purged_partitions_only() -> None:
    cutoff = datetime(2021, 3, 1, tzinfo=timezone.utc)
    signed = {
        "engine": "postgres",
        "function": "10:500",
        "relations": {
            "entries": "1|{}",
            "entries_default": "2|{}",
            "entries_p202101": "3|{}",
            "entries_p202603": "4|{}",
        },
    }
    new_month = {**signed, "relations": {**signed["relations"], "entries_p202604": "5|{}"}}
    assert same_epoch(signed, new_month, cutoff)
    purged = {**signed, "relations": {k: v for k, v in signed["relations"].items() if k != "entries_p202101"}}
    assert same_epoch(signed, purged, cutoff) and not same_epoch(signed, purged, None)
    live_dropped = {**signed, "relations": {k: v for k, v in signed["relations"].items() if k != "entries_p202603"}}
    assert not same_epoch(signed, live_dropped, cutoff)
    re_enabled = {**signed, "relations": {**signed["relations"], "entries_p202603": '4|{"entries_guard": "9:77:O"}'}}
    assert not same_epoch(signed, re_enabled, cutoff)
    assert not same_epoch(signed, {**signed, "function": "10:501"}, cutoff)
    assert not same_epoch(None, signed, cutoff)  # a checkpoint from before the guard: walk everything
    assert same_epoch({"engine": "sqlite", "schema_version": 7}, {"engine": "sqlite", "schema_version": 7}, None)
    assert not same_epoch({"engine": "sqlite", "schema_version": 7}, {"engine": "sqlite", "schema_version": 9}, None)


@pytest.mark.anyio
async def test_access_entries_are_recorded_but_never_counted(recorder: Recorder, audit_settings):
    # R-19 counts queries only: a staff review, an owner view or an auditor view raises no count.
    first = await recorder.record(event(0, subject="subj-x", method="web_self"))
    assert first.subject_query_count == 1
    for i, method in enumerate(("staff_review", "owner_view", "auditor_view"), start=1):
        receipt = await recorder.record(event(i, subject="subj-x", method=method, requester_role="staff"))
        assert receipt.subject_query_count == 1, method
    refused_view = await recorder.record(event(4, subject="subj-x", method="staff_review", outcome="refused:x"))
    assert refused_view.subject_query_count == 1
    counts = await recorder.subject_count("subj-x")
    assert (counts.allowed, counts.refused) == (1, 0)
    assert (await recorder.record(event(5, subject="subj-x", method="counter"))).subject_query_count == 2
    history = await recorder.subject_history("subj-x")
    assert [h["method"] for h in history][1:5] == ["staff_review", "auditor_view", "owner_view", "staff_review"]
    assert cli(audit_settings, "verify", "--full").returncode == 0  # the chain format is unchanged


@pytest.mark.anyio
async def test_a_verification_beside_the_first_checkpoint_reads_the_new_key(recorder: Recorder, audit_settings):
    """The first checkpoint makes the first signing key. A verification that loaded the trusted keys
    just before (the scheduler starts both at once) read that checkpoint as signed by an unknown key
    and reported the log as failed; it now reads the trusted keys once more."""
    from audit.db import connect
    from audit.keys import load_public_keys
    from audit.verify import Verifier

    await seed(recorder, 3)
    keys_dir = audit_settings.export_dir / "keys"
    loaded_before = load_public_keys([keys_dir] if keys_dir.exists() else [])
    assert loaded_before == {}  # no checkpoint yet, so no key yet
    assert cli(audit_settings, "checkpoint").returncode == 0

    def load_keys() -> dict:
        return load_public_keys([keys_dir])

    async with connect(audit_settings, "reader") as conn:
        stale = await Verifier(conn, loaded_before, audit_settings.export_dir).run(full=True, last_good_to_seq=None)
        assert any("unknown key" in p.en for p in stale.problems)  # what the race looked like
        fresh = Verifier(conn, loaded_before, audit_settings.export_dir, reload_keys=load_keys)
        result = await fresh.run(full=True, last_good_to_seq=None)
    assert result.problems == [] and result.checkpoints_checked == 1
