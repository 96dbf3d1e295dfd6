"""The scheduler every worker runs; only the lease holder runs jobs (service.py says why a lease row).

``tick(now)`` is the whole algorithm (tests drive it directly): take or renew the lease; start each
job that is due (its last start at least ``every`` ago, whatever that run's outcome: a failed job is
retried next period) and not still running here. Jobs run as tasks beside the request handlers;
blocking work is in threads or subprocesses (jobs.py). A failing job is logged and recorded.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Sequence
from datetime import datetime, timedelta

from portal.housekeeping import service
from portal.housekeeping.jobs import DEFAULT_JOBS, Job

__all__ = ["Scheduler"]

log = logging.getLogger("portal.housekeeping")


class Scheduler:
    def __init__(
        self,
        jobs: Sequence[Job] = DEFAULT_JOBS,
        *,
        holder: str | None = None,
        lease: timedelta = timedelta(minutes=2),
        interval: float = 30.0,
    ) -> None:
        self.jobs = tuple(jobs)
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.lease = lease
        self.interval = interval
        self.running: dict[str, asyncio.Task] = {}
        self._loop_task: asyncio.Task | None = None

    async def tick(self, now: datetime | None = None) -> list[asyncio.Task]:
        """One round; returns the runs it started (empty when another scheduler leads)."""
        now = now or service.utcnow()
        if not await service.acquire_lease(self.holder, now, self.lease):
            return []
        started = []
        for job in self.jobs:
            current = self.running.get(job.name)
            if current is not None and not current.done():
                continue  # a long run (a full verification) is not started twice
            last = await service.last_started(job.name)
            if last is not None and now - last < job.every:
                continue
            run_id = await service.start_run(job.name, self.holder, now)
            task = asyncio.get_running_loop().create_task(self._run(job, run_id), name=f"housekeeping:{job.name}")
            self.running[job.name] = task
            started.append(task)
        return started

    async def _run(self, job: Job, run_id: int) -> None:
        try:
            summary, ok = await job.run(), True
        except asyncio.CancelledError:
            await asyncio.shield(service.finish_run(run_id, False, "interrupted: the portal stopped"))
            raise
        except Exception as exc:
            summary, ok = f"{type(exc).__name__}: {exc}", False
            log.warning("housekeeping job %s failed (retried next period): %s", job.name, summary)
        try:
            await service.finish_run(run_id, ok, summary)
        except Exception:
            log.exception("housekeeping job %s: could not record its result", job.name)

    async def run_forever(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:  # the database away for a moment: try again next round
                log.exception("housekeeping tick failed")
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        self._loop_task = asyncio.get_running_loop().create_task(self.run_forever(), name="housekeeping")

    async def stop(self) -> None:
        tasks = [t for t in (self._loop_task, *self.running.values()) if t is not None and not t.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        try:
            await service.release_lease(self.holder)
        except Exception:
            log.exception("housekeeping: could not release the lease")
