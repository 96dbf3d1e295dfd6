"""What the housekeeping scheduler did: staff and auditors see every job's runs (R-19, SPEC §5)."""

from __future__ import annotations

from litestar import Router, get
from litestar.response import Template

from portal.accounts.tables import Role
from portal.housekeeping import service
from portal.housekeeping.jobs import DEFAULT_JOBS
from portal.settings import get_settings
from portal.web.guards import require_roles

__all__ = ["housekeeping_router"]


@get("/staff/housekeeping", name="staff_housekeeping", guards=[require_roles(Role.STAFF, Role.AUDITOR)])
async def housekeeping_page() -> Template:
    settings = get_settings()
    context = {
        "jobs": DEFAULT_JOBS,
        "runs": await service.recent_runs(),
        "enabled": settings.scheduler,
        "skipped": settings.scheduler_skip,
    }
    return Template("portal/staff/housekeeping.html", context=context)


housekeeping_router = Router(path="/", route_handlers=[housekeeping_page], include_in_schema=False)
