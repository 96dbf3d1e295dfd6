"""Tamper drills (SPEC §5; issue 3 item 8): each detected by ``python -m audit verify`` as a subprocess.

The attacker here has full write access to the audit database (the owner role, or the SQLite file)
but not the private key and not the export directory.
"""

from __future__ import annotations

import re

import pytest

from audit.chain import joined_hash
from audit.db import connect
from audit.recorder import Recorder
from audit.settings import AuditSettings
from audit.verify import canonical_select
from tests.audit.helpers import admin_sql, cli, lift_guard, seed


def _first_bad(output: str) -> int:
    match = re.search(r"first bad entry: seq (\d+)", output)
    assert match, output
    return int(match.group(1))


async def _chain_with_checkpoints(rec: Recorder, settings: AuditSettings) -> None:
    """Entries 1–40, checkpoint #1 at 40, entries 41–60, checkpoint #2 at 60 (both exported)."""
    await seed(rec, 40)
    assert cli(settings, "checkpoint").returncode == 0
    await seed(rec, 20, start=40)
    result = cli(settings, "checkpoint")
    assert result.returncode == 0 and "#2 at seq 60" in result.stdout, result.stdout + result.stderr


async def _unlock(settings: AuditSettings) -> None:
    await lift_guard(settings)  # the guard refuses UPDATE and DELETE: an attacker removes it first


def _verify_fails(settings: AuditSettings, *args: str) -> str:
    result = cli(settings, "verify", *args)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "AUDIT LOG VERIFICATION FAILED" in result.stdout and "审计日志校验失败" in result.stdout
    return result.stdout


@pytest.mark.anyio
async def test_intact_log_verifies_then_runs_incrementally(recorder: Recorder, audit_settings) -> None:
    await _chain_with_checkpoints(recorder, audit_settings)
    first = cli(audit_settings, "verify")
    assert first.returncode == 0 and "audit log intact: 60 entries (full" in first.stdout, first.stdout + first.stderr
    await seed(recorder, 15, start=60)
    second = cli(audit_settings, "verify")
    # from the last good checkpoint (#2 at 60): only the new entries are walked
    assert second.returncode == 0 and "15 entries (incremental, seq 61–75)" in second.stdout, second.stdout
    assert cli(audit_settings, "verify", "--full").returncode == 0


@pytest.mark.anyio
async def test_edited_entry_is_named(recorder: Recorder, audit_settings) -> None:
    await _chain_with_checkpoints(recorder, audit_settings)
    await _unlock(audit_settings)
    await admin_sql(audit_settings, "UPDATE entries SET requester_org = '伪造的机构' WHERE seq = 17")
    output = _verify_fails(audit_settings)
    assert _first_bad(output) == 17 and "edited" in output


@pytest.mark.anyio
async def test_deleted_entry_is_named(recorder: Recorder, audit_settings) -> None:
    await _chain_with_checkpoints(recorder, audit_settings)
    await _unlock(audit_settings)
    await admin_sql(audit_settings, "DELETE FROM entries WHERE seq = 23")
    output = _verify_fails(audit_settings)
    assert _first_bad(output) == 23 and "missing (deleted)" in output


@pytest.mark.anyio
async def test_swapped_entries_are_detected(recorder: Recorder, audit_settings) -> None:
    await _chain_with_checkpoints(recorder, audit_settings)
    await _unlock(audit_settings)
    cols = (
        "requester_account requester_org method reason_code authority_ref request_id subject_ref prev_hash entry_hash"
    )
    sets_a = ", ".join(f"{c} = (SELECT {c} FROM entries WHERE seq = 31)" for c in cols.split())
    sets_b = ", ".join(f"{c} = (SELECT {c} FROM swap)" for c in cols.split())
    await admin_sql(
        audit_settings,
        f"CREATE TABLE swap AS SELECT {', '.join(cols.split())} FROM entries WHERE seq = 30",
        f"UPDATE entries SET {sets_a} WHERE seq = 30",
        f"UPDATE entries SET {sets_b} WHERE seq = 31",
        "DROP TABLE swap",
    )
    output = _verify_fails(audit_settings)
    assert _first_bad(output) == 30


