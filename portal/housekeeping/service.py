"""The scheduler's lease and run log: the only code touching their tables.

One leader across workers and hosts: a lease row in the portal's own database, taken with one
atomic UPDATE (or INSERT … ON CONFLICT DO NOTHING) and renewed on every tick. Why a row and not a
lock: it works alike on the embedded SQLite and on PostgreSQL, across hosts sharing the database,
through the connection pools (a PostgreSQL advisory lock belongs to one session, which a pool does
not keep), and a holder that dies simply stops renewing: the lease expires and another takes it.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from portal.housekeeping.tables import HousekeepingRun, SchedulerLease

__all__ = ["LEASE", "acquire_lease", "release_lease", "last_started", "start_run", "finish_run", "recent_runs"]

LEASE = "housekeeping"
KEEP_RUNS = timedelta(days=400)  # the run log covers a year of daily jobs


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive UTC datetimes; PostgreSQL aware ones.
    return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value


async def acquire_lease(holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the lease; False while another holder's lease is unexpired."""
    L = SchedulerLease
    expires = now + ttl
    renewed = (
        await L.update({L.holder: holder, L.expires_at: expires})
        .where((L.name == LEASE) & ((L.holder == holder) | (L.expires_at < now)))
        .returning(L.id)
    )
    if renewed:
        return True
    inserted = (
        await L.insert(L(name=LEASE, holder=holder, expires_at=expires))
        .on_conflict(action="DO NOTHING")
        .returning(L.id)
    )
    return bool(inserted)


async def release_lease(holder: str) -> None:
    """At shutdown: let another scheduler take over at its next tick instead of after the expiry."""
    L = SchedulerLease
    past = utcnow() - timedelta(seconds=1)
    await L.update({L.expires_at: past}).where((L.name == LEASE) & (L.holder == holder))


async def last_started(job: str) -> datetime | None:
    R = HousekeepingRun
    row = await R.select(R.started_at).where(R.job == job).order_by(R.started_at, ascending=False).first()
    return _aware(row["started_at"]) if row else None


async def start_run(job: str, holder: str, now: datetime) -> int:
    R = HousekeepingRun
    rows = await R.insert(R(job=job, started_at=now, holder=holder)).returning(R.id)
    return rows[0]["id"]


async def finish_run(run_id: int, ok: bool, summary: str) -> None:
    R = HousekeepingRun
    now = utcnow()
    await R.update({R.finished_at: now, R.ok: ok, R.summary: summary}).where(R.id == run_id)
    await R.delete().where(R.started_at < now - KEEP_RUNS)


async def recent_runs(limit: int = 100) -> list[dict]:
    R = HousekeepingRun
    rows = await R.select().order_by(R.started_at, ascending=False).order_by(R.id, ascending=False).limit(limit)
    for row in rows:
        row["started_at"], row["finished_at"] = _aware(row["started_at"]), _aware(row["finished_at"])
    return rows
