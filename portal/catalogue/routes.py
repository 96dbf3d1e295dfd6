"""``/staff/catalogue``: credit-centre staff keep the shared indicator catalogue (Z80 第二十六条), each
change with its reason and kept in the history. Post/redirect/get."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Request, Router, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body
from litestar.response import Redirect, Template

from portal.accounts.tables import Role
from portal.catalogue import service
from portal.records.categories import Polarity
from portal.web.guards import principal_of, require_roles

__all__ = ["catalogue_router"]

Form = Body(media_type=RequestEncodingType.URL_ENCODED)


@dataclass
class EntryForm:
    label: str = ""
    default_class: str = ""
    polarity: str = ""
    publicity_months: str = ""
    natural_class_a: str = ""
    masked_items: list[str] | str = ""
    """One ticked box arrives as a string, several as a list."""
    active: str = ""
    reason: str = ""
    version: int = 0


def _context() -> dict:
    return {"classes": service.CLASS_LABELS, "polarities": Polarity.LABELS, "maskable": service.MASKABLE}


@get("/", name="staff_catalogue")
async def catalogue_page(done: str = "") -> Template:
    context = {**_context(), "entries": await service.entries(), "history": await service.history(), "done": done}
    return Template("portal/staff/catalogue.html", context=context)


async def _entry_page(code: str, error: str | None = None, form=None, status: int = 200) -> Template:
    entry = await service.entry(code)
    if entry is None:
        raise NotFoundException("指标目录中没有这个类别")
    context = {**_context(), "e": entry, "history": await service.history(code), "error": error, "form": form}
    return Template("portal/staff/catalogue_entry.html", context=context, status_code=status)


@get("/{code:str}", name="staff_catalogue_entry")
async def entry_page(code: str) -> Template:
    return await _entry_page(code)


@post("/{code:str}", name="staff_catalogue_update")
async def update_entry(request: Request, code: str, data: Annotated[EntryForm, Form]) -> Template | Redirect:
    principal = principal_of(request)
    items = data.masked_items
    change = service.Change(
        label=data.label,
        default_class=data.default_class,
        polarity=data.polarity,
        publicity_months=data.publicity_months,
        natural_class_a=data.natural_class_a == "on",
        masked_items=([items] if items else []) if isinstance(items, str) else items,
        active=data.active == "on",
        reason=data.reason,
        version=data.version,
    )
    try:
        await service.update(service.Actor(principal.account_id, principal.username), code, change)
    except service.CatalogueError as exc:
        return await _entry_page(code, str(exc), change, 400)
    return Redirect(f"/staff/catalogue?done={code}", status_code=303)


catalogue_router = Router(
    path="/staff/catalogue",
    route_handlers=[catalogue_page, entry_page, update_entry],
    guards=[require_roles(Role.STAFF)],
    include_in_schema=False,
)
