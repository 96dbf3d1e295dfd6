"""Where a page's time goes: cProfile of the real ASGI app called in-process (no socket, no uvicorn).

``DATABASE_URL=… PORTAL_DATA_DIR=… python -m bench.profile_pages --path / --n 300``
Each request is sent like the throughput runs send it (gzip accepted, the cookies a browser holds
after loading ``/``); the first 20 warm up untimed. Prints the top functions by own and cumulative
time, and the mean wall time per request without the profiler.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import time


def _scope(path: str, headers: list[tuple[bytes, bytes]]) -> dict:
    raw_path, _, query = path.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


async def _call(app, path: str, headers) -> tuple[int, list, bytes]:
    out: dict = {"body": b""}

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        if message["type"] == "http.response.start":
            out["status"], out["headers"] = message["status"], message["headers"]
        elif message["type"] == "http.response.body":
            out["body"] += message.get("body", b"")

    await app(_scope(path, headers), receive, send)
    return out["status"], out["headers"], out["body"]


async def _lifespan(app, kind: str) -> None:
    sent = False

    async def receive():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": f"lifespan.{kind}"}
        await asyncio.sleep(3600)

    done = asyncio.Event()

    async def send(message):
        done.set()

    task = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send))
    await done.wait()
    if kind == "shutdown":
        await task
    else:
        _lifespan.task = task  # type: ignore[attr-defined]


async def browser_headers(app) -> list[tuple[bytes, bytes]]:
    """The request headers of a browser that has loaded ``/`` (gzip, HTML, the cookies it was given)."""
    base = [(b"host", b"127.0.0.1:8000"), (b"accept-encoding", b"gzip"), (b"accept", b"text/html")]
    _, hdrs, _ = await _call(app, "/", base)
    cookies = [v.split(b";", 1)[0] for k, v in hdrs if k.lower() == b"set-cookie"]
    return base + ([(b"cookie", b"; ".join(cookies))] if cookies else [])


async def main_async(args) -> None:
    from portal.app import create_app

    app = create_app()
    await _lifespan(app, "startup")
    headers = await browser_headers(app)
    headers += [(k.lower().encode(), v.encode()) for k, v in (h.split(":", 1) for h in args.header)]
    paths = args.path
    for i in range(20):
        status, _, _ = await _call(app, paths[i % len(paths)], headers)
        if status >= 400:
            raise SystemExit(f"{paths[i % len(paths)]}: HTTP {status}")
    t0 = time.perf_counter()
    for i in range(args.n):
        await _call(app, paths[i % len(paths)], headers)
    plain = (time.perf_counter() - t0) / args.n * 1000
    prof = cProfile.Profile()
    prof.enable()
    for i in range(args.n):
        await _call(app, paths[i % len(paths)], headers)
    prof.disable()
    s = io.StringIO()
    stats = pstats.Stats(prof, stream=s)
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats(args.top)
    print(f"{paths[0]} (+{len(paths) - 1} more): {plain:.3f} ms per request in-process, without the profiler")
    print(s.getvalue())


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.profile_pages")
    p.add_argument("--path", action="append", required=True, help="repeat to rotate through several")
    p.add_argument("--header", action="append", default=[], help="'Name: value', e.g. 'HX-Request: true'")
    p.add_argument("--n", type=int, default=300)
    p.add_argument("--top", type=int, default=35)
    asyncio.run(main_async(p.parse_args()))


if __name__ == "__main__":
    main()
