"""``/me/objections``: a subject files an objection to one of its records and follows it (R-22 … R-24).

A record is offered for objection only where the subject was shown it: a class-A record of its
own (the public profile), or any record of a self-query's receipt (``/queries/{token}``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import anyio.to_thread
from litestar import Request, Response, Router, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, Parameter
from litestar.response import File, Redirect, Template

from portal.accounts.tables import Role
from portal.objections import decision, intake, service, views
from portal.objections.stages import Channel, ObjectionError
from portal.uploads import service as uploads
from portal.uploads.names import content_disposition
from portal.uploads.routes import file_response
from portal.web.guards import principal_of, require_login, require_roles
from portal.web.middleware import public_base_url

__all__ = ["objection_error", "objections_router", "objection_documents_router", "FORM_LIMITS", "files_of", "may_view"]

_SUBJECTS = require_roles(Role.CITIZEN, Role.ENTERPRISE)
FORM_LIMITS = intake.FORM_LIMITS


def objection_error(_: Request, exc: ObjectionError) -> Template:
    """An objection step that cannot be taken, on a page without its own form (e.g. a stale link)."""
    return Template("errors/page.html", context={"status": exc.status, "message": str(exc)}, status_code=exc.status)


def files_of(value) -> list[UploadFile]:
    """The files actually chosen (an empty file input still sends a nameless, empty part)."""
    items = value if isinstance(value, list) else [value]
    return [f for f in items if isinstance(f, UploadFile) and f.filename]


@dataclass
class ObjectionForm:
    record: int = 0
    receipt: str = ""
    statement: str = ""
    contact: str = ""
    evidence: Any = None  # one UploadFile, several, or "" for an empty file input (see files_of)


async def _mine(request: Request, objection_id: int) -> dict:
    found = await views.detail(objection_id)
    if found is None or found["subject"] != principal_of(request).subject_id:
        raise NotFoundException()
    return found


@get("/", name="my_objections")
async def my_objections(request: Request) -> Template:
    p = principal_of(request)
    rows = await views.for_subject(p.subject_id) if p.subject_id else []
    return Template("portal/objections/mine.html", context={"rows": rows})


@get("/new", name="my_objection_new")
async def new_objection(
    request: Request, record: Annotated[int, Parameter(ge=1, le=2**31 - 1)], receipt: str = ""
) -> Template:
    shown = await intake.record_for_subject(principal_of(request), record, receipt)
    return Template("portal/objections/new.html", context={"record": shown, "receipt": receipt, "form": {}})


@post("/", name="my_objection_file", **FORM_LIMITS)
async def file_objection(
    request: Request, data: Annotated[ObjectionForm, Body(media_type=RequestEncodingType.MULTI_PART)]
) -> Template | Redirect:
    p = principal_of(request)
    shown = None
    try:
        shown = await intake.record_for_subject(p, data.record, data.receipt)
        filing = service.Filing(data.record, data.statement, data.contact, shown["applicant"], files_of(data.evidence))
        done = await service.file_objection(p, p.subject_id, filing, Channel.ONLINE)
    except ObjectionError as exc:
        context = {"record": shown, "receipt": data.receipt, "error": str(exc)}
        context["form"] = {"statement": data.statement, "contact": data.contact}
        return Template("portal/objections/new.html", context=context, status_code=exc.status)
    return Redirect(f"/me/objections/{done['id']}?filed=1", status_code=303)


@get("/{objection_id:int}", name="my_objection")
async def my_objection(request: Request, objection_id: int, filed: str = "") -> Template:
    found = await _mine(request, objection_id)
    return Template("portal/objections/detail.html", context={"o": found, "view": "subject", "filed": bool(filed)})


@post("/{objection_id:int}/withdraw", name="my_objection_withdraw")
async def withdraw(request: Request, objection_id: int) -> Template | Redirect:
    found = await _mine(request, objection_id)
    try:
        await service.withdraw(principal_of(request), objection_id)
    except ObjectionError as exc:
        context = {"o": found, "view": "subject", "error": str(exc)}
        return Template("portal/objections/detail.html", context=context, status_code=exc.status)
    return Redirect(f"/me/objections/{objection_id}", status_code=303)


objections_router = Router(
    path="/me/objections",
    route_handlers=[my_objections, new_objection, file_objection, my_objection, withdraw],
    guards=[_SUBJECTS],
    include_in_schema=False,
)


def may_view(p, found: dict) -> bool:
    """The subject's accounts, the providing agency's officers, and centre staff (R-22, R-23)."""
    if p is None:
        return False
    if p.role == Role.STAFF:
        return True
    if p.role == Role.AGENCY:  # from the day it was forwarded to the providing agency
        return p.agency_id is not None and p.agency_id == found["agency"] and found["forwarded_on"] is not None
    return p.subject_id is not None and p.subject_id == found["subject"]


@get("/objections/{objection_id:int}/documents/{token:str}", name="objection_document", guards=[require_login])
async def document(request: Request, objection_id: int, token: str) -> File:
    found = await views.detail(objection_id)
    p = principal_of(request)
    if found is None or not may_view(p, found) or token not in {d["token"] for d in found["documents"]}:
        raise NotFoundException()
    try:
        row, path = await uploads.get_for_download(token, p, granted=True)
    except uploads.UploadNotFound:
        raise NotFoundException() from None
    return file_response(row, path)


@get("/objections/{objection_id:int}/decision.pdf", name="objection_decision_pdf", guards=[require_login])
async def decision_pdf(request: Request, objection_id: int) -> Response:
    """The written decision (书面告知, R-23) with its signed verification link, once told."""
    found = await views.detail(objection_id)
    if found is None or not may_view(principal_of(request), found) or not found["decision_no"]:
        raise NotFoundException()
    token = decision.sign_decision(objection_id, found["decision_no"])
    pdf = await anyio.to_thread.run_sync(
        decision.render_decision, found, decision.decision_url(token, public_base_url(request))
    )
    headers = {"content-disposition": content_disposition(decision.pdf_filename(found)), "cache-control": "no-store"}
    return Response(pdf, media_type="application/pdf", headers=headers)


objection_documents_router = Router(path="/", route_handlers=[document, decision_pdf], include_in_schema=False)
