"""``/agency``: an agency officer's desk — what the agency reported, pending corrections, rejected
rows, its timeliness scorecard and its API keys (R-11 … R-14)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Request, Router, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from portal.accounts.tables import Role
from portal.agencies.desk import desk
from portal.agencies.reporting import reporting_summary
from portal.ingest import keys
from portal.lib.dates import today_cn
from portal.web.guards import principal_of, require_roles


@dataclass
class RevokeForm:
    reason: str = ""


async def _page(request: Request, error: str | None = None, status: int = 200) -> Template:
    agency_id = principal_of(request).agency_id
    context = await reporting_summary(agency_id)
    if context["agency"] is not None:
        context |= await desk(agency_id, today_cn())
    return Template("portal/agencies/home.html", context={**context, "error": error}, status_code=status)


@get("/", name="agency_home")
async def agency_home(request: Request) -> Template:
    return await _page(request)


@post("/keys/{key_id:int}/revoke", name="agency_revoke_key")
async def revoke_key(
    request: Request, key_id: int, data: Annotated[RevokeForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
) -> Template | Redirect:
    """R-14: an officer may revoke a key of its own agency (a leaked key at once); making keys is staff's."""
    try:
        done = await keys.revoke_key(key_id, data.reason, agency_id=principal_of(request).agency_id or -1)
    except keys.ApiKeyError as exc:
        return await _page(request, str(exc), 400)
    if not done:
        return await _page(request, "没有该密钥，或已吊销", 404)
    return Redirect("/agency", status_code=303)


agency_router = Router(
    path="/agency",
    route_handlers=[agency_home, revoke_key],
    guards=[require_roles(Role.AGENCY)],
    include_in_schema=False,
)
