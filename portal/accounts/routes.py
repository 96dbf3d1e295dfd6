"""Login, logout, registration and the account page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Request, Router, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from portal.accounts import devices, registration, service
from portal.accounts.profile import account_overview
from portal.accounts.sessions import create_session, end_session
from portal.accounts.tables import Role
from portal.accounts.throttle import wait_text
from portal.proofs import reveal
from portal.proofs.service import ProofError
from portal.queries.context import request_id
from portal.settings import get_settings
from portal.web.client import client_address
from portal.web.guards import principal_of, require_login, require_roles
from portal.web.middleware import session_token

Form = Body(media_type=RequestEncodingType.URL_ENCODED)


@dataclass
class LoginForm:
    username: str
    password: str
    next: str = "/account"


@dataclass
class RegisterForm:
    kind: str
    username: str
    password: str
    password2: str
    name: str = ""
    id_number: str = ""
    uscc: str = ""
    company: str = ""


def _safe_next(target: str) -> str:
    # Only same-site paths: "//evil.example" or "/\evil" would leave the site.
    if target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/account"


def _with_session(response, token: str):
    settings = get_settings()
    response.set_cookie(
        key=settings.session_cookie,
        value=token,
        httponly=True,
        secure=settings.production,
        samesite="lax",
        path="/",
        max_age=settings.session_absolute_seconds,
    )
    return response


@get("/login", name="login")
async def login_page(next: str = "/account") -> Template:
    return Template("portal/accounts/login.html", context={"next": _safe_next(next), "error": None})


def _with_device(response, token: str | None):
    if token:  # this browser now knows the account: strangers' guesses no longer slow it down
        response.set_cookie(
            key=devices.cookie_name(),
            value=token,
            httponly=True,
            secure=get_settings().production,
            samesite="strict",
            path="/",
            max_age=devices.MAX_AGE,
        )
    return response


def throttled_page(template: str, exc: service.Throttled, context: dict) -> Template:
    error = f"尝试次数过多，请在 {wait_text(exc.retry_after)}后再试"
    return Template(
        template,
        status_code=429,
        headers={"Retry-After": str(exc.retry_after)},
        context={**context, "error": error},
    )


@post("/login", name="login_submit")
async def login(request: Request, data: Annotated[LoginForm, Form]) -> Template | Redirect:
    device = request.cookies.get(devices.cookie_name())
    try:
        found = await service.authenticate(data.username, data.password, client_address(request), device)
    except service.Throttled as exc:
        return throttled_page(
            "portal/accounts/login.html", exc, {"next": _safe_next(data.next), "username": data.username}
        )
    if found is None:
        return Template(
            "portal/accounts/login.html",
            status_code=400,
            context={"next": _safe_next(data.next), "error": "用户名或密码错误", "username": data.username},
        )
    # A new session id at every login; the one presented before login is ended (fixation).
    token = await create_session(found.account_id, replaces=session_token(request.scope))
    return _with_device(_with_session(Redirect(_safe_next(data.next), status_code=303), token), found.device_token)


@post("/logout", name="logout")
async def logout(request: Request) -> Redirect:
    await end_session(session_token(request.scope))
    response = Redirect("/", status_code=303)
    response.delete_cookie(get_settings().session_cookie, path="/")
    return response


@get("/register", name="register")
async def register_page(kind: str = "citizen") -> Template:
    kind = kind if kind in ("citizen", "enterprise") else "citizen"
    return Template("portal/accounts/register.html", context={"kind": kind, "error": None, "form": {}})


@post("/register", name="register_submit")
async def register(data: Annotated[RegisterForm, Form]) -> Template | Redirect:
    kind = data.kind if data.kind in ("citizen", "enterprise") else "citizen"
    try:
        if data.password != data.password2:
            raise service.AccountError("两次输入的密码不一致")
        if kind == "citizen":
            await registration.register_citizen(data.username, data.password, data.name, data.id_number)
        else:
            await registration.register_enterprise(data.username, data.password, data.uscc, data.name, data.company)
    except service.AccountError as exc:
        # Never echo the ID number back into the page.
        form = {"username": data.username, "name": data.name, "uscc": data.uscc, "company": data.company}
        return Template(
            "portal/accounts/register.html", status_code=400, context={"kind": kind, "error": str(exc), "form": form}
        )
    return Redirect("/login?registered=1", status_code=303)


@get("/account", name="account", guards=[require_login])
async def account(request: Request) -> Template:
    return Template("portal/accounts/account.html", context=await account_overview(principal_of(request)))


@post("/account/id-number", name="account_id_number", guards=[require_roles(Role.CITIZEN)])
async def account_id_number(request: Request) -> Template:
    """The owner's full ID number, on request: recorded first, never cached (R-17, R-28)."""
    principal = principal_of(request)
    context = await account_overview(principal)
    try:
        context["id_number"] = await reveal.number_for_owner(principal, request_id(request))
    except ProofError as exc:
        return Template("portal/accounts/account.html", context={**context, "error": str(exc)}, status_code=403)
    return Template("portal/accounts/account.html", context=context, headers={"Cache-Control": "no-store"})


@dataclass
class PasswordForm:
    current: str
    password: str
    password2: str


@get("/account/password", name="account_password", guards=[require_login])
async def password_page() -> Template:
    return Template("portal/accounts/password.html", context={"error": None})


@post("/account/password", name="account_password_submit", guards=[require_login])
async def change_password(request: Request, data: Annotated[PasswordForm, Form]) -> Template | Redirect:
    me = principal_of(request)
    try:
        token = await service.change_password(
            me.account_id, data.current, data.password, data.password2, client_address(request)
        )
    except service.Throttled as exc:
        return throttled_page("portal/accounts/password.html", exc, {})
    except service.AccountError as exc:
        return Template("portal/accounts/password.html", status_code=400, context={"error": str(exc)})
    return _with_session(Redirect("/account?changed=1", status_code=303), token)


accounts_router = Router(
    path="/",
    route_handlers=[
        login_page,
        login,
        logout,
        register_page,
        register,
        account,
        account_id_number,
        password_page,
        change_password,
    ],
    include_in_schema=False,
)
