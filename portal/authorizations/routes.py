"""Authorised third-party queries (R-18): the requester's pages and the subject's decisions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from litestar import Request, Router, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body
from litestar.response import Redirect, Template

from portal.accounts.tables import Role
from portal.authorizations import reasons
from portal.authorizations import service as auths
from portal.lib.dates import today_cn
from portal.proofs import service as proofs
from portal.queries import policy
from portal.queries import service as queries
from portal.queries.context import QueryForm, account_of, request_id
from portal.records.categories import CATEGORIES
from portal.uploads import service as uploads
from portal.uploads.routes import UPLOAD_LIMITS
from portal.web.guards import principal_of, require_login, require_roles

__all__ = ["authorizations_router"]

_REQUESTERS = require_roles(*auths.REQUESTER_ROLES)
_SUBJECTS = require_roles(Role.CITIZEN, Role.ENTERPRISE)
Multipart = Body(media_type=RequestEncodingType.MULTI_PART)
Form = Body(media_type=RequestEncodingType.URL_ENCODED)


def _form_context(error=None, form=None) -> dict:
    return {"error": error, "form": form or {}, "reasons": reasons.REASONS, "categories": CATEGORIES}


@get("/requests", name="requests", guards=[_REQUESTERS])
async def request_list(request: Request) -> Template:
    rows = await auths.for_requester(principal_of(request).account_id)
    return Template("portal/requests/list.html", context={"rows": rows, "today": today_cn()})


@get("/requests/new", name="request_new", guards=[_REQUESTERS])
async def request_new(request: Request) -> Template:
    proven = await proofs.is_proven(principal_of(request).account_id)
    return Template("portal/requests/new.html", context={**_form_context(), "proven": proven})


@dataclass
class FilingForm(QueryForm):
    class_b: str = ""
    class_c: str = ""
    valid_from: str = ""
    valid_until: str = ""
    letter: UploadFile | None = None


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@post("/requests", name="request_file", guards=[_REQUESTERS], **UPLOAD_LIMITS)
async def request_file(request: Request, data: Annotated[FilingForm, Multipart]) -> Template | Redirect:
    principal = principal_of(request)
    account = await account_of(principal)
    classes = ("A",) + (("B",) if data.class_b else ()) + (("C",) if data.class_c else ())
    try:
        if data.letter is None:
            raise auths.AuthorizationError("请上传信用主体签署的书面授权书")
        letter = await uploads.store_upload(data.letter, owner_id=account["id"], purpose="authorization_letter")
        filing = auths.Filing(
            subject_kind="natural" if data.subject_kind == "natural" else "legal",
            uscc=data.uscc,
            name=data.name,
            id_number=data.id_number,
            reason_code=data.reason_code,
            reason_text=data.reason_text,
            classes=classes,
            valid_from=_date(data.valid_from),
            valid_until=_date(data.valid_until),
            letter_id=letter["id"],
        )
        new_id = await auths.file_request(account, filing)
    except (auths.AuthorizationError, uploads.UploadRejected) as exc:
        message = getattr(exc, "message", None) or str(exc)
        # Never echo the ID number back into the page (DESIGN rule 4).
        form = {k: v for k, v in vars(data).items() if k not in ("id_number", "letter")}
        return Template(
            "portal/requests/new.html", context=_form_context(message, form), status_code=getattr(exc, "status", 400)
        )
    return Redirect(f"/requests/{new_id}", status_code=303)


async def _own_request(request: Request, authorization_id: int) -> dict:
    row = await auths.get(authorization_id)
    if row is None or row["requester_id"] != principal_of(request).account_id:
        raise NotFoundException()
    return row


@get("/requests/{authorization_id:int}", name="request_detail", guards=[_REQUESTERS])
async def request_detail(request: Request, authorization_id: int) -> Template:
    row = await _own_request(request, authorization_id)
    # What a query would meet now, shown before anyone clicks (the policy decides, DESIGN rule 6).
    problem = policy.authorisation_problem(
        policy.AuthorisationFacts.of(row), principal_of(request).account_id, today_cn()
    )
    return Template("portal/requests/detail.html", context={"a": row, "problem": problem})


@post("/requests/{authorization_id:int}/query", name="request_query", guards=[require_login])
async def request_query(request: Request, authorization_id: int) -> Redirect:
    """Query the subject under this authorisation (R-18); the policy decides, the audit records."""
    issued = await queries.authorised_query(principal_of(request), authorization_id, request_id(request))
    return Redirect(f"/queries/{issued.token}", status_code=303)


# --- the subject's side --------------------------------------------------------------------------


@get("/me/authorizations", name="me_authorizations", guards=[_SUBJECTS])
async def my_authorizations(request: Request) -> Template:
    principal = principal_of(request)
    verified = await proofs.is_verified(principal.account_id, principal.subject_id)
    rows = await auths.for_subject(principal.subject_id) if verified else []
    return Template("portal/me/authorizations.html", context={"rows": rows, "verified": verified, "error": None})


@dataclass
class DecisionForm:
    action: str


@post("/me/authorizations/{authorization_id:int}", name="me_authorization_decide", guards=[_SUBJECTS])
async def my_authorization_decide(
    request: Request, authorization_id: int, data: Annotated[DecisionForm, Form]
) -> Template | Redirect:
    principal = principal_of(request)
    account = await account_of(principal)
    try:
        if not await proofs.is_verified(principal.account_id, principal.subject_id):
            raise auths.AuthorizationError("请先完成身份核验")
        if data.action in ("approve", "refuse"):
            await auths.decide_by_subject(account, authorization_id, data.action == "approve")
        elif data.action == "revoke":
            await auths.revoke(account, authorization_id)
        else:
            raise auths.AuthorizationError("未知操作")
    except auths.AuthorizationError as exc:
        rows = await auths.for_subject(principal.subject_id)
        return Template(
            "portal/me/authorizations.html",
            context={"rows": rows, "verified": True, "error": str(exc)},
            status_code=400,
        )
    return Redirect("/me/authorizations", status_code=303)


authorizations_router = Router(
    path="/",
    route_handlers=[
        request_list,
        request_new,
        request_file,
        request_detail,
        request_query,
        my_authorizations,
        my_authorization_decide,
    ],
    include_in_schema=False,
)
