"""``/agency``: an agency officer's view of what the agency has reported (R-12, R-13 timeliness)."""

from __future__ import annotations

from litestar import Request, Router, get
from litestar.response import Template

from portal.accounts.tables import Role
from portal.agencies.reporting import reporting_summary
from portal.web.guards import principal_of, require_roles


@get("/", name="agency_home")
async def agency_home(request: Request) -> Template:
    return Template("portal/agencies/home.html", context=await reporting_summary(principal_of(request).agency_id))


agency_router = Router(
    path="/agency", route_handlers=[agency_home], guards=[require_roles(Role.AGENCY)], include_in_schema=False
)
