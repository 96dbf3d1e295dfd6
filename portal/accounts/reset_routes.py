"""Password reset at the counter: staff issue a one-time link, the owner sets a new password."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Request, Router, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from portal.accounts import recovery
from portal.accounts.service import AccountError
from portal.accounts.tables import Role
from portal.web.guards import principal_of, require_roles
from portal.web.middleware import public_base_url

__all__ = ["password_reset_router"]

Form = Body(media_type=RequestEncodingType.URL_ENCODED)
_STAFF = require_roles(Role.STAFF)
_NO_STORE = {"Cache-Control": "no-store"}  # the page carries a live credential


@dataclass
class IssueForm:
    username: str
    id_number: str = ""
    checked: str = ""


@dataclass
class ResetForm:
    password: str
    password2: str


@get("/staff/password-reset", name="staff_password_reset", guards=[_STAFF])
async def issue_page() -> Template:
    return Template("portal/staff/password_reset.html", context={"error": None, "link": None})


@post("/staff/password-reset", name="staff_password_reset_issue", guards=[_STAFF])
async def issue(request: Request, data: Annotated[IssueForm, Form]) -> Template:
    try:
        token = await recovery.issue_reset_link(
            principal_of(request).account_id, data.username, data.id_number, data.checked == "yes"
        )
    except AccountError as exc:  # the ID number is never echoed back
        context = {"error": str(exc), "link": None, "username": data.username}
        return Template("portal/staff/password_reset.html", status_code=400, context=context)
    base = public_base_url(request).rstrip("/")  # never the raw Host header (DESIGN rule 9)
    link = f"{base}/reset/{token}"  # shown this once; not stored anywhere
    context = {"error": None, "link": link, "username": data.username.strip().lower()}
    return Template("portal/staff/password_reset.html", context=context, headers=_NO_STORE)


@get("/reset/{token:str}", name="password_reset")
async def reset_page(token: str) -> Template:
    valid = await recovery.reset_target(token) is not None
    context = {"token": token, "error": None if valid else recovery.INVALID, "valid": valid}
    return Template("portal/accounts/reset.html", status_code=200 if valid else 400, context=context, headers=_NO_STORE)


@post("/reset/{token:str}", name="password_reset_submit")
async def reset(token: str, data: Annotated[ResetForm, Form]) -> Template | Redirect:
    try:
        await recovery.reset_password(token, data.password, data.password2)
    except AccountError as exc:
        valid = await recovery.reset_target(token) is not None
        context = {"token": token, "error": str(exc), "valid": valid}
        return Template("portal/accounts/reset.html", status_code=400, context=context, headers=_NO_STORE)
    return Redirect("/login?reset=1", status_code=303)


password_reset_router = Router(path="/", route_handlers=[issue_page, issue, reset_page, reset], include_in_schema=False)
