"""``/agency/records``: the agency's own records, and their correction or revocation from the desk —
through ``service.report`` like a pushed correct / revoke, so history is kept (R-11, R-23)."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.params import Parameter
from litestar.response import Redirect, Template

from portal.accounts.tables import Role
from portal.ingest import desk_service, entry
from portal.ingest.entry_routes import reporter_of
from portal.ingest.service import report
from portal.records.categories import Polarity
from portal.records.tables import DisclosureClass
from portal.web.guards import require_roles

__all__ = ["desk_router"]

Q = Annotated[str, Parameter(query="q", max_length=100)]
NO_REF = "此记录不是经报送渠道报送的，没有本单位记录编号，请联系信用中心更正或撤销"


@get("/records", name="agency_records")
async def records_list(request: Request, q: Q = "", before: int | None = None) -> Template:
    rows, next_before = await desk_service.own_records(reporter_of(request).agency_id, q, before)
    return Template("portal/entry/records.html", context={"rows": rows, "q": q, "next_before": next_before})


async def _record(request: Request, record_id: int) -> dict:
    found = await desk_service.own_record(reporter_of(request).agency_id, record_id)
    if found is None:
        raise NotFoundException()  # another agency's record: not even its existence
    return found


def _page(found: dict, errors: dict | None = None, form: dict | None = None, done: str = "", status=200) -> Template:
    current = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in found.items() if k != "detail"}
    context = {
        "r": found,
        "form": {**current, **(form or {})},
        "errors": errors or {},
        "done": done,
        "categories": entry.categories_for(found["record_type"]).get(found["subject_kind"], []),
        "classes": DisclosureClass.LABELS,
        "polarities": Polarity.LABELS,
    }
    return Template("portal/entry/record.html", context=context, status_code=status)


@get("/records/{record_id:int}", name="agency_record")
async def record_page(request: Request, record_id: int, done: str = "") -> Template:
    return _page(await _record(request, record_id), done=done if done in ("corrected", "revoked", "unchanged") else "")


async def _apply(request: Request, record_id: int, action: str) -> Template | Redirect:
    found = await _record(request, record_id)
    form = await request.form()
    if not found["provider_ref"]:
        return _page(found, {"": [NO_REF]}, entry.echo(form), status=400)
    if action == "correct":
        raw = entry.correct_item(found["provider_ref"], found, form)
    else:
        raw = {"action": "revoke", "record_id": found["provider_ref"], "reason": str(form.get("reason") or "")}
    result = (await report(reporter_of(request), [raw]))[0]
    if result.status == "rejected":
        errors = {
            f"{action}.{k}" if k in ("reason", "") else k: v for k, v in entry.errors_by_field(result.errors).items()
        }
        return _page(found, errors, entry.echo(form), status=400)
    return Redirect(f"/agency/records/{record_id}?done={result.status}", status_code=303)


@post("/records/{record_id:int}/correct", name="agency_record_correct")
async def correct(request: Request, record_id: int) -> Template | Redirect:
    return await _apply(request, record_id, "correct")


@post("/records/{record_id:int}/revoke", name="agency_record_revoke")
async def revoke(request: Request, record_id: int) -> Template | Redirect:
    return await _apply(request, record_id, "revoke")


desk_router = Router(
    path="/agency",
    route_handlers=[records_list, record_page, correct, revoke],
    guards=[require_roles(Role.AGENCY)],
    include_in_schema=False,
)
