"""Per-request cost of the portal's stack against the bare app, in-process (no socket, no uvicorn).

``PORTAL_DATA_DIR=… python -m bench.asgi_overhead [--path /healthz] [--n 20000] [--rounds 5] [--profile]``

Both ASGI apps are called directly with the same synthetic scope and headers the throughput run
sends to ``/healthz`` (Host, ``Accept-Encoding: gzip``, the CSRF cookie a browser holds after ``/``).
Rounds alternate bare / portal, so load from other processes hits both alike; the figure is the
median µs per request, wall and CPU (``time.process_time``, which survives a busy machine better).
The ratio ``bare / portal`` is the in-process analogue of the wrk ratio (uvicorn's own cost per
request, the same for both, is left out, so this ratio is lower than the wrk one).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import statistics
import time

from bench.profile_pages import _call


async def _loop(app, path: str, headers, n: int) -> tuple[float, float]:
    w0, c0 = time.perf_counter_ns(), time.process_time_ns()
    for _ in range(n):
        await _call(app, path, headers)
    return (time.perf_counter_ns() - w0) / n / 1000, (time.process_time_ns() - c0) / n / 1000


async def main_async(args) -> None:
    from bench.bare_app import create_app as bare_app
    from portal.app import create_app

    portal, bare = create_app(), bare_app()
    base = [(b"host", b"127.0.0.1:8000"), (b"accept-encoding", b"gzip")]
    # The CSRF cookie a browser (and the throughput run) holds; /healthz itself sets none.
    cookie = b"csrftoken=" + b"x" * 64
    headers = [*base, (b"cookie", cookie)]
    status, hdrs, body = await _call(portal, args.path, headers)
    print(f"portal {args.path}: {status} {body[:60]!r} headers: {[k.decode() for k, _ in hdrs]}")
    status, _, _ = await _call(bare, "/", headers)
    for _ in range(2):  # warm up both
        await _loop(bare, "/", headers, 2000)
        await _loop(portal, args.path, headers, 2000)
    rows = {"bare": [], "portal": []}
    for _ in range(args.rounds):
        rows["bare"].append(await _loop(bare, "/", headers, args.n))
        rows["portal"].append(await _loop(portal, args.path, headers, args.n))
    med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in rows.items()}
    for k, (w, c) in med.items():
        print(f"{k:7s} wall {w:7.2f} µs/req   cpu {c:7.2f} µs/req")
    wall, cpu = med["bare"][0] / med["portal"][0], med["bare"][1] / med["portal"][1]
    print(f"ratio bare/portal: wall {wall:.3f}  cpu {cpu:.3f}")
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(args.n):
            await _call(portal, args.path, headers)
        prof.disable()
        s = io.StringIO()
        stats = pstats.Stats(prof, stream=s)
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(args.top)
        print(s.getvalue())


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.asgi_overhead")
    p.add_argument("--path", default="/healthz")
    p.add_argument("--n", type=int, default=20000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--profile", action="store_true")
    p.add_argument("--top", type=int, default=40)
    asyncio.run(main_async(p.parse_args()))


if __name__ == "__main__":
    main()
