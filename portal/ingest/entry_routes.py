"""``/agency/entry``: 逐条录入 (R-12) — one record at a time, checked by ``items.parse`` (inline, per
field, and again on submit) and applied by ``service.report`` like every other path."""

from __future__ import annotations

from litestar import Request, Router, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException, ValidationException
from litestar.response import Template

from portal.accounts.tables import Role
from portal.ingest import entry
from portal.ingest.items import parse
from portal.ingest.service import Reporter, report
from portal.ingest.tables import Channel
from portal.lib.dates import today_cn
from portal.records.categories import Polarity
from portal.records.tables import DisclosureClass
from portal.web.guards import principal_of, require_roles

__all__ = ["entry_router", "reporter_of"]


def reporter_of(request: Request) -> Reporter:
    me = principal_of(request)
    if not me.agency_id:
        raise PermissionDeniedException("您的账号未关联部门，请联系系统管理员。")
    return Reporter(me.agency_id, Channel.ENTRY, me.username, account_id=me.account_id)


def _type(record_type: str) -> str:
    if record_type not in entry.TYPES:
        raise NotFoundException()
    return record_type


def _form_page(record_type: str, form: dict, errors: dict, status: int = 200) -> Template:
    context = {
        "record_type": record_type,
        "type_label": entry.TYPES[record_type],
        "sections": entry.form_fields(record_type),
        "categories": entry.categories_for(record_type),
        "classes": DisclosureClass.LABELS,
        "polarities": Polarity.LABELS,
        "form": form,
        "errors": errors,
    }
    return Template("portal/entry/entry_form.html", context=context, status_code=status)


@get("/entry", name="agency_entry")
async def choose() -> Template:
    return Template("portal/entry/entry_types.html", context={"types": entry.TYPES})


@get("/entry/{record_type:str}", name="agency_entry_form")
async def entry_form(request: Request, record_type: str) -> Template:
    reporter_of(request)
    return _form_page(_type(record_type), {}, {})


@post("/entry/{record_type:str}/validate", name="agency_entry_validate")
async def validate(request: Request, record_type: str) -> Template:
    """One field's errors, from ``parse`` on the whole form (no second rule set)."""
    form = await request.form()
    name = request.headers.get("hx-trigger-name", "")
    if name not in entry.names(_type(record_type)):
        raise ValidationException("未知的项目")
    parsed = parse(entry.create_item(_type(record_type), form), today_cn())
    messages = entry.errors_by_field(parsed if isinstance(parsed, list) else []).get(name, [])
    field = entry.text_field(record_type, name)
    context = {"f": field, "name": name, "messages": messages, "form": entry.echo(form), "record_type": record_type}
    return Template("portal/entry/_field.html" if field else "portal/entry/_error.html", context=context)


@post("/entry/{record_type:str}", name="agency_entry_submit")
async def submit(request: Request, record_type: str) -> Template:
    reporter = reporter_of(request)
    form = await request.form()
    raw = entry.create_item(_type(record_type), form)
    result = (await report(reporter, [raw]))[0]
    if result.status == "rejected":
        return _form_page(record_type, entry.echo(form), entry.errors_by_field(result.errors), 400)
    context = {
        "result": result,
        "title": raw["title"],
        "link": entry.public_link(raw),
        "type_label": entry.TYPES[record_type],
    }
    context["record_type"] = record_type
    return Template("portal/entry/entry_done.html", context=context)


entry_router = Router(
    path="/agency",
    route_handlers=[choose, entry_form, validate, submit],
    guards=[require_roles(Role.AGENCY)],
    include_in_schema=False,
)
