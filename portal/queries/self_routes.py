"""本人查询: a verified subject sees all of its own records (A, B and C), downloads them as a PDF,
and sees who queried it ("谁查询了我") — R-15, R-18, R-19."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Request, Response, Router, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template

from audit import recorder
from portal.accounts.tables import Role
from portal.disclosure import service as disclosure
from portal.disclosure.service import Method, Scope
from portal.proofs import service as proofs
from portal.queries.context import account_of, audited_roles, request_id, requester_of
from portal.subjects.identity import subject_ref
from portal.uploads import service as uploads
from portal.uploads.routes import UPLOAD_LIMITS
from portal.web.guards import principal_of, require_roles
from portal.web.htmx import page_or_fragment

__all__ = ["self_router"]

_SUBJECTS = require_roles(Role.CITIZEN, Role.ENTERPRISE)
_SELF_QUERY = audited_roles(Method.SELF, Role.CITIZEN, Role.ENTERPRISE)
_ALL = Scope.of("A,B,C")  # a subject may query all of its own information
HISTORY_PAGE = 50


async def _verified(request: Request):
    principal = principal_of(request)
    ok = await proofs.is_verified(principal.account_id, principal.subject_id)
    return principal, ok


async def _not_verified_page(principal) -> Template:
    return Template(
        "portal/me/verify.html",
        context={"proof": await proofs.latest_proof(principal.account_id), "error": None, "need": True},
        status_code=403,
    )


async def _disclose_own(request: Request, reason_text: str):
    principal, ok = await _verified(request)
    if not ok:
        subject = await disclosure.load_subject(principal.subject_id) if principal.subject_id else None
        await disclosure.refuse(
            requester_of(principal),
            subject,
            method=Method.SELF,
            code="identity_not_verified",
            scope_text=_ALL.text(),
            reason_code="self_query",
            request_id=request_id(request),
        )
        return principal, None
    subject = await disclosure.load_subject(principal.subject_id)
    found = await disclosure.disclose(
        requester_of(principal),
        subject,
        _ALL,
        method=Method.SELF,
        reason_code="self_query",
        reason_text=reason_text,
        request_id=request_id(request),
    )
    return principal, found


@get("/me/records", name="me_records", guards=[_SELF_QUERY])
async def my_records(request: Request) -> Template:
    principal, found = await _disclose_own(request, "本人网上查询")
    if found is None:
        return await _not_verified_page(principal)
    return Template("portal/me/records.html", context={"d": found})


@get("/me/records.pdf", name="me_records_pdf", guards=[_SELF_QUERY])
async def my_records_pdf(request: Request) -> Response:
    from portal.reports.service import build_self_report
    from portal.web.middleware import public_base_url

    principal, found = await _disclose_own(request, "本人下载信用信息报告")
    if found is None:
        return await _not_verified_page(principal)
    pdf, filename = await build_self_report(
        found.subject["id"], found.records, base_url=public_base_url(request), audit_receipt=found.receipt.entry_hash
    )
    from portal.uploads.names import content_disposition

    return Response(
        pdf,
        media_type="application/pdf",
        headers={"content-disposition": content_disposition(filename), "x-content-type-options": "nosniff"},
    )


@get("/me/queries", name="me_queries", guards=[_SUBJECTS])
async def my_query_history(request: HTMXRequest, before: Annotated[int | None, Parameter(ge=1)] = None) -> Template:
    """谁查询了我: who looked, when, how and why — like the 查询记录 of a credit report (R-19).
    Newest first, a page at a time (keyset on the log's sequence number: ``before``)."""
    principal, ok = await _verified(request)
    if not ok:
        return await _not_verified_page(principal)
    subject = await disclosure.load_subject(principal.subject_id)
    ref = subject_ref(subject)
    rows = await recorder.subject_history(ref, after_seq=before, limit=HISTORY_PAGE + 1)
    history, more = rows[:HISTORY_PAGE], len(rows) > HISTORY_PAGE
    context = {"history": history, "next_before": history[-1]["seq"] if more else None, "subject": subject}
    if before is None:
        context["count"] = await recorder.subject_count(ref)
    return page_or_fragment(request, "portal/me/queries.html", "portal/me/_queries.html", context)


@get("/me/verify", name="me_verify", guards=[_SUBJECTS])
async def verify_page(request: Request) -> Template:
    principal = principal_of(request)
    context = {"proof": await proofs.latest_proof(principal.account_id), "error": None, "need": False}
    return Template("portal/me/verify.html", context=context)


@dataclass
class ProofForm:
    document: UploadFile | None = None
    letter: UploadFile | None = None


@post("/me/verify", name="me_verify_submit", guards=[_SUBJECTS], **UPLOAD_LIMITS)
async def verify_submit(
    request: Request, data: Annotated[ProofForm, Body(media_type=RequestEncodingType.MULTI_PART)]
) -> Template | Redirect:
    principal = principal_of(request)
    account = await account_of(principal)
    try:
        if data.document is None or (principal.role == Role.ENTERPRISE and data.letter is None):
            raise proofs.ProofError("请上传所需材料")
        if principal.role == Role.CITIZEN:
            doc = await uploads.store_upload(data.document, owner_id=account["id"], purpose="identity_document")
            await proofs.submit_document(account, doc["id"])
        else:
            lic = await uploads.store_upload(data.document, owner_id=account["id"], purpose="business_license")
            letter = await uploads.store_upload(data.letter, owner_id=account["id"], purpose="enterprise_letter")
            await proofs.submit_enterprise(account, lic["id"], letter["id"])
    except (proofs.ProofError, uploads.UploadRejected) as exc:
        message = getattr(exc, "message", None) or str(exc)
        status = getattr(exc, "status", 400)
        context = {"proof": await proofs.latest_proof(principal.account_id), "error": message, "need": False}
        return Template("portal/me/verify.html", context=context, status_code=status)
    return Redirect("/me/verify?submitted=1", status_code=303)


self_router = Router(
    path="/",
    route_handlers=[my_records, my_records_pdf, my_query_history, verify_page, verify_submit],
    include_in_schema=False,
)
