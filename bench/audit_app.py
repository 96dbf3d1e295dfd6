"""ASGI factories for the audited-vs-unaudited self-query benchmark (bench only, never production).

    uvicorn bench.audit_app:audited --factory     the portal exactly as ``python -m portal serve`` builds it
    uvicorn bench.audit_app:unaudited --factory   the same app with the audit append replaced by a no-op
    uvicorn bench.audit_app:waiting --factory     diagnostic: the no-op after a 12 ms sleep (an audit's
                                                  wait without its work; ``--audited-factory waiting``)

The no-op replaces ``portal.disclosure.service.record`` (the name ``disclose``/``refuse`` call) with a
coroutine that returns a dummy ``Receipt`` without validating, queueing or committing anything. It
exists only here, so there is no switch in the portal that could turn auditing off.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone


def audited():
    from portal.app import create_app

    return create_app()


def _without_audit(wait_s: float = 0.0):
    from audit.recorder import Receipt
    from portal.disclosure import service

    async def no_audit(event) -> Receipt:
        if wait_s:
            await asyncio.sleep(wait_s)
        return Receipt(seq=0, entry_hash="0" * 64, subject_query_count=0, recorded_at=datetime.now(timezone.utc))

    service.record = no_audit
    from portal.app import create_app

    return create_app()


def unaudited():
    return _without_audit()


def waiting():
    return _without_audit(0.012)
