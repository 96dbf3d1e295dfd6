"""``/staff/calendar``: credit-centre staff keep the holiday table for years the library lacks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from litestar import Request, Router, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from portal.accounts.tables import Role
from portal.calendar import service
from portal.lib.dates import today_cn
from portal.lib.params import parse_int
from portal.web.guards import principal_of, require_roles
from portal.web.params import OptionalNumber

Form = Body(media_type=RequestEncodingType.URL_ENCODED)


@dataclass
class DayForm:
    day: date
    kind: str
    name: str
    reason: str = ""


@dataclass
class ReasonForm:
    reason: str = ""


@dataclass
class YearForm:
    year: int
    source: str
    workdays: str = ""
    """The notice's count of make-up working days; a blank or non-number is named by the service."""


@dataclass
class ReopenForm:
    year: int
    reason: str = ""


def _count(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdecimal() and len(text) <= 3 else None


async def _page(year: int, error: str | None = None, status: int = 200) -> Template:
    if not service.FIRST_YEAR <= year <= service.LAST_YEAR:  # a refused out-of-range year: show next year
        year = today_cn().year + 1
    return Template(
        "portal/calendar/page.html", status_code=status, context={**await service.overview(year), "error": error}
    )


@get("/", name="calendar")
async def calendar_page(year: OptionalNumber = "") -> Template:
    return await _page(parse_int(year, "year", minimum=2004, maximum=2100) or today_cn().year + 1)


@post("/days", name="calendar_add_day")
async def add_day(request: Request, data: Annotated[DayForm, Form]) -> Template | Redirect:
    try:
        await service.add_day(data.day, data.kind == "workday", data.name, principal_of(request).username, data.reason)
    except service.CalendarError as exc:
        return await _page(data.day.year, str(exc), 400)
    return Redirect(f"/staff/calendar?year={data.day.year}", status_code=303)


@post("/days/{day:date}/delete", name="calendar_remove_day")
async def remove_day(request: Request, day: date, data: Annotated[ReasonForm, Form]) -> Template | Redirect:
    try:
        await service.remove_day(day, principal_of(request).username, data.reason)
    except service.CalendarError as exc:
        return await _page(day.year, str(exc), 400)
    return Redirect(f"/staff/calendar?year={day.year}", status_code=303)


@post("/years", name="calendar_confirm_year")
async def confirm_year(request: Request, data: Annotated[YearForm, Form]) -> Template | Redirect:
    try:
        await service.confirm_year(data.year, data.source, principal_of(request).username, _count(data.workdays))
    except service.CalendarError as exc:
        return await _page(data.year, str(exc), 400)
    return Redirect(f"/staff/calendar?year={data.year}", status_code=303)


@post("/years/reopen", name="calendar_reopen_year")
async def reopen_year(request: Request, data: Annotated[ReopenForm, Form]) -> Template | Redirect:
    try:
        await service.reopen_year(data.year, data.reason, principal_of(request).username)
    except service.CalendarError as exc:
        return await _page(data.year, str(exc), 400)
    return Redirect(f"/staff/calendar?year={data.year}", status_code=303)


calendar_router = Router(
    path="/staff/calendar",
    route_handlers=[calendar_page, add_day, remove_day, confirm_year, reopen_year],
    guards=[require_roles(Role.STAFF)],
    include_in_schema=False,
)
