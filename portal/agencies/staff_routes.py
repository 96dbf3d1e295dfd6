"""``/staff/agencies``: staff keep the providing agencies and their systems' API keys (R-12, R-14).
A new key is shown once, on the response page (no-store), and never stored or logged."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from litestar import Request, Router, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body
from litestar.response import Redirect, Template

from portal.accounts.tables import Role
from portal.agencies import service
from portal.ingest import keys
from portal.records.categories import CATEGORIES
from portal.web.guards import principal_of, require_roles

__all__ = ["staff_agencies_router"]

Form = Body(media_type=RequestEncodingType.URL_ENCODED)
NO_STORE = {"Cache-Control": "no-store"}


@dataclass
class AgencyForm:
    code: str
    name: str
    parent: str = ""


@dataclass
class KeyForm:
    name: str = ""
    days: int = keys.DEFAULT_DAYS
    categories: list[str] = field(default_factory=list)


@dataclass
class ReasonForm:
    reason: str = ""


async def _list(error: str | None = None, status: int = 200, form: dict | None = None) -> Template:
    context = {"agencies": await service.overview(), "error": error, "form": form or {}}
    return Template("portal/agencies/staff_list.html", context=context, status_code=status)


async def _detail(agency_id: int, error: str | None = None, status: int = 200) -> Template:
    agency = await service.by_id(agency_id)
    if agency is None:
        raise NotFoundException()
    context = {
        "agency": agency,
        "keys": await keys.keys_of(agency_id),
        "categories": [(c.code, c.label) for c in CATEGORIES.values()],
        "default_days": keys.DEFAULT_DAYS,
        "max_days": keys.MAX_DAYS,
        "error": error,
    }
    return Template("portal/agencies/staff_detail.html", context=context, status_code=status)


def _shown_once(agency: dict, key: str, row: dict) -> Template:
    context = {"agency": agency, "key": key, "row": row}
    return Template("portal/agencies/staff_key.html", context=context, headers=NO_STORE)


@get("/", name="staff_agencies")
async def agency_list() -> Template:
    return await _list()


@post("/", name="staff_agency_create")
async def create_agency(data: Annotated[AgencyForm, Form]) -> Template | Redirect:
    try:
        agency_id = await service.create_agency(data.code, data.name, data.parent)
    except service.AgencyError as exc:
        return await _list(str(exc), 400, vars(data))
    return Redirect(f"/staff/agencies/{agency_id}", status_code=303)


@get("/{agency_id:int}", name="staff_agency")
async def agency_detail(agency_id: int) -> Template:
    return await _detail(agency_id)


@post("/{agency_id:int}/keys", name="staff_key_create")
async def create_key(request: Request, agency_id: int, data: Annotated[KeyForm, Form]) -> Template:
    agency = await service.by_id(agency_id)
    if agency is None:
        raise NotFoundException()
    wanted = [data.categories] if isinstance(data.categories, str) else data.categories
    try:
        key, row = await keys.create_key(agency["code"], wanted, data.name, principal_of(request).username, data.days)
    except keys.ApiKeyError as exc:
        return await _detail(agency_id, str(exc), 400)
    return _shown_once(agency, key, row)


@post("/{agency_id:int}/keys/{key_id:int}/rotate", name="staff_key_rotate")
async def rotate_key(request: Request, agency_id: int, key_id: int) -> Template:
    agency = await service.by_id(agency_id)
    if agency is None or not any(k["id"] == key_id for k in await keys.keys_of(agency_id)):
        raise NotFoundException()
    try:
        key, row = await keys.rotate_key(key_id, principal_of(request).username)
    except keys.ApiKeyError as exc:
        return await _detail(agency_id, str(exc), 400)
    return _shown_once(agency, key, row)


@post("/{agency_id:int}/keys/{key_id:int}/revoke", name="staff_key_revoke")
async def revoke_key(agency_id: int, key_id: int, data: Annotated[ReasonForm, Form]) -> Template | Redirect:
    try:
        done = await keys.revoke_key(key_id, data.reason, agency_id=agency_id)
    except keys.ApiKeyError as exc:
        return await _detail(agency_id, str(exc), 400)
    if not done:
        return await _detail(agency_id, "没有该密钥，或已吊销", 404)
    return Redirect(f"/staff/agencies/{agency_id}", status_code=303)


staff_agencies_router = Router(
    path="/staff/agencies",
    route_handlers=[agency_list, create_agency, agency_detail, create_key, rotate_key, revoke_key],
    guards=[require_roles(Role.STAFF)],
    include_in_schema=False,
)
