"""The yardstick of the throughput ratios: a bare Litestar app, one handler returning a short text,
no middleware, no database, served exactly as the portal is (``python -m bench.bare_app --port N``:
uvicorn, one worker, the options of ``python -m portal serve``)."""

from __future__ import annotations

import argparse

from litestar import Litestar, MediaType, get


@get("/", media_type=MediaType.TEXT, sync_to_thread=False)
def index() -> str:
    return "ok"


def create_app() -> Litestar:
    return Litestar(route_handlers=[index], openapi_config=None)


def main() -> None:
    import uvicorn

    p = argparse.ArgumentParser(prog="python -m bench.bare_app")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    a = p.parse_args()
    # The same uvicorn options as portal.cli's `serve` (one worker).
    uvicorn.run(
        "bench.bare_app:create_app",
        factory=True,
        host=a.host,
        port=a.port,
        workers=1,
        proxy_headers=False,
        log_level="info",
        access_log=False,
    )


if __name__ == "__main__":
    main()
