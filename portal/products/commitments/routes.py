"""``/me/commitments``: a proven subject signs a commitment and keeps its copies (R-P1); the public
PDF and check page of a signed commitment (``/commitments/…``)."""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from litestar import Request, Response, Router, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, Parameter
from litestar.response import Redirect, Template

from portal.accounts.tables import Role
from portal.agencies import service as agencies
from portal.products.commitments import document, service, texts
from portal.products.commitments.service import CommitmentError, SigningForm
from portal.products.commitments.tables import CommitmentDomain
from portal.subjects.tables import SubjectKind
from portal.uploads.names import content_disposition
from portal.web.guards import principal_of, require_roles
from portal.web.middleware import public_base_url

__all__ = ["my_commitments_router", "public_commitments_router"]

_FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
_PRIVATE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"}


async def _form_page(request: Request, domain: str, form: dict, error: str = "", status: int = 200) -> Template:
    may_sign = await service.may_sign(principal_of(request))
    if not may_sign:  # DESIGN rule 8: a claimed identity signs nothing
        error, status = service.NOT_PROVEN, 403
    context = {
        "domains": CommitmentDomain.LABELS,
        "domain": domain if domain in CommitmentDomain.LABELS else "",
        "text": await texts.current_for(domain),
        "agencies": await agencies.all_active(),
        "form": form,
        "error": error,
        "may_sign": may_sign,
        "form_token": form.get("form_token") or service.new_form_token(),
    }
    return Template("portal/products/commitments/new.html", context=context, status_code=status)


@get("/", name="my_commitments")
async def mine(request: Request) -> Template:
    p = principal_of(request)
    rows = await service.for_subject(p.subject_id) if p.subject_id else []
    context = {"rows": rows, "may_sign": await service.may_sign(p), "not_proven": service.NOT_PROVEN}
    return Template("portal/products/commitments/mine.html", context=context)


@get("/new", name="my_commitment_new")
async def new(request: Request, domain: Annotated[str, Parameter(max_length=32)] = "") -> Template:
    return await _form_page(request, domain, {})


@post("/", name="my_commitment_sign")
async def sign(request: Request, data: Annotated[SigningForm, _FORM]) -> Template | Redirect:
    try:
        commitment_id = await service.sign(principal_of(request), data)
    except CommitmentError as exc:
        return await _form_page(request, data.domain, vars(data), str(exc), exc.status)
    return Redirect(f"/me/commitments/{commitment_id}?signed=1", status_code=303)


@get("/{commitment_id:int}", name="my_commitment")
async def mine_one(request: Request, commitment_id: int, signed: str = "") -> Template:
    found = await service.detail(commitment_id)
    if found is None or found["subject"] != principal_of(request).subject_id:
        raise NotFoundException()
    context = {"c": found, "signed": bool(signed), "verify": document.verify_path(found["id"], found["number"])}
    return Template("portal/products/commitments/detail.html", context=context)


my_commitments_router = Router(
    path="/me/commitments",
    route_handlers=[mine, new, sign, mine_one],
    guards=[require_roles(Role.CITIZEN, Role.ENTERPRISE)],
    include_in_schema=False,
)


@get("/verify/{token:str}", name="commitment_verify")
async def verify(token: str) -> Template:
    found = await document.check(token)
    return Template(
        "portal/products/commitments/verify.html",
        context={"c": found},
        status_code=200 if found else 400,
        headers=_PRIVATE,
    )


@get("/{commitment_id:int}/pdf", name="commitment_pdf")
async def pdf(request: Request, commitment_id: int) -> Response:
    """Class A (KS 第九条): anyone downloads a legal person's commitment; a natural person's only
    from the person's own accounts, as natural persons have no public profile (R-17)."""
    found = await service.detail(commitment_id)
    p = principal_of(request)
    if found is None or found["status"] == "withdrawn":
        raise NotFoundException()
    if found["subject_row"]["kind"] == SubjectKind.NATURAL and (p is None or p.subject_id != found["subject"]):
        raise NotFoundException()
    url = document.verify_url(found["id"], found["number"], public_base_url(request))
    body = await anyio.to_thread.run_sync(document.render, found, url)
    headers = {"content-disposition": content_disposition(document.pdf_filename(found)), **_PRIVATE}
    return Response(body, media_type="application/pdf", headers=headers)


public_commitments_router = Router(path="/commitments", route_handlers=[verify, pdf], include_in_schema=False)
