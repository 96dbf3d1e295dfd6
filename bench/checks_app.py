"""The bench's own app factory for ``python -m bench checks`` — never used by the portal.

``create_app()`` is the portal's app plus one route, ``POST /bench/checks-unaudited``, that runs
the very handler of ``POST /api/v1/checks`` (same guard, parsing, service, answer) with the audit
append replaced by a synthetic receipt. The swap is a context variable that only this route sets,
read by a wrapper this factory installs around ``portal.disclosure.service.record``; the portal's
own factory (``portal.app:create_app``, what ``serve`` runs) installs nothing, so production cannot
reach it. Both routes run in one process on one data set, measured alternately in the same run.

``python -m bench.checks_app PORT``: migrate, start the audit writer, serve this factory (1 worker),
as ``python -m portal serve`` does.
"""

from __future__ import annotations

import sys
from contextvars import ContextVar
from datetime import datetime, timezone

from litestar import Request, Response, post

from portal.ingest.api import require_key
from portal.products.checks.api import make_check
from portal.products.checks.schemas import CheckRequest

SKIP_AUDIT: ContextVar[bool] = ContextVar("bench_skip_audit", default=False)


def _install() -> None:
    from audit.events import Receipt
    from portal.disclosure import service as disclosure

    real = disclosure.record
    if getattr(real, "bench_wrapped", False):
        return

    async def record(event):
        if SKIP_AUDIT.get():
            return Receipt(seq=0, entry_hash="0" * 64, subject_query_count=0, recorded_at=datetime.now(timezone.utc))
        return await real(event)

    record.bench_wrapped = True
    disclosure.record = record


@post(
    "/bench/checks-unaudited",
    guards=[require_key],
    status_code=200,
    opt={"exclude_from_csrf": True},
    include_in_schema=False,
)
async def unaudited(request: Request, data: CheckRequest) -> Response:
    token = SKIP_AUDIT.set(True)
    try:
        return await make_check.fn(request, data)
    finally:
        SKIP_AUDIT.reset(token)


def create_app():
    from portal.app import create_app as portal_app

    _install()
    app = portal_app()
    app.register(unaudited)
    return app


def main(argv: list[str]) -> None:
    import uvicorn

    from portal.cli import _start_shared_audit_writer
    from portal.migrate import migrate

    migrate()
    _start_shared_audit_writer()
    uvicorn.run(
        "bench.checks_app:create_app",
        factory=True,
        host="127.0.0.1",
        port=int(argv[0]),
        workers=1,
        proxy_headers=False,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
