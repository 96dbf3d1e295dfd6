"""The subject's own pages: who queried it ("谁查询了我", R-19) and its identity proof (R-18).
The self-query itself is in ``portal.queries.routes``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Request, Router, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template

from audit import recorder
from portal.accounts.tables import Role
from portal.disclosure import service as disclosure
from portal.proofs import service as proofs
from portal.queries.context import account_of
from portal.subjects.identity import subject_ref
from portal.uploads import service as uploads
from portal.uploads.routes import UPLOAD_LIMITS
from portal.web.guards import principal_of, require_roles
from portal.web.htmx import page_or_fragment

__all__ = ["self_router"]

_SUBJECTS = require_roles(Role.CITIZEN, Role.ENTERPRISE)
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
    route_handlers=[my_query_history, verify_page, verify_submit],
    include_in_schema=False,
)
