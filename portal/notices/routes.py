"""The inbox (/notices), the header's unread count, and the account's e-mail, phone and preferences."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Request, Router, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from portal.lib.params import decode_id_cursor, encode_cursor
from portal.notices import phone, service
from portal.settings import get_settings
from portal.web.guards import principal_of, require_login

__all__ = ["notices_router"]

Form = Body(media_type=RequestEncodingType.URL_ENCODED)


@get("/notices", name="notices", guards=[require_login])
async def notices_page(request: Request, cursor: str | None = None) -> Template:
    me = principal_of(request)
    rows, last = await service.inbox(me.account_id, decode_id_cursor(cursor) or None)
    context = {"notices": rows, "next_cursor": encode_cursor(last) if last else None}
    return Template("portal/notices/inbox.html", context=context)


@get("/notices/unread", name="notices_unread", guards=[require_login])
async def unread_fragment(request: Request) -> Template:
    """Loaded by htmx into the header; a plain GET, it changes nothing."""
    count = await service.unread_count(principal_of(request).account_id)
    return Template("portal/notices/_unread.html", context={"count": count}, headers={"Cache-Control": "no-store"})


@post("/notices/{notice_id:int}/read", name="notice_read", guards=[require_login])
async def mark_read(request: Request, notice_id: int) -> Redirect:
    await service.mark_read(principal_of(request).account_id, notice_id)
    return Redirect("/notices", status_code=303)


@post("/notices/read-all", name="notices_read_all", guards=[require_login])
async def mark_all_read(request: Request) -> Redirect:
    await service.mark_all_read(principal_of(request).account_id)
    return Redirect("/notices", status_code=303)


async def _settings_page(account_id: int, error: str | None = None, done: str = "", status: int = 200) -> Template:
    context = {
        "email": await service.email_state(account_id),
        "prefs": await service.preferences(account_id),
        "phone": await phone.phone_state(account_id),  # the owner's own page: the full number
        "sms_prefs": await service.preferences(account_id, "sms"),
        "kinds": service.KINDS,
        "mail_enabled": get_settings().mail_enabled,
        "sms_enabled": get_settings().sms_enabled,
        "error": error,
        "done": done,
    }
    return Template("portal/notices/settings.html", context=context, status_code=status)


@get("/account/notices", name="notice_settings", guards=[require_login])
async def settings_page(request: Request, done: str = "") -> Template:
    return await _settings_page(principal_of(request).account_id, done=done[:20])


@dataclass
class AddressForm:
    address: str = ""


@dataclass
class CodeForm:
    code: str = ""


@post("/account/email", name="account_email", guards=[require_login])
async def add_address(request: Request, data: Annotated[AddressForm, Form]) -> Template | Redirect:
    me = principal_of(request)
    try:
        await service.request_address(me.account_id, data.address)
    except service.NoticeError as exc:
        return await _settings_page(me.account_id, str(exc), status=400)
    return Redirect("/account/notices?done=sent", status_code=303)


@post("/account/email/verify", name="account_email_verify", guards=[require_login])
async def verify_address(request: Request, data: Annotated[CodeForm, Form]) -> Template | Redirect:
    me = principal_of(request)
    try:
        await service.verify_code(me.account_id, data.code)
    except service.NoticeError as exc:
        return await _settings_page(me.account_id, str(exc), status=400)
    return Redirect("/account/notices?done=verified", status_code=303)


@dataclass
class PhoneForm:
    phone: str = ""


@post("/account/phone", name="account_phone", guards=[require_login])
async def add_phone(request: Request, data: Annotated[PhoneForm, Form]) -> Template | Redirect:
    me = principal_of(request)
    try:
        await phone.request_phone(me.account_id, data.phone)
    except service.NoticeError as exc:
        return await _settings_page(me.account_id, str(exc), status=400)
    return Redirect("/account/notices?done=sms-sent", status_code=303)


@post("/account/phone/verify", name="account_phone_verify", guards=[require_login])
async def verify_phone(request: Request, data: Annotated[CodeForm, Form]) -> Template | Redirect:
    me = principal_of(request)
    try:
        await phone.verify_phone(me.account_id, data.code)
    except service.NoticeError as exc:
        return await _settings_page(me.account_id, str(exc), status=400)
    return Redirect("/account/notices?done=sms-verified", status_code=303)


@post("/account/notice-preferences", name="notice_preferences", guards=[require_login])
async def save_preferences(request: Request) -> Redirect:
    form = await request.form()
    sms_kinds = set(form.getall("sms", [])) if get_settings().sms_enabled else None
    await service.set_preferences(principal_of(request).account_id, set(form.getall("email", [])), sms_kinds)
    return Redirect("/account/notices?done=saved", status_code=303)


notices_router = Router(
    path="/",
    route_handlers=[
        notices_page,
        unread_fragment,
        mark_read,
        mark_all_read,
        settings_page,
        add_address,
        verify_address,
        add_phone,
        verify_phone,
        save_preferences,
    ],
    include_in_schema=False,
)
