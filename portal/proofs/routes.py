"""Credit-centre staff: identity proofs, authorisation letters, counter checks (R-18); and the
credit-service bodies' own organisation proof."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Request, Router, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from portal.accounts.tables import Role
from portal.authorizations import service as auths
from portal.proofs import reveal
from portal.proofs import service as proofs
from portal.queries.context import account_of, request_id
from portal.uploads import service as uploads
from portal.uploads.routes import UPLOAD_LIMITS
from portal.web.guards import principal_of, require_roles

__all__ = ["staff_reviews_router"]

Form = Body(media_type=RequestEncodingType.URL_ENCODED)
_STAFF = require_roles(Role.STAFF)
_THIRD_PARTY = require_roles(Role.THIRD_PARTY)
NO_STORE = {"Cache-Control": "no-store"}


async def _page(
    error: str | None = None, status: int = 200, notice: str | None = None, revealed: dict | None = None
) -> Template:
    context = {
        "proofs": await proofs.pending(),
        "letters": await auths.pending_letters(),
        "error": error,
        "notice": notice,
        "revealed": revealed or {},
    }
    return Template("portal/staff/reviews.html", context=context, status_code=status, headers=NO_STORE)


@get("/staff/reviews", name="staff_reviews", guards=[_STAFF])
async def reviews(done: str = "") -> Template:
    return await _page(notice="已处理" if done else None)


@dataclass
class ReviewForm:
    action: str
    note: str = ""
    confirmed_name: str = ""


@post("/staff/proofs/{proof_id:int}", name="staff_proof_review", guards=[_STAFF])
async def review_proof(request: Request, proof_id: int, data: Annotated[ReviewForm, Form]) -> Template | Redirect:
    staff_id = principal_of(request).account_id
    try:
        await proofs.review(staff_id, proof_id, data.action == "approve", data.note, data.confirmed_name)
    except proofs.ProofError as exc:
        return await _page(str(exc), 400)
    return Redirect("/staff/reviews?done=1", status_code=303)


@post("/staff/proofs/{proof_id:int}/id-number", name="staff_proof_id_number", guards=[_STAFF])
async def reveal_number(request: Request, proof_id: int) -> Template:
    """The full number of one pending proof, recorded before it is shown (R-28); no-store."""
    try:
        number = await reveal.number_for_review(principal_of(request), proof_id, request_id(request))
    except proofs.ProofError as exc:
        return await _page(str(exc), 400)
    return await _page(revealed={proof_id: number})


@post("/staff/authorizations/{authorization_id:int}", name="staff_letter_review", guards=[_STAFF])
async def review_letter(
    request: Request, authorization_id: int, data: Annotated[ReviewForm, Form]
) -> Template | Redirect:
    try:
        await auths.decide_by_staff(principal_of(request).account_id, authorization_id, data.action == "approve")
    except auths.AuthorizationError as exc:
        return await _page(str(exc), 400)
    return Redirect("/staff/reviews?done=1", status_code=303)


@dataclass
class CounterForm:
    username: str
    id_number: str
    name: str = ""


@post("/staff/counter", name="staff_counter", guards=[_STAFF])
async def counter_check(request: Request, data: Annotated[CounterForm, Form]) -> Template | Redirect:
    try:
        await proofs.record_counter_check(principal_of(request).account_id, data.username, data.id_number, data.name)
    except proofs.ProofError as exc:
        return await _page(str(exc), 400)
    return Redirect("/staff/reviews?done=1", status_code=303)


# --- a credit-service body proves its organisation (business licence + letter) -----------------


async def _verify_page(account_id: int, error: str | None = None, status: int = 200) -> Template:
    context = {"proof": await proofs.latest_proof(account_id), "error": error, "need": False}
    return Template("portal/me/verify.html", context={**context, "action": "/account/verify"}, status_code=status)


@get("/account/verify", name="account_verify", guards=[_THIRD_PARTY])
async def organisation_verify_page(request: Request) -> Template:
    return await _verify_page(principal_of(request).account_id)


@dataclass
class OrganisationProofForm:
    document: UploadFile | None = None
    letter: UploadFile | None = None


@post("/account/verify", name="account_verify_submit", guards=[_THIRD_PARTY], **UPLOAD_LIMITS)
async def organisation_verify_submit(
    request: Request, data: Annotated[OrganisationProofForm, Body(media_type=RequestEncodingType.MULTI_PART)]
) -> Template | Redirect:
    account = await account_of(principal_of(request))
    try:
        if data.document is None or data.letter is None:
            raise proofs.ProofError("请上传所需材料")
        lic = await uploads.store_upload(data.document, owner_id=account["id"], purpose="business_license")
        letter = await uploads.store_upload(data.letter, owner_id=account["id"], purpose="enterprise_letter")
        await proofs.submit_organisation(account, lic["id"], letter["id"])
    except (proofs.ProofError, uploads.UploadRejected) as exc:
        message = getattr(exc, "message", None) or str(exc)
        return await _verify_page(account["id"], message, getattr(exc, "status", 400))
    return Redirect("/account/verify?submitted=1", status_code=303)


staff_reviews_router = Router(
    path="/",
    route_handlers=[
        reviews,
        review_proof,
        reveal_number,
        review_letter,
        counter_check,
        organisation_verify_page,
        organisation_verify_submit,
    ],
    include_in_schema=False,
)
