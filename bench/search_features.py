"""What each search feature costs per request, in-process (run with one engine's environment):

  python -m bench.search_features --results bench/results/latest.json [--n 2]

Takes a ``python -m bench`` run's query set and measures, per class (2char, 3plus, uscc), the CPU
of the event-loop thread per fragment through the real ASGI app (HTTP plumbing, middleware, Jinja,
gzip; no socket), with features switched off one after another: the count (exact up to 1,000),
the in-order walk (郑州韵宇 → 郑州…韵宇), the former names (曾用名). An experiment, never a
configuration of the product: it replaces service internals in this process only.

``est. ratio`` turns the three figures into the search mix's throughput ratio the way the wrk run
sees it: one request costs its in-process CPU plus uvicorn's own share (``--server-us``: a bare
request's CPU over HTTP minus in-process, 58 − 19 µs on the test machine), and the bare app
costs ``--bare-us`` (58 µs) per request.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from urllib.parse import quote

from bench.profile_pages import _call, _lifespan, browser_headers
from bench.search_profile import _queries


async def main_async(args) -> None:
    from portal.app import create_app
    from portal.search import query as q
    from portal.search import service, sql

    app = create_app()
    await _lifespan(app, "startup")
    headers = await browser_headers(app) + [(b"hx-request", b"true")]
    classes = _queries(args.results)
    by_name = service._by_name

    async def uncounted(result, parsed, tag, after, limit, first):
        return await by_name(result, parsed, tag, after, limit, False)  # as a later page: no count

    steps = [
        ("all features", None),
        ("- count", (service, "_by_name", uncounted)),
        ("- in-order walk", (q.Query, "subsequence", property(lambda self: False))),
        ("- former names", (sql, "_former", lambda *a, **k: ("SELECT 0 AS id WHERE 1 = 0", []))),
    ]
    print(f"{'features':18} {'2char ms':>9} {'3plus ms':>9} {'uscc ms':>9} {'est. ratio':>10}")
    for name, patch in steps:
        if patch:
            setattr(*patch)
        cpu = {}
        for cls, qs in classes.items():
            for text in qs:  # warm
                await _call(app, f"/search?q={quote(text)}", headers)
            t0 = time.thread_time()
            for _ in range(args.n):
                for text in qs:
                    await _call(app, f"/search?q={quote(text)}", headers)
            cpu[cls] = (time.thread_time() - t0) * 1000 / (args.n * len(qs))
        est = len(cpu) * args.bare_us / sum(ms * 1000 + args.server_us for ms in cpu.values())
        print(f"{name:18} {cpu['2char']:9.3f} {cpu['3plus']:9.3f} {cpu['uscc']:9.3f} {est:10.3f}")


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.search_features")
    p.add_argument("--results", required=True, help="a python -m bench results JSON (its query set)")
    p.add_argument("--n", type=int, default=2, help="passes over the query set")
    p.add_argument("--bare-us", type=float, default=58.0, help="CPU µs of one bare-app request over HTTP")
    p.add_argument("--server-us", type=float, default=39.0, help="uvicorn's CPU µs per request")
    asyncio.run(main_async(p.parse_args()))


if __name__ == "__main__":
    main()
