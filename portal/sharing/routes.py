"""``/staff/sharing``: credit-centre staff keep the class-C sharing rules (R-15), each change with
its legal basis and kept in the history (SPEC §5). Post/redirect/get."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Annotated

from litestar import Request, Router, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter
from litestar.response import Redirect, Template

from portal.accounts.tables import Role
from portal.sharing import service
from portal.sharing.tables import ChangeAction, RuleKind
from portal.web.guards import principal_of, require_roles

__all__ = ["sharing_router"]

Form = Body(media_type=RequestEncodingType.URL_ENCODED)
_DONE = {"grant": "已授予并记录变更", "amend": "已修改依据并记录变更", "revoke": "已撤销并记录变更"}


@dataclass
class CategoryForm:
    category: str = ""
    action: str = ""
    legal_basis: str = ""


@dataclass
class GrantForm:
    agency_id: str = ""
    category: str = ""
    action: str = ""
    legal_basis: str = ""


def _actor(request: Request) -> service.Actor:
    principal = principal_of(request)
    return service.Actor(principal.account_id, principal.username)


async def _page(before: int | None = None, error=None, forms=None, status: int = 200, done: str = "") -> Template:
    rows, next_before = await service.history(before)
    context = {
        **await service.overview(),
        "history": rows,
        "next_before": next_before,
        "paged": before is not None,
        "error": error,
        "notice": _DONE.get(done),
        "forms": forms or {},
        "actions": ChangeAction.LABELS,
        "rules": RuleKind.LABELS,
    }
    return Template("portal/staff/sharing.html", context=context, status_code=status)


@get("/", name="staff_sharing")
async def sharing_page(before: Annotated[int | None, Parameter(ge=1, le=2**31 - 1)] = None, done: str = "") -> Template:
    return await _page(before, done=done)


@post("/categories", name="staff_sharing_category")
async def change_category(request: Request, data: Annotated[CategoryForm, Form]) -> Template | Redirect:
    try:
        if data.action == "grant":
            done = await service.mark_shareable(_actor(request), data.category, data.legal_basis)
        elif data.action == "revoke":
            await service.unmark_shareable(_actor(request), data.category, data.legal_basis)
            done = ChangeAction.REVOKE
        else:
            raise service.SharingError("请选择操作：标记为可共享或取消标记")
    except service.SharingError as exc:
        return await _page(error=str(exc), forms={"category": asdict(data)}, status=400)
    return Redirect(f"/staff/sharing?done={done}", status_code=303)


@post("/grants", name="staff_sharing_grant")
async def change_grant(request: Request, data: Annotated[GrantForm, Form]) -> Template | Redirect:
    try:
        if data.action == "grant":
            done = await service.grant_agency(_actor(request), data.agency_id, data.category, data.legal_basis)
        elif data.action == "revoke":
            await service.revoke_agency(_actor(request), data.agency_id, data.category, data.legal_basis)
            done = ChangeAction.REVOKE
        else:
            raise service.SharingError("请选择操作：授予或撤销")
    except service.SharingError as exc:
        return await _page(error=str(exc), forms={"grant": asdict(data)}, status=400)
    return Redirect(f"/staff/sharing?done={done}", status_code=303)


sharing_router = Router(
    path="/staff/sharing",
    route_handlers=[sharing_page, change_category, change_grant],
    guards=[require_roles(Role.STAFF)],
    include_in_schema=False,
)
