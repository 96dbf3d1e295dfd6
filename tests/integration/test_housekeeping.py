"""The portal's own housekeeping scheduler (observation 12: expired sessions never purged;
checkpoints, verification and the 5-year purge only with cron lines; What to build 8).

The scheduler's tick is driven directly with chosen clock values (no background loop, no sleeps);
every job runs against the real databases: the portal's (sessions, uploads) and the audit store
(checkpoints, verification runs, purge) through the same CLI commands cron would run.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest
from litestar.testing import AsyncTestClient

from audit import recorder
from audit.db import connect
from audit.recorder import QueryEvent
from audit.settings import get_settings as audit_settings
from portal.accounts.sessions import digest
from portal.accounts.tables import Session
from portal.housekeeping.jobs import DEFAULT_JOBS, Job, command_job
from portal.housekeeping.scheduler import Scheduler
from portal.housekeeping.tables import HousekeepingRun, SchedulerLease
from portal.settings import get_settings
from tests import factories as f

pytestmark = pytest.mark.anyio
JOBS = {job.name: job for job in DEFAULT_JOBS}
T0 = datetime(2026, 12, 4, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
async def clean(db):
    """The lease and run log belong to these tests only: each starts with none."""
    await SchedulerLease.delete(force=True)
    await HousekeepingRun.delete(force=True)
    yield
    await SchedulerLease.delete(force=True)
    await HousekeepingRun.delete(force=True)


async def _runs(job: str | None = None) -> list[dict]:
    query = HousekeepingRun.select().order_by(HousekeepingRun.id)
    return await (query.where(HousekeepingRun.job == job) if job else query)


async def _session(account_id: int, last_seen: datetime) -> str:
    token = f.unique("token-")
    await Session.insert(
        Session(token_digest=digest(token), account=account_id, created_at=last_seen, last_seen_at=last_seen)
    )
    return digest(token)


async def test_only_the_lease_holder_runs_jobs_and_another_takes_over_when_it_lapses(clean):
    jobs = [JOBS["purge-sessions"]]
    first, second = Scheduler(jobs, holder="host-a:1"), Scheduler(jobs, holder="host-b:2")
    started = await first.tick(T0)
    assert len(started) == 1
    assert await second.tick(T0 + timedelta(seconds=5)) == []  # same job, same period: not run twice
    await asyncio.gather(*started)
    assert [(r["job"], r["holder"], r["ok"]) for r in await _runs()] == [("purge-sessions", "host-a:1", True)]

    # The leader renews on each tick; the other never runs while the lease is held...
    assert await first.tick(T0 + timedelta(minutes=1)) == []  # renewed, nothing due
    assert await second.tick(T0 + timedelta(minutes=2)) == []
    lease = await SchedulerLease.select().first()
    assert lease["holder"] == "host-a:1"
    # ...and takes over once the leader stopped renewing (a dead worker or host).
    late = T0 + timedelta(minutes=16)
    taken = await second.tick(late)
    assert len(taken) == 1
    await asyncio.gather(*taken)
    assert (await SchedulerLease.select().first())["holder"] == "host-b:2"
    assert await first.tick(late + timedelta(seconds=10)) == []  # the old leader is now a follower
    assert [r["holder"] for r in await _runs()] == ["host-a:1", "host-b:2"]


async def test_every_job_runs_against_the_real_stores(clean):
    # Sessions: one idle past the timeout, one fresh (observation 12: never purged before).
    account = await f.account("citizen")
    now = datetime.now(timezone.utc)
    idle = get_settings().session_idle_seconds
    stale = await _session(account["id"], now - timedelta(seconds=idle + 60))
    fresh = await _session(account["id"], now)
    # Uploads: a file an interrupted upload left behind two hours ago.
    root = get_settings().uploads_dir / "ab"
    root.mkdir(parents=True, exist_ok=True)
    leftover = root / f"{f.unique('orphan')}.part"
    leftover.write_bytes(b"partial")
    os.utime(leftover, (time.time() - 7200, time.time() - 7200))
    # The audit log: a new entry, so a checkpoint has something to sign.
    receipt = await recorder.record(
        QueryEvent(
            requester_account="housekeeping-test",
            requester_role="third_party",
            requester_org="郑州例行任务测试有限公司",
            method="api",
            reason_code="financing",
            reason_text="例行任务测试",
            subject_ref="l:" + "ab" * 32,
            subject_label="郑州例行任务测试有限公司",
            scope="A",
        )
    )
    async with connect(audit_settings(), "reader") as conn:
        runs_before = await conn.fetchval("SELECT count(*) FROM verification_runs")

    started = await Scheduler(holder="host-a:1").tick()
    assert sorted(t.get_name() for t in started) == sorted(f"housekeeping:{j}" for j in JOBS)
    await asyncio.gather(*started)

    runs = {r["job"]: r for r in await _runs()}
    assert set(runs) == set(JOBS)
    failed = {name: r["summary"] for name, r in runs.items() if not r["ok"]}
    assert not failed, failed
    assert all(r["finished_at"] is not None for r in runs.values())
    remaining = {
        r["token_digest"] for r in await Session.select(Session.token_digest).where(Session.account == account["id"])
    }
    assert stale not in remaining and fresh in remaining
    assert not leftover.exists()
    async with connect(audit_settings(), "reader") as conn:
        signed = await conn.fetchval("SELECT max(seq) FROM checkpoints")
        modes = [r[0] for r in await conn.fetch("SELECT mode FROM verification_runs ORDER BY id")][runs_before:]
    assert signed is not None and int(signed) >= receipt.seq  # the new entry is under a signed checkpoint
    # Both verifications recorded (shown on the auditors' integrity page); an incremental run with no
    # earlier good run to start from checks everything, so it may record itself as full.
    assert len(modes) == 2 and "full" in modes
    assert "removed" in runs["purge-sessions"]["summary"] and '"purged"' in runs["audit-purge"]["summary"]
    assert "removed" in runs["purge-receipts"]["summary"]


async def test_a_failing_job_is_recorded_and_retried_next_period_and_others_still_run(clean, app):
    boom = command_job(
        "boom", "总是失败的任务", timedelta(hours=1), "-c", "import sys; print('存储不可用'); sys.exit(3)"
    )
    crash = Job("crash", "抛出异常的任务", timedelta(hours=1), _raises)
    hourly = Job("purge-sessions", "清除过期会话", timedelta(hours=1), JOBS["purge-sessions"].run)
    scheduler = Scheduler([boom, crash, hourly], holder="host-a:1")
    await asyncio.gather(*await scheduler.tick(T0))
    runs = {r["job"]: r for r in await _runs()}
    assert (
        runs["boom"]["ok"] is False and "exit 3" in runs["boom"]["summary"] and "存储不可用" in runs["boom"]["summary"]
    )
    assert runs["crash"]["ok"] is False and "RuntimeError" in runs["crash"]["summary"]
    assert runs["purge-sessions"]["ok"] is True  # the others ran regardless

    assert await scheduler.tick(T0 + timedelta(minutes=30)) == []  # not hammered: next period
    again = await scheduler.tick(T0 + timedelta(hours=1, seconds=1))
    assert len(again) == 3  # the failed ones are retried like the one that succeeded
    await asyncio.gather(*again)
    assert len(await _runs("boom")) == 2

    # Staff and auditors see each run's result.
    for role in ("staff", "auditor"):
        user = await f.account(role)
        async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
            assert (await f.login(client, user["username"])).status_code == 303
            page = await client.get("/staff/housekeeping")
        assert page.status_code == 200
        assert "总是失败的任务" not in page.text  # only the configured jobs are listed by label
        assert "boom" in page.text and "失败" in page.text and "存储不可用" in page.text
        assert "清除过期会话" in page.text and "审计日志全量校验" in page.text


async def _raises() -> str:
    raise RuntimeError("磁盘已满")


async def test_cron_commands_remain(clean):
    """Each job is still a command for cron (`python -m portal …`, `python -m audit …`)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "portal",
        "purge-sessions",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 0 and out.decode().startswith("removed: "), out.decode()
