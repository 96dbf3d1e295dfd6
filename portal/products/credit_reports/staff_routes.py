"""``/staff/credit-agencies``: the registry of credit-service agencies staff keep (R-P3; KS 第二十条、
第二十六条), and ``/credit-agencies``: the public 名录."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from litestar import Request, Router, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body
from litestar.response import Redirect, Template

from portal.accounts.tables import Role
from portal.lib.dates import today_cn
from portal.products.credit_reports import registry, service
from portal.products.credit_reports.tables import AgencyStatus
from portal.web.guards import principal_of, require_roles

__all__ = ["staff_credit_agencies_router", "credit_agency_directory_router"]

Form = Body(media_type=RequestEncodingType.URL_ENCODED)
_DIR = "portal/products/credit_reports"


@dataclass
class RegisterForm:
    name: str = ""
    uscc: str = ""
    filing_no: str = ""
    registered_on: date | None = None
    business_scope: str = ""
    contact: str = ""


@dataclass
class StatusForm:
    action: str = ""
    reason: str = ""


@dataclass
class MemberForm:
    username: str = ""


async def _list_page(error: str | None = None, form: dict | None = None, status: int = 200) -> Template:
    context = {
        "agencies": await registry.all_agencies(),
        "statuses": AgencyStatus.LABELS,
        "error": error,
        "form": form or {},
    }
    return Template(f"{_DIR}/staff_list.html", context=context, status_code=status)


@get("/", name="credit_agencies")
async def agency_list() -> Template:
    return await _list_page()


@post("/", name="credit_agency_register")
async def register(request: Request, data: Annotated[RegisterForm, Form]) -> Template | Redirect:
    try:
        agency_id = await registry.register(
            registry.AgencyForm(**vars(data)), principal_of(request).username, today_cn()
        )
    except registry.RegistryError as exc:
        return await _list_page(str(exc), vars(data), 400)
    return Redirect(f"/staff/credit-agencies/{agency_id}", status_code=303)


async def _detail_page(agency_id: int, error: str | None = None, status: int = 200) -> Template:
    agency = await registry.detail(agency_id)
    if agency is None:
        raise NotFoundException()
    context = {
        "agency": agency,
        "statuses": AgencyStatus.LABELS,
        "actions": registry.ACTIONS,
        "action_labels": registry.ACTION_LABELS,
        "reports": await service.for_agency(agency_id, today_cn()),  # its report records (R-P3)
        "error": error,
    }
    return Template(f"{_DIR}/staff_detail.html", context=context, status_code=status)


@get("/{agency_id:int}", name="credit_agency")
async def agency_detail(agency_id: int) -> Template:
    return await _detail_page(agency_id)


@post("/{agency_id:int}/status", name="credit_agency_status")
async def change_status(request: Request, agency_id: int, data: Annotated[StatusForm, Form]) -> Template | Redirect:
    try:
        await registry.change_status(agency_id, data.action, data.reason, principal_of(request).username)
    except registry.RegistryError as exc:
        return await _detail_page(agency_id, str(exc), 400)
    return Redirect(f"/staff/credit-agencies/{agency_id}", status_code=303)


@post("/{agency_id:int}/members", name="credit_agency_member_add")
async def add_member(request: Request, agency_id: int, data: Annotated[MemberForm, Form]) -> Template | Redirect:
    try:
        await registry.link_member(agency_id, data.username, principal_of(request).username)
    except registry.RegistryError as exc:
        return await _detail_page(agency_id, str(exc), 400)
    return Redirect(f"/staff/credit-agencies/{agency_id}", status_code=303)


@post("/{agency_id:int}/members/{account_id:int}/remove", name="credit_agency_member_remove")
async def remove_member(agency_id: int, account_id: int) -> Redirect:
    await registry.unlink_member(agency_id, account_id)
    return Redirect(f"/staff/credit-agencies/{agency_id}", status_code=303)


@get("/credit-agencies", name="credit_agency_directory")
async def public_directory() -> Template:
    context = {"agencies": await registry.directory(), "statuses": AgencyStatus.LABELS}
    return Template(f"{_DIR}/directory.html", context=context)


staff_credit_agencies_router = Router(
    path="/staff/credit-agencies",
    route_handlers=[agency_list, register, agency_detail, change_status, add_member, remove_member],
    guards=[require_roles(Role.STAFF)],
    include_in_schema=False,
)
credit_agency_directory_router = Router(path="/", route_handlers=[public_directory], include_in_schema=False)
