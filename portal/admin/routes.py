"""``/admin/accounts`` (administrators only)."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, Router, get, post
from litestar.exceptions import ValidationException
from litestar.params import Parameter
from litestar.response import Redirect, Template

from portal.accounts.tables import Role
from portal.admin import service
from portal.web.guards import principal_of, require_roles


@get("/accounts", name="admin_accounts")
async def accounts(after: Annotated[int, Parameter(ge=0)] = 0) -> Template:
    rows = await service.list_accounts(after, 50)
    return Template(
        "portal/admin/accounts.html",
        context={"accounts": rows, "next_after": rows[-1]["id"] if len(rows) == 50 else None},
    )


@post("/accounts/{account_id:int}/{action:str}", name="admin_account_action")
async def account_action(request: Request, account_id: int, action: str) -> Redirect:
    if action not in ("activate", "deactivate"):
        raise ValidationException("未知操作")
    try:
        await service.set_active(account_id, action == "activate", principal_of(request).account_id)
    except ValueError as exc:
        raise ValidationException(str(exc)) from exc
    return Redirect("/admin/accounts", status_code=303)


admin_router = Router(
    path="/admin",
    route_handlers=[accounts, account_action],
    guards=[require_roles(Role.ADMIN)],
    include_in_schema=False,
)
