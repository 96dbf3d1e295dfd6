"""``/agency/checks``: an officer makes the 逢办必查 check on the agency desk (R-P5, R-28); the result
is a GET of the stored check (post/redirect/get, DESIGN rule 7) and prints as the same record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Request, Response, Router, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body
from litestar.response import Redirect, Template

from portal.accounts.tables import Role
from portal.authorizations.reasons import AGENCY_REASONS
from portal.authorizations.reasons import label as domain_label
from portal.products.checks import service
from portal.products.checks.pdf import pdf_filename, render_check
from portal.queries.context import request_id
from portal.uploads.names import content_disposition
from portal.web.guards import principal_of, require_roles

__all__ = ["agency_checks_router"]

_AGENCY = require_roles(Role.AGENCY)


@dataclass
class CheckForm:
    subject_kind: str = "legal"
    uscc: str = ""
    id_number: str = ""
    matter_name: str = ""
    case_no: str = ""
    domain: str = ""


def _page(error=None, form=None, status=200) -> Template:
    context = {"error": error, "form": form or {}, "domains": AGENCY_REASONS}
    return Template("portal/checks/desk.html", context=context, status_code=status)


@get("/agency/checks", name="agency_checks")
async def check_form() -> Template:
    return _page()


@post("/agency/checks", name="agency_checks_submit")
async def check_submit(
    request: Request, data: Annotated[CheckForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
) -> Template | Redirect:
    p = principal_of(request)
    who = service.Checker(p.agency_id, p.organisation, p.username, officer_id=p.account_id)
    try:
        q = service.parse(data.subject_kind, data.uscc, data.id_number, data.matter_name, data.case_no, data.domain)
        answer = await service.check(who, q, request_id(request))
    except service.CheckError as exc:
        form = {k: v for k, v in vars(data).items() if k != "id_number"}  # DESIGN rule 4
        return _page(exc.message, form, status=400)
    return Redirect(f"/agency/checks/{answer.number}", status_code=303)


async def _own(request: Request, number: str) -> dict:
    row = await service.get_check(number, principal_of(request).agency_id)
    if row is None:
        raise NotFoundException("没有该核查记录")
    return row


@get("/agency/checks/{number:str}", name="agency_check_result")
async def check_result(request: Request, number: str) -> Template:
    row = await _own(request, number)
    return Template(
        "portal/checks/result.html", context={"c": row, "a": row["answer"], "domain": domain_label(row["domain"])}
    )


@get("/agency/checks/{number:str}/record.pdf", name="agency_check_record")
async def check_record(request: Request, number: str) -> Response:
    row = await _own(request, number)
    headers = {"content-disposition": content_disposition(pdf_filename(number))}
    return Response(render_check(row), media_type="application/pdf", headers=headers)


agency_checks_router = Router(
    path="/",
    route_handlers=[check_form, check_submit, check_result, check_record],
    guards=[_AGENCY],
    include_in_schema=False,
)
