"""Credit-centre staff: identity proofs, authorisation letters, counter checks (R-18)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Request, Router, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from portal.accounts.tables import Role
from portal.authorizations import service as auths
from portal.proofs import service as proofs
from portal.web.guards import principal_of, require_roles

__all__ = ["staff_reviews_router"]

Form = Body(media_type=RequestEncodingType.URL_ENCODED)
_STAFF = require_roles(Role.STAFF)


async def _page(error: str | None = None, status: int = 200, notice: str | None = None) -> Template:
    context = {
        "proofs": await proofs.pending(),
        "letters": await auths.pending_letters(),
        "error": error,
        "notice": notice,
    }
    return Template("portal/staff/reviews.html", context=context, status_code=status)


@get("/staff/reviews", name="staff_reviews", guards=[_STAFF])
async def reviews(done: str = "") -> Template:
    return await _page(notice="已处理" if done else None)


@dataclass
class ReviewForm:
    action: str
    note: str = ""


@post("/staff/proofs/{proof_id:int}", name="staff_proof_review", guards=[_STAFF])
async def review_proof(request: Request, proof_id: int, data: Annotated[ReviewForm, Form]) -> Template | Redirect:
    try:
        await proofs.review(principal_of(request).account_id, proof_id, data.action == "approve", data.note)
    except proofs.ProofError as exc:
        return await _page(str(exc), 400)
    return Redirect("/staff/reviews?done=1", status_code=303)


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


@post("/staff/counter", name="staff_counter", guards=[_STAFF])
async def counter_check(request: Request, data: Annotated[CounterForm, Form]) -> Template | Redirect:
    try:
        await proofs.record_counter_check(principal_of(request).account_id, data.username, data.id_number)
    except proofs.ProofError as exc:
        return await _page(str(exc), 400)
    return Redirect("/staff/reviews?done=1", status_code=303)


staff_reviews_router = Router(
    path="/", route_handlers=[reviews, review_proof, review_letter, counter_check], include_in_schema=False
)
