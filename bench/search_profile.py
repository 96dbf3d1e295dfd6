"""Where a search request's time goes, per query class, in-process (run with one engine's environment):

  python -m bench.search_profile --results bench/results/latest.json [--n 2] [--cprofile 3plus]

Takes the query set of a ``python -m bench`` run (per class: 2char, 3plus, uscc) and reports, per
class, the mean of: ``search_subjects`` (the service), the SQL statements it sends (how many, and
their time: the engine's ``run_querystring`` wrapped), the fragment rendered by the real ASGI app
(HTTP + middleware + Jinja + gzip, no socket); and the service's wall-clock p50/p95 (PostgreSQL's
work included). ``--cprofile CLASS`` prints the cProfile top of the
ASGI requests of that class.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import pstats
import time
from urllib.parse import quote

from bench.profile_pages import _call, _lifespan, browser_headers


def _queries(path: str) -> dict[str, list[str]]:
    data = json.load(open(path))
    engine = next(iter(data["engines"].values())) if "engines" in data else data
    return {cls: [q["q"] for q in qs] for cls, qs in engine["queries"].items()}


async def main_async(args) -> None:
    from portal.app import create_app
    from portal.search.service import search_subjects
    from portal.subjects.tables import Subject

    app = create_app()
    await _lifespan(app, "startup")
    from portal.search import service as search_service

    db = Subject._meta.db
    cls = type(db)
    original = cls.run_querystring
    original_fetch = getattr(search_service, "fetch", None)  # the search's own reads (portal/search/reads.py)
    stats = {"n": 0, "ms": 0.0}

    async def counting(self, querystring, *a, **kw):
        t0 = time.thread_time()
        try:
            return await original(self, querystring, *a, **kw)
        finally:
            stats["n"] += 1
            stats["ms"] += (time.thread_time() - t0) * 1000

    async def counting_fetch(*a, **kw):
        t0 = time.thread_time()
        try:
            return await original_fetch(*a, **kw)
        finally:
            stats["n"] += 1
            stats["ms"] += (time.thread_time() - t0) * 1000

    def wrap(on: bool) -> None:
        cls.run_querystring = counting if on else original
        if original_fetch is not None:
            search_service.fetch = counting_fetch if on else original_fetch

    headers = await browser_headers(app) + [(b"hx-request", b"true")]
    classes = _queries(args.results)
    print(
        f"{'class':8} {'n':>4} {'service ms':>10} {'stmts':>6} {'sql ms':>7} {'asgi ms':>8} {'asgi-svc':>8}"
        f" {'wall p50':>8} {'wall p95':>8}"
    )
    for name, qs in classes.items():
        for q in qs:  # warm
            await search_subjects(q)
            await _call(app, f"/search?q={quote(q)}", headers)
        wrap(True)
        stats.update(n=0, ms=0.0)
        walls = []
        t0 = time.thread_time()
        for _ in range(args.n):
            for q in qs:
                w0 = time.perf_counter()
                await search_subjects(q)
                walls.append((time.perf_counter() - w0) * 1000)
        service = (time.thread_time() - t0) * 1000
        walls.sort()
        p50, p95 = walls[len(walls) // 2], walls[min(len(walls) - 1, int(len(walls) * 0.95))]
        wrap(False)
        t0 = time.thread_time()
        for _ in range(args.n):
            for q in qs:
                await _call(app, f"/search?q={quote(q)}", headers)
        asgi = (time.thread_time() - t0) * 1000
        k = args.n * len(qs)
        print(
            f"{name:8} {len(qs):4} {service / k:10.3f} {stats['n'] / k:6.2f} {stats['ms'] / k:7.3f} "
            f"{asgi / k:8.3f} {(asgi - service) / k:8.3f} {p50:8.3f} {p95:8.3f}"
        )
        if name in args.cprofile:
            prof = cProfile.Profile()
            prof.enable()
            for _ in range(args.n):
                for q in qs:
                    await _call(app, f"/search?q={quote(q)}", headers)
            prof.disable()
            s = io.StringIO()
            st = pstats.Stats(prof, stream=s)
            st.sort_stats("tottime").print_stats(args.top)
            st.sort_stats("cumulative").print_stats(args.top)
            print(s.getvalue())


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.search_profile")
    p.add_argument("--results", required=True, help="a python -m bench results JSON (its query set)")
    p.add_argument("--n", type=int, default=2, help="passes over the query set")
    p.add_argument("--cprofile", action="append", default=[], help="class to profile: 2char, 3plus, uscc")
    p.add_argument("--top", type=int, default=30)
    asyncio.run(main_async(p.parse_args()))


if __name__ == "__main__":
    main()
