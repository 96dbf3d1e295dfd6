"""``/verifications``: apply for a 信用信息查询意见, follow it and download it (R-P2); and the
public check of a printed opinion. Thin handlers: parse → service → page."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Annotated

from litestar import Request, Router, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body
from litestar.response import Redirect, Response, Template

from portal.accounts.tables import Role
from portal.products.verifications import purposes, service
from portal.products.verifications.rules import State
from portal.products.verifications.tables import ApplicantKind, Status
from portal.uploads.names import content_disposition
from portal.web.guards import principal_of, require_roles

__all__ = ["verifications_router"]

_APPLICANTS = require_roles(Role.CITIZEN, Role.ENTERPRISE, Role.AGENCY)


@dataclass
class ApplyForm:
    purpose: str = ""
    matter: str = ""
    subject_kind: str = "legal"
    uscc: str = ""
    name: str = ""
    id_number: str = ""


async def _page(request: Request, form: ApplyForm | None = None, error: str = "", status: int = 200) -> Template:
    p = principal_of(request)
    context = {
        "rows": await service.mine(p),
        "purposes": purposes.PURPOSES,
        "form": form or ApplyForm(),
        "is_agency": p.role == Role.AGENCY,
        "error": error,
        "done": request.query_params.get("done") == "1",
        "states": State.LABELS,
        "statuses": Status.LABELS,
        "kinds": ApplicantKind.LABELS,
    }
    return Template("portal/products/verifications/mine.html", context=context, status_code=status)


@get("/", name="verifications", guards=[_APPLICANTS])
async def page(request: Request) -> Template:
    return await _page(request)


@post("/", name="verification_apply", guards=[_APPLICANTS])
async def apply(
    request: Request, data: Annotated[ApplyForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
) -> Template | Redirect:
    try:
        await service.apply(principal_of(request), service.Application(**asdict(data)))
    except service.VerificationError as exc:
        data.id_number = ""  # DESIGN rule 4: never echoed back into a page
        return await _page(request, data, str(exc), exc.status)
    return Redirect("/verifications?done=1", status_code=303)


@get("/{verification_id:int}/opinion.pdf", name="verification_pdf", guards=[_APPLICANTS])
async def opinion_pdf(request: Request, verification_id: int) -> Response:
    found = await service.download(principal_of(request), verification_id)
    if found is None:
        raise NotFoundException()
    pdf, filename = found
    headers = {"content-disposition": content_disposition(filename), "cache-control": "no-store"}
    return Response(pdf, media_type="application/pdf", headers=headers)


@get("/verify/{token:str}", name="verification_verify")
async def verify(token: str) -> Template:
    found = await service.check_token(token)
    status = 400 if found is None else 410 if found["state"] == State.EXPIRED else 200
    return Template(
        "portal/products/verifications/verify.html",
        context={"opinion": found},
        status_code=status,
        # The token is a bearer of the opinion's existence: keep the page out of caches and indexes.
        headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"},
    )


verifications_router = Router(
    path="/verifications", route_handlers=[page, apply, opinion_pdf, verify], include_in_schema=False
)
