"""Pages a government portal's visitors expect: 政策法规, 通知公告, 办事指南, 帮助, and the
长辈版 switch; ``/staff/announcements`` for staff to publish and withdraw notices."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from litestar import Request, Router, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, Parameter
from litestar.response import Redirect, Template

from portal.accounts.tables import Role
from portal.content import policies, service
from portal.web.guards import principal_of, require_roles

__all__ = ["content_router", "staff_announcements_router", "ELDER_COOKIE"]

Form = Body(media_type=RequestEncodingType.URL_ENCODED)
Id = Annotated[int, Parameter(ge=1, le=2**31 - 1)]
ELDER_COOKIE = "elder"
ONE_YEAR = 365 * 24 * 3600


@get("/policies", name="policies")
async def policy_list() -> Template:
    return Template("portal/content/policies.html", context={"policies": policies.POLICIES})


@get("/policies/{slug:str}", name="policy")
async def policy_page(slug: str) -> Template:
    found = policies.policy(slug[:40])
    if found is None:
        raise NotFoundException("没有该政策文件")
    return Template("portal/content/policy.html", context={"policy": found, "blocks": policies.blocks(found.slug)})


@get("/guide", name="guide")
async def guide() -> Template:
    return Template("portal/content/guide.html")


@get("/help", name="help")
async def help_page() -> Template:
    return Template("portal/content/help.html")


@get("/announcements", name="announcements")
async def announcements(before: Annotated[int | None, Parameter(ge=1, le=2**31 - 1)] = None) -> Template:
    rows, next_before = await service.published(before)
    return Template("portal/content/announcements.html", context={"rows": rows, "next_before": next_before})


@get("/announcements/{announcement_id:int}", name="announcement")
async def announcement(announcement_id: Id) -> Template:
    row = await service.one(announcement_id)
    if row is None:
        raise NotFoundException("没有该公告，或已撤下")
    return Template("portal/content/announcement.html", context={"row": row})


@dataclass
class ElderForm:
    on: str = ""
    back: str = "/"


def _same_site_path(value: str) -> str:
    """Only a path on this site (no scheme, no host, no //evil.example) to go back to."""
    parts = urlsplit(value or "/")
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return "/"
    return parts.path + (f"?{parts.query}" if parts.query else "")


@post("/preferences/elder", name="elder_mode")
async def elder_mode(data: Annotated[ElderForm, Form]) -> Redirect:
    """长辈版: large text and high contrast, remembered by a cookie (no account needed)."""
    response = Redirect(_same_site_path(data.back), status_code=303)
    if data.on == "1":
        response.set_cookie(ELDER_COOKIE, "1", max_age=ONE_YEAR, httponly=True, samesite="lax", path="/")
    else:
        response.delete_cookie(ELDER_COOKIE, path="/")
    return response


@dataclass
class AnnouncementForm:
    title: str = ""
    body: str = ""


@dataclass
class WithdrawForm:
    reason: str = ""


async def _staff_page(error: str | None = None, form: dict | None = None, done: str = "", status: int = 200):
    context = {"rows": await service.all_for_staff(), "error": error, "form": form or {}, "done": done}
    return Template("portal/content/staff_announcements.html", context=context, status_code=status)


@get("/", name="staff_announcements")
async def staff_page(done: Annotated[str, Parameter(max_length=20)] = "") -> Template:
    return await _staff_page(done=done)


@post("/", name="staff_announcements_publish")
async def staff_publish(request: Request, data: Annotated[AnnouncementForm, Form]) -> Template | Redirect:
    p = principal_of(request)
    try:
        await service.publish(data.title, data.body, p.account_id, p.display_name or p.username)
    except service.AnnouncementError as exc:
        return await _staff_page(exc.message, {"title": data.title, "body": data.body}, status=exc.status)
    return Redirect("/staff/announcements?done=published", status_code=303)


@post("/{announcement_id:int}/withdraw", name="staff_announcements_withdraw")
async def staff_withdraw(announcement_id: Id, data: Annotated[WithdrawForm, Form]) -> Template | Redirect:
    try:
        await service.withdraw(announcement_id, data.reason)
    except service.AnnouncementError as exc:
        return await _staff_page(exc.message, status=exc.status)
    return Redirect("/staff/announcements?done=withdrawn", status_code=303)


content_router = Router(
    path="/",
    route_handlers=[policy_list, policy_page, guide, help_page, announcements, announcement, elder_mode],
    include_in_schema=False,
)
staff_announcements_router = Router(
    path="/staff/announcements",
    route_handlers=[staff_page, staff_publish, staff_withdraw],
    guards=[require_roles(Role.STAFF)],
    include_in_schema=False,
)
