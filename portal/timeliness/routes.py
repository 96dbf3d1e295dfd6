"""``/staff/timeliness``: every agency's scorecard, the escalation list, periodic-report
obligations and 催报 (R-12, R-13); and ``/agency/urges/…``: an agency's own 催报 PDF."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from litestar import Request, Response, Router, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body
from litestar.response import Redirect, Template

from portal.accounts.tables import Role
from portal.lib.dates import today_cn
from portal.records.categories import CATEGORIES
from portal.timeliness import service, urges
from portal.timeliness.tables import Period
from portal.uploads.names import content_disposition
from portal.web.guards import principal_of, require_roles

__all__ = ["timeliness_router", "agency_urges_router"]

Form = Body(media_type=RequestEncodingType.URL_ENCODED)
SORT_LABELS = {
    "code": "部门代码",
    "rate": "按时率",
    "late": "迟报条数",
    "completeness": "完整率",
    "rejection": "退回率",
}


@dataclass
class ObligationForm:
    category: str
    period: str
    starts_on: date


@get("/", name="timeliness")
async def overview(sort: str = "code") -> Template:
    try:
        cards = await service.scorecards(today_cn(), sort)
    except service.TimelinessError as exc:
        return Template("portal/timeliness/error.html", context={"error": str(exc)}, status_code=400)
    context = {"cards": cards, "sort": sort, "sorts": SORT_LABELS, "escalations": [c for c in cards if c["escalate"]]}
    return Template("portal/timeliness/staff.html", context=context)


async def _agency_page(agency_id: int, error: str | None = None, status: int = 200) -> Template:
    card = await service.scorecard(agency_id, today_cn())
    if card is None:
        raise NotFoundException()
    context = {
        "card": card,
        "obligations": await service.obligations_of(agency_id),
        "urges": await urges.urges_of(agency_id),
        "categories": [(c.code, c.label) for c in CATEGORIES.values()],
        "periods": Period.LABELS,
        "error": error,
    }
    return Template("portal/timeliness/agency.html", context=context, status_code=status)


@get("/{agency_id:int}", name="timeliness_agency")
async def agency_page(agency_id: int) -> Template:
    return await _agency_page(agency_id)


@post("/{agency_id:int}/obligations", name="timeliness_add_obligation")
async def add_obligation(
    request: Request, agency_id: int, data: Annotated[ObligationForm, Form]
) -> Template | Redirect:
    try:
        actor = principal_of(request).username
        await service.add_obligation(agency_id, data.category, data.period, data.starts_on, actor)
    except service.TimelinessError as exc:
        return await _agency_page(agency_id, str(exc), 400)
    return Redirect(f"/staff/timeliness/{agency_id}", status_code=303)


@post("/{agency_id:int}/obligations/{obligation_id:int}/end", name="timeliness_end_obligation")
async def end_obligation(agency_id: int, obligation_id: int) -> Redirect:
    await service.end_obligation(agency_id, obligation_id)
    return Redirect(f"/staff/timeliness/{agency_id}", status_code=303)


@post("/{agency_id:int}/urges", name="timeliness_issue_urge")
async def issue_urge(request: Request, agency_id: int) -> Template | Redirect:
    try:
        await urges.issue(agency_id, principal_of(request).username, today_cn())
    except service.TimelinessError as exc:
        return await _agency_page(agency_id, str(exc), 400)
    return Redirect(f"/staff/timeliness/{agency_id}", status_code=303)


@post("/{agency_id:int}/urges/{urge_id:int}/send", name="timeliness_send_urge")
async def send_urge(agency_id: int, urge_id: int) -> Template | Redirect:
    try:
        await urges.send(urge_id)
    except service.TimelinessError as exc:
        return await _agency_page(agency_id, str(exc), 400)
    return Redirect(f"/staff/timeliness/{agency_id}", status_code=303)


async def _pdf(urge_id: int, agency_id: int | None) -> Response:
    found = await urges.pdf_of(urge_id, agency_id)
    if found is None:
        raise NotFoundException()
    name, pdf = found
    headers = {"content-disposition": content_disposition(name), "cache-control": "no-store"}
    return Response(pdf, media_type="application/pdf", headers=headers)


@get("/urges/{urge_id:int}/notice.pdf", name="timeliness_urge_pdf")
async def staff_urge_pdf(urge_id: int) -> Response:
    return await _pdf(urge_id, None)


@get("/agency/urges/{urge_id:int}/notice.pdf", name="agency_urge_pdf", guards=[require_roles(Role.AGENCY)])
async def agency_urge_pdf(request: Request, urge_id: int) -> Response:
    """An officer's own agency's 催报 only; another agency's is a 404."""
    return await _pdf(urge_id, principal_of(request).agency_id or -1)


timeliness_router = Router(
    path="/staff/timeliness",
    route_handlers=[overview, agency_page, add_obligation, end_obligation, issue_urge, send_urge, staff_urge_pdf],
    guards=[require_roles(Role.STAFF)],
    include_in_schema=False,
)
agency_urges_router = Router(path="/", route_handlers=[agency_urge_pdf], include_in_schema=False)
