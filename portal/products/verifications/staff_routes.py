"""``/staff/verifications``: the centre's queue of applications with the 5-working-day deadline,
and issuing the opinion (R-P2)."""

from __future__ import annotations

from litestar import Request, Router, get, post
from litestar.response import Redirect, Template

from portal.accounts.tables import Role
from portal.products.verifications import service
from portal.queries.context import request_id
from portal.reports.fonts import ReportFontMissing
from portal.web.guards import principal_of, require_roles
from portal.web.middleware import public_base_url

__all__ = ["staff_verifications_router"]


async def _queue(overdue: bool, error: str = "", issued: str = "", status: int = 200) -> Template:
    rows = await service.queue(overdue_only=overdue)
    context = {"rows": rows, "overdue": overdue, "error": error, "issued": issued}
    return Template("portal/products/verifications/queue.html", context=context, status_code=status)


@get("/", name="staff_verifications")
async def queue(overdue: str = "", issued: str = "") -> Template:
    return await _queue(bool(overdue), issued=issued[:32])


@post("/{verification_id:int}/issue", name="staff_verification_issue")
async def issue(request: Request, verification_id: int) -> Template | Redirect:
    try:
        number = await service.issue(
            principal_of(request), verification_id, public_base_url(request), request_id(request)
        )
    except service.VerificationError as exc:
        return await _queue(False, str(exc), status=exc.status)
    except ReportFontMissing as exc:
        return await _queue(False, str(exc), status=503)
    return Redirect(f"/staff/verifications?issued={number}", status_code=303)


staff_verifications_router = Router(
    path="/staff/verifications",
    route_handlers=[queue, issue],
    guards=[require_roles(Role.STAFF)],
    include_in_schema=False,
)
