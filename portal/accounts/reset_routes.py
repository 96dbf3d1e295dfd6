"""Password reset: staff issue a one-time link at the counter, or the owner asks for one by e-mail
(``/password/forgot``); either way the owner sets a new password on the link's page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Request, Router, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from portal.accounts import forgot, recovery, throttle
from portal.accounts.service import AccountError
from portal.accounts.tables import Role
from portal.web.client import client_address
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


async def _reset_page(kind: recovery.LinkKind, action: str, token: str) -> Template:
    valid = await recovery.reset_target(token, kind) is not None
    context = {"action": action, "error": None if valid else kind.invalid, "valid": valid}
    return Template("portal/accounts/reset.html", status_code=200 if valid else 400, context=context, headers=_NO_STORE)


async def _reset(kind: recovery.LinkKind, action: str, token: str, data: ResetForm) -> Template | Redirect:
    try:
        await recovery.reset_password(token, data.password, data.password2, kind)
    except AccountError as exc:
        valid = await recovery.reset_target(token, kind) is not None
        context = {"action": action, "error": str(exc), "valid": valid}
        return Template("portal/accounts/reset.html", status_code=400, context=context, headers=_NO_STORE)
    return Redirect("/login?reset=1", status_code=303)


@get("/reset/{token:str}", name="password_reset")
async def reset_page(token: str) -> Template:
    return await _reset_page(recovery.COUNTER, f"/reset/{token}", token)


@post("/reset/{token:str}", name="password_reset_submit")
async def reset(token: str, data: Annotated[ResetForm, Form]) -> Template | Redirect:
    return await _reset(recovery.COUNTER, f"/reset/{token}", token, data)


@dataclass
class ForgotForm:
    identifier: str = ""


@get("/password/forgot", name="password_forgot")
async def forgot_page() -> Template:
    return Template("portal/accounts/forgot.html", context={"error": None, "done": False})


@post("/password/forgot", name="password_forgot_submit")
async def forgot_submit(request: Request, data: Annotated[ForgotForm, Form]) -> Template:
    base = public_base_url(request)  # never the raw Host header (DESIGN rule 9)
    try:
        await forgot.request_link(data.identifier, client_address(request), base)
    except throttle.Throttled as exc:
        error = f"请求过于频繁，请在 {throttle.wait_text(exc.retry_after)}后再试"
        headers = {"Retry-After": str(exc.retry_after)}
        return Template("portal/accounts/forgot.html", status_code=429, headers=headers, context={"error": error})
    except AccountError as exc:
        return Template("portal/accounts/forgot.html", status_code=400, context={"error": str(exc), "done": False})
    return Template("portal/accounts/forgot.html", context={"error": None, "done": True, "answer": forgot.ANSWER})


@get("/password/reset/{token:str}", name="password_mail_reset")
async def mail_reset_page(token: str) -> Template:
    return await _reset_page(forgot.MAIL, f"/password/reset/{token}", token)


@post("/password/reset/{token:str}", name="password_mail_reset_submit")
async def mail_reset(token: str, data: Annotated[ResetForm, Form]) -> Template | Redirect:
    return await _reset(forgot.MAIL, f"/password/reset/{token}", token, data)


password_reset_router = Router(
    path="/",
    route_handlers=[
        issue_page,
        issue,
        reset_page,
        reset,
        forgot_page,
        forgot_submit,
        mail_reset_page,
        mail_reset,
    ],
    include_in_schema=False,
)
