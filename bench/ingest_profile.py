"""``python -m bench.ingest_profile BOOK.xlsx SETUP.json OUT.prof``: where an upload's import job
spends its time (bench/BENCH.md, collection). Runs the job function in-process under cProfile, with
the worker-thread hops done inline so the profile sees the parsing too; prints the top functions.
Run in a child with the data set's environment (on a scratch copy: it writes records)."""

from __future__ import annotations

import asyncio
import cProfile
import io
import json
import pstats
import sys
import time
from pathlib import Path


class _File:
    def __init__(self, path: Path) -> None:
        self.fh = path.open("rb")

    async def read(self, n: int) -> bytes:
        return self.fh.read(n)


async def _inline(fn, *args, **kwargs):
    return fn(*args)


async def main(book: Path, setup: dict, out: Path) -> None:
    import anyio.to_thread

    from piccolo_conf import DB
    from portal.accounts.tables import Account
    from portal.ingest import imports
    from portal.ingest.tables import ImportJob

    account = await Account.select(Account.id).where(Account.username == setup["username"]).first()
    job_id = await imports.accept(
        _File(book), agency_id=setup["agency_id"], account_id=account["id"], original_name=book.name
    )
    anyio.to_thread.run_sync = _inline  # one thread: cProfile sees only the thread it runs in
    profile = cProfile.Profile()
    t = time.perf_counter()
    profile.enable()
    await imports.run(job_id)
    profile.disable()
    wall = time.perf_counter() - t
    job = await ImportJob.select().where(ImportJob.id == job_id).first()
    print(f"job {job['status']}: {job['rows_done']} rows, created {job['created']}, rejected {job['rejected']}")
    print(f"{wall:.1f}s under the profiler: {job['rows_done'] / wall:.0f} rows/s")
    profile.dump_stats(out)
    text = io.StringIO()
    pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(45)
    print(text.getvalue())
    text = io.StringIO()
    pstats.Stats(profile, stream=text).sort_stats("tottime").print_stats(30)
    print(text.getvalue())
    if hasattr(DB, "close_pool"):
        await DB.close_pool()


if __name__ == "__main__":
    book, setup, out = sys.argv[1:4]
    asyncio.run(main(Path(book), json.loads(Path(setup).read_text()), Path(out)))