@pytest.mark.anyio
async def test_truncated_tail_is_detected_with_an_exported_checkpoint(recorder: Recorder, audit_settings) -> None:
    await _chain_with_checkpoints(recorder, audit_settings)
    await _unlock(audit_settings)
    # A careful attacker: drops entries 51–60, the database checkpoint past them, and rewinds the head.
    await admin_sql(
        audit_settings,
        "DELETE FROM entries WHERE seq > 50",
        "DELETE FROM checkpoints WHERE seq > 50",
        "UPDATE chain_head SET last_seq = 50, last_hash = (SELECT entry_hash FROM entries WHERE seq = 50)",
    )
    output = _verify_fails(audit_settings, "--checkpoints", str(audit_settings.export_dir))
    assert _first_bad(output) == 51
    assert "truncated" in output and "checkpoint #2 was deleted from the database" in output


@pytest.mark.anyio
async def test_recomputed_hashes_without_the_key_do_not_match_signed_checkpoints(
    recorder: Recorder, audit_settings
) -> None:
    await _chain_with_checkpoints(recorder, audit_settings)
    await _unlock(audit_settings)
    async with connect(audit_settings, "admin") as conn:
        await conn.execute("UPDATE entries SET reason_text = '已篡改' WHERE seq = 45")
        rows = await conn.fetch(f"SELECT {canonical_select(conn)} FROM entries WHERE seq >= 44 ORDER BY seq")
        prev = rows[0][3]
        for row in rows[1:]:  # the whole chain after the edit, re-linked and re-hashed
            digest = joined_hash(prev, row[1])
            await conn.execute(
                "UPDATE entries SET prev_hash = $1, entry_hash = $2 WHERE seq = $3", prev, digest, int(row[0])
            )
            prev = digest
        await conn.execute("UPDATE chain_head SET last_hash = $1", prev)
        # ... and makes the stored checkpoint agree (it cannot re-sign it)
        await conn.execute("UPDATE checkpoints SET entry_hash = $1 WHERE id = 2", prev)
    output = _verify_fails(audit_settings, "--full")
    assert "checkpoint #2" in output and "41–60" in output  # the altered range, which holds seq 45
    assert _first_bad(output) == 41
    # The database copy alone (no export dir) still fails: its seal no longer matches.
    empty = audit_settings.data_dir / "no-exports"
    (empty / "keys").mkdir(parents=True)
    for key in (audit_settings.export_dir / "keys").iterdir():
        (empty / "keys" / key.name).write_bytes(key.read_bytes())
    output = _verify_fails(audit_settings, "--full", "--checkpoints", str(empty))
    assert "checkpoint #2 is not validly signed" in output


@pytest.mark.anyio
async def test_verify_refuses_checkpoints_signed_by_an_unknown_key(
    recorder: Recorder, audit_settings, tmp_path
) -> None:
    await _chain_with_checkpoints(recorder, audit_settings)
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    result = cli(audit_settings.with_(export_dir=stranger, key_dir=tmp_path / "stranger-key"), "keygen")
    assert result.returncode == 0
    output = _verify_fails(audit_settings, "--full", "--checkpoints", str(stranger))
    assert "unknown key" in output


def test_verify_cannot_run_without_a_store(audit_settings, tmp_path) -> None:
    if audit_settings.is_postgres:
        broken = audit_settings.with_(
            reader_database_url="postgresql://audit_reader@127.0.0.1:1/audit_test", timeout=3.0
        )
    else:
        blocker = tmp_path / "file"
        blocker.write_text("x")
        broken = audit_settings.with_(data_dir=blocker / "audit")
    result = cli(broken, "verify")
    assert result.returncode == 2 and "audit store unavailable" in result.stderr, result.stdout + result.stderr
