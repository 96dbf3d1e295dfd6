"""``/agency/lists``: the deciding agency lists a subject on a red or black list and removes it;
``/staff/lists``: credit-centre staff see every entry and may remove one (R-P5, R-20).
Post/redirect/get; the ID number of a natural person travels only in a POST body."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Annotated

from litestar import Request, Router, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter
from litestar.response import Redirect, Template

from portal.accounts.tables import Role
from portal.agencies.service import all_active
from portal.lib.params import parse_int
from portal.lists import service, views
from portal.lists.tables import ListAction, ListType, RemovalReason
from portal.web.guards import principal_of, require_roles
from portal.web.params import OptionalNumber

__all__ = ["agency_lists_router", "staff_lists_router"]

Form = Body(media_type=RequestEncodingType.URL_ENCODED)
Id = Annotated[int | None, Parameter(ge=1, le=2**31 - 1)]
_DONE = {"list": "已列入名单并记录", "amend": "已变更并记录", "remove": "已移出名单并记录"}


@dataclass
class RemovalForm:
    reason: str = ""
    note: str = ""


def _actor(request: Request) -> service.Actor:
    p = principal_of(request)
    return service.Actor(p.account_id, p.username, None if p.role == Role.STAFF else p.agency_id)


def _context(**extra) -> dict:
    return {"list_types": ListType.LABELS, "removal_reasons": RemovalReason.LABELS,
            "actions": ListAction.LABELS, "states": views.STATES, **extra}  # fmt: skip


async def _agency_page(request: Request, before=None, error=None, form=None, status=200, done="") -> Template:
    agency_id = principal_of(request).agency_id
    if agency_id is None:
        return Template("portal/lists/agency.html", context=_context(no_agency=True), status_code=403)
    rows, next_before = await views.entries(views.Filters(agency_id=agency_id), before)
    context = _context(rows=rows, next_before=next_before, history=await views.history(agency_id), error=error,
                       form=form or {}, notice=_DONE.get(done), paged=before is not None)  # fmt: skip
    return Template("portal/lists/agency.html", context=context, status_code=status)


@get("/", name="agency_lists")
async def agency_page(request: Request, before: Id = None, done: str = "") -> Template:
    return await _agency_page(request, before, done=done)


@post("/", name="agency_lists_add")
async def agency_add(request: Request, data: Annotated[service.Listing, Form]) -> Template | Redirect:
    try:
        await service.list_subject(_actor(request), data)
    except service.ListError as exc:
        form = {k: v for k, v in asdict(data).items() if k != "id_number"}  # DESIGN rule 4
        return await _agency_page(request, error=exc.message, form=form, status=exc.status)
    return Redirect("/agency/lists?done=list", status_code=303)


@post("/{entry_id:int}/remove", name="agency_lists_remove")
async def agency_remove(request: Request, entry_id: int, data: Annotated[RemovalForm, Form]) -> Template | Redirect:
    try:
        await service.remove(_actor(request), entry_id, data.reason, data.note)
    except service.ListError as exc:
        return await _agency_page(request, error=exc.message, status=exc.status)
    return Redirect("/agency/lists?done=remove", status_code=303)


@dataclass
class AmendForm:
    measures: str = ""
    expires_on: str = ""
    reason: str = ""


@post("/{entry_id:int}/amend", name="agency_lists_amend")
async def agency_amend(request: Request, entry_id: int, data: Annotated[AmendForm, Form]) -> Template | Redirect:
    try:
        await service.amend(_actor(request), entry_id, data.measures, data.expires_on, data.reason)
    except service.ListError as exc:
        return await _agency_page(request, error=exc.message, status=exc.status)
    return Redirect("/agency/lists?done=amend", status_code=303)


async def _staff_page(filters: views.Filters, before=None, error=None, status=200, done="") -> Template:
    try:
        rows, next_before = await views.entries(filters, before)
    except service.ListError as exc:
        rows, next_before, error, status = [], None, exc.message, 400
    context = _context(rows=rows, next_before=next_before, filters=filters, agencies=await all_active(),
                       history=await views.history(filters.agency_id), error=error, notice=_DONE.get(done),
                       paged=before is not None)  # fmt: skip
    return Template("portal/lists/staff.html", context=context, status_code=status)


@get("/", name="staff_lists")
async def staff_page(
    list_type: str = "", shown: Annotated[str, Parameter(query="state")] = "", agency: OptionalNumber = "",
    before: OptionalNumber = "", done: str = "",
) -> Template:  # fmt: skip
    agency_id = parse_int(agency, "agency", minimum=1, maximum=2**31 - 1)  # "全部" sends agency=
    older = parse_int(before, "before", minimum=1, maximum=2**31 - 1)
    return await _staff_page(views.Filters(list_type, shown, agency_id), older, done=done)


@post("/{entry_id:int}/remove", name="staff_lists_remove")
async def staff_remove(request: Request, entry_id: int, data: Annotated[RemovalForm, Form]) -> Template | Redirect:
    try:
        await service.remove(_actor(request), entry_id, data.reason, data.note)
    except service.ListError as exc:
        return await _staff_page(views.Filters(), error=exc.message, status=exc.status)
    return Redirect("/staff/lists?done=remove", status_code=303)


agency_lists_router = Router(
    path="/agency/lists",
    route_handlers=[agency_page, agency_add, agency_amend, agency_remove],
    guards=[require_roles(Role.AGENCY)],
    include_in_schema=False,
)
staff_lists_router = Router(
    path="/staff/lists",
    route_handlers=[staff_page, staff_remove],
    guards=[require_roles(Role.STAFF)],
    include_in_schema=False,
)
