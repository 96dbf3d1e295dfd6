"""``/staff/measures``: the 联合奖惩措施清单 staff keep (R-P5), with each measure's versions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Request, Router, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body
from litestar.response import Redirect, Template

from portal.accounts.tables import Role
from portal.lists.tables import ListType
from portal.products.checks import measures
from portal.products.checks.tables import MeasureStatus
from portal.web.guards import principal_of, require_roles

__all__ = ["measures_router"]

Form = Body(media_type=RequestEncodingType.URL_ENCODED)


@dataclass
class MeasureForm:
    list_type: str = ""
    domain: str = ""
    content: str = ""
    basis: str = ""
    note: str = ""


async def _page(error=None, form=None, status=200) -> Template:
    context = {
        "rows": await measures.catalogue(),
        "domains": measures.DOMAINS,
        "list_types": ListType.LABELS,
        "error": error,
        "form": form or {},
    }
    return Template("portal/checks/measures.html", context=context, status_code=status)


@get("/", name="measures")
async def catalogue_page() -> Template:
    return await _page()


@post("/")
async def add_measure(request: Request, data: Annotated[MeasureForm, Form]) -> Template | Redirect:
    try:
        await measures.add(data.list_type, data.domain, data.content, data.basis, principal_of(request).username)
    except measures.MeasureError as exc:
        return await _page(str(exc), vars(data), status=400)
    return Redirect("/staff/measures", status_code=303)


async def _history(code: str, error=None, status=200) -> Template:
    rows = await measures.history(code)
    if not rows:
        raise NotFoundException("没有该措施")
    context = {
        "rows": rows,
        "code": code,
        "domains": measures.DOMAINS,
        "list_types": ListType.LABELS,
        "statuses": MeasureStatus.LABELS,
        "error": error,
    }
    return Template("portal/checks/measure.html", context=context, status_code=status)


@get("/{code:str}", name="measure_history")
async def measure_history(code: str) -> Template:
    return await _history(code)


@post("/{code:str}/revise")
async def revise_measure(request: Request, code: str, data: Annotated[MeasureForm, Form]) -> Template | Redirect:
    try:
        await measures.revise(code, data.domain, data.content, data.basis, data.note, principal_of(request).username)
    except measures.MeasureError as exc:
        return await _history(code, str(exc), status=400)
    return Redirect(f"/staff/measures/{code}", status_code=303)


@post("/{code:str}/withdraw")
async def withdraw_measure(request: Request, code: str, data: Annotated[MeasureForm, Form]) -> Template | Redirect:
    try:
        await measures.withdraw(code, data.note, principal_of(request).username)
    except measures.MeasureError as exc:
        return await _history(code, str(exc), status=400)
    return Redirect(f"/staff/measures/{code}", status_code=303)


measures_router = Router(
    path="/staff/measures",
    route_handlers=[catalogue_page, add_measure, measure_history, revise_measure, withdraw_measure],
    guards=[require_roles(Role.STAFF)],
    include_in_schema=False,
)
