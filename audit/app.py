"""The standalone audit service app (issue 3 item 5): ``python -m audit serve``.

``/healthz`` — 200 when the store answers, else 503. ``/integrity`` — last checkpoint (with its
Ed25519 signature checked against the exported public keys), last verification and its result
(JSON). The app also runs the service's maintenance: a signed checkpoint every
``AUDIT_CHECKPOINT_EVERY`` entries (checked every ``AUDIT_CHECKPOINT_INTERVAL`` s; it alone holds the
private key) and PostgreSQL partitions kept ahead.

It deliberately serves **no auditor HTML UI** and no entry data: it has no accounts, sessions or
CSRF protection, so anything it served would be open to whoever reaches the port (it binds
127.0.0.1 by default). The UI (``audit/routes.py``) is mounted in the portal under the auditor role,
which has those; ``/`` says where it is.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, get
from litestar.response import Response

from audit.service import integrity_report
from audit.settings import AuditSettings, get_settings
from audit.store import Store

log = logging.getLogger("audit")


async def maintenance_once(settings: AuditSettings) -> None:
    from audit.checkpoints import make_checkpoint
    from audit.db import connect

    async with connect(settings, "admin") as conn:
        checkpoint = await make_checkpoint(conn, settings, if_due=True)
        if checkpoint:
            log.info("audit checkpoint #%s at seq %s", checkpoint.id, checkpoint.seq)


def create_app(settings: AuditSettings | None = None, *, maintenance: bool = True) -> Litestar:
    settings = settings or get_settings()
    store = Store(settings, role="reader")  # the app's own: never the process-wide default

    @get("/healthz")
    async def healthz() -> Response[dict]:
        try:
            await store.run(lambda c: c.fetchval("SELECT last_seq FROM chain_head WHERE id = 1"))
        except Exception as exc:
            return Response({"status": "unavailable", "error": type(exc).__name__}, status_code=503)
        return Response({"status": "ok"})

    @get("/integrity")
    async def integrity() -> dict:
        return await integrity_report(store)

    @get("/")
    async def index() -> dict:
        return {
            "service": "query-audit (R-19)",
            "endpoints": ["/healthz", "/integrity"],
            "auditor_ui": "served by the portal at /audit/log, to accounts with the auditor role only",
        }

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        task = None
        if maintenance and settings.checkpoint_interval > 0:

            async def loop() -> None:
                while True:
                    try:
                        await maintenance_once(settings)
                    except Exception:
                        log.exception("audit maintenance failed")
                    await asyncio.sleep(settings.checkpoint_interval)

            task = asyncio.create_task(loop())
        try:
            yield
        finally:
            if task:
                task.cancel()
            store.close()

    return Litestar(route_handlers=[index, healthz, integrity], lifespan=[lifespan])
