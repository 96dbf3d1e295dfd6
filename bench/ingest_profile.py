"""``python -m bench.ingest_profile BOOK.xlsx SETUP.json OUT.prof``: where an upload's import job
spends its time (bench/BENCH.md, collection). Runs the job function in-process under cProfile, with
the worker-thread hops done inline; prints the top functions. The reading half of the job runs in a
child process (``portal.ingest.reader``), which the profile does not see: its CPU time is printed.
``PORTAL_PROFILE=0``: no profiler, only the wall and CPU times.
Run in a child with the data set's environment (on a scratch copy: it writes records)."""

from __future__ import annotations

import asyncio
import cProfile
import io
import json
import os
import pstats
import resource
import sys
import time
from pathlib import Path


class _File:
    def __init__(self, path: Path) -> None:
        self.fh = path.open("rb")

    async def read(self, n: int) -> bytes:
        return self.fh.read(n)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def _inline(fn, *args, **kwargs):
    return fn(*args)


async def main(book: Path, setup: dict, out: Path) -> None:
    import anyio.to_thread

    from piccolo_conf import DB
    from portal.accounts.tables import Account
    from portal.db import start_pool
    from portal.ingest import imports
    from portal.ingest.tables import ImportJob

    if DB.engine_type == "postgres":  # as the app starts it: each transaction on a fresh connection would
        await start_pool(DB, min_size=2, max_size=10)  # reconnect and re-introspect types every chunk
    account = await Account.select(Account.id).where(Account.username == setup["username"]).first()
    job_id = await imports.accept(
        _File(book), agency_id=setup["agency_id"], account_id=account["id"], original_name=book.name
    )
    off = os.environ.get("PORTAL_PROFILE") == "0"  # CPU figures without the profiler's overhead
    if not off:
        anyio.to_thread.run_sync = _inline  # one thread: cProfile sees only the thread it runs in
    profile = cProfile.Profile()
    t, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
    if not off:
        profile.enable()
    await imports.run(job_id)
    profile.disable()
    wall = time.perf_counter() - t
    cpu, children = time.process_time() - cpu, _children_cpu() - children
    job = await ImportJob.select().where(ImportJob.id == job_id).first()
    print(f"job {job['status']}: {job['rows_done']} rows, created {job['created']}, rejected {job['rejected']}")
    print(f"{wall:.1f}s {'without' if off else 'under'} the profiler: {job['rows_done'] / wall:.0f} rows/s")
    print(f"CPU: this process {cpu:.1f}s (all threads), child processes (the reader) {children:.1f}s")
    if off:
        return
    profile.dump_stats(out)
    text = io.StringIO()
    pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(45)
    print(text.getvalue())
    text = io.StringIO()
    pstats.Stats(profile, stream=text).sort_stats("tottime").print_stats(30)
    print(text.getvalue())
    if hasattr(DB, "close_pool"):
        await DB.close_pool()
    elif getattr(DB, "pool", None):
        await DB.close_connection_pool()


if __name__ == "__main__":
    book, setup, out = sys.argv[1:4]
    asyncio.run(main(Path(book), json.loads(Path(setup).read_text()), Path(out)))
