"""``/agency/objections``: the providing agency's desk (R-23, R-11): objections forwarded to it,
verified and answered within 15 working days — upheld, corrected or revoked, with reasons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, Router, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body
from litestar.response import Redirect, Template

from portal.accounts.tables import Role
from portal.objections import service, views
from portal.objections.routes import FORM_LIMITS, files_of, may_view
from portal.objections.stages import ObjectionError, Outcome
from portal.web.guards import principal_of, require_roles

__all__ = ["agency_objections_router", "CORRECTABLE_ITEMS"]

CORRECTABLE_ITEMS = {
    "title": "信息名称",
    "content": "信息内容",
    "doc_number": "决定书文号",
    "decision_date": "决定日期",
}
"""What an answer may correct on the desk (a subset of ``records.service.CORRECTABLE``)."""


async def _forwarded_to(request: Request, objection_id: int) -> dict:
    """The objection, if it was forwarded to this officer's agency; a 404 otherwise."""
    found = await views.detail(objection_id)
    if found is None or not may_view(principal_of(request), found):
        raise NotFoundException()
    return found


@get("/", name="agency_objections")
async def desk(request: Request, all: str = "") -> Template:
    agency_id = principal_of(request).agency_id or 0
    rows = await views.queue(agency_id=agency_id, open_only=not all)
    return Template("portal/objections/agency.html", context={"rows": rows, "all": bool(all)})


async def _detail(
    request: Request, objection_id: int, error: ObjectionError | None = None, form: dict | None = None
) -> Template:
    found = await _forwarded_to(request, objection_id)
    context = {"o": found, "view": "agency", "form": form or {}, "items": CORRECTABLE_ITEMS}
    context |= {"error": str(error or ""), "field_errors": error.fields if error else {}}
    context["outcomes"] = Outcome.LABELS
    return Template("portal/objections/detail.html", context=context, status_code=error.status if error else 200)


@get("/{objection_id:int}", name="agency_objection")
async def detail(request: Request, objection_id: int) -> Template:
    return await _detail(request, objection_id)


@dataclass
class AnswerForm:
    outcome: str = ""
    reason: str = ""
    title: str = ""
    content: str = ""
    doc_number: str = ""
    decision_date: str = ""
    documents: Any = None  # see files_of

    def changes(self, current: dict) -> dict:
        """Only the items the officer actually changed, as typed (R-11: a correction says what
        changed); the records service checks them by the rules of every correction path."""
        out = {}
        for key in CORRECTABLE_ITEMS:
            value = getattr(self, key).strip()
            now = current.get(key)
            if value and value != (now.isoformat() if hasattr(now, "isoformat") else str(now or "")):
                out[key] = value
        return out


@post("/{objection_id:int}/answer", name="agency_objection_answer", **FORM_LIMITS)
async def answer(
    request: Request, objection_id: int, data: Annotated[AnswerForm, Body(media_type=RequestEncodingType.MULTI_PART)]
) -> Template | Redirect:
    found = await _forwarded_to(request, objection_id)
    try:
        changes = data.changes(found["record_now"]) if data.outcome == Outcome.CORRECTED else {}
        reply = service.Answer(data.outcome, data.reason, changes, files_of(data.documents))
        await service.answer(principal_of(request), objection_id, reply)
    except ObjectionError as exc:
        form = {k: v for k, v in vars(data).items() if k != "documents"}
        return await _detail(request, objection_id, exc, form)
    return Redirect(f"/agency/objections/{objection_id}", status_code=303)


agency_objections_router = Router(
    path="/agency/objections",
    route_handlers=[desk, detail, answer],
    guards=[require_roles(Role.AGENCY)],
    include_in_schema=False,
)
