"""The scheduler's lease and its run log (in the portal's database: shared by every worker and host)."""

from piccolo.columns import Boolean, Text, Timestamptz, Varchar
from piccolo.table import Table

__all__ = ["SchedulerLease", "HousekeepingRun"]


class SchedulerLease(Table, tablename="scheduler_lease"):
    """Who runs the housekeeping jobs: one row per lease, held until ``expires_at`` and renewed by
    its holder on every tick; another process may take it once it has expired."""

    name = Varchar(length=64, unique=True)
    holder = Varchar(length=200, default="")
    """host:pid:random of the scheduler holding the lease."""
    expires_at = Timestamptz()


class HousekeepingRun(Table, tablename="housekeeping_run"):
    """One run of one job: what staff and auditors see on /staff/housekeeping."""

    job = Varchar(length=64, index=True)
    started_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)
    ok = Boolean(null=True, default=None)
    """None while running; True/False when done."""
    summary = Text(default="")
    """The job's last output lines or its error (never personal data: counts and sequence numbers)."""
    holder = Varchar(length=200, default="")
