"""Queries as explicit acts (DESIGN rule 7; R-18, R-19): a POST records the query and redirects to
its receipt; the result page is a GET of the receipt, for its owner, within a short window.

``/me/records`` shows the subject what a self-query will disclose and the button that makes one;
``/queries/{token}`` shows any query's result (self, authorised, agency) and records nothing;
``/queries/{token}/report`` issues the PDF report of a self-query from its receipt (a POST: it
registers the report for later verification).
"""

from __future__ import annotations

from litestar import Request, Response, Router, get, post
from litestar.response import Redirect, Template

from portal.accounts.tables import Role
from portal.disclosure.service import Method
from portal.proofs import service as proofs
from portal.queries import service
from portal.queries.context import request_id
from portal.reports.service import build_self_report
from portal.uploads.names import content_disposition
from portal.web.guards import principal_of, require_login, require_roles
from portal.web.middleware import public_base_url

__all__ = ["queries_router"]

_SUBJECTS = require_roles(Role.CITIZEN, Role.ENTERPRISE)


@get("/me/records", name="me_records", guards=[_SUBJECTS])
async def records_page(request: Request) -> Template:
    """What a self-query shows, and the button that makes one; nothing is read or recorded here."""
    principal = principal_of(request)
    context = {"verified": await proofs.is_proven(principal.account_id), "me": principal}
    return Template("portal/me/records.html", context=context)


@post("/me/records", name="me_records_query", guards=[require_login])
async def self_query(request: Request) -> Redirect:
    issued = await service.self_query(principal_of(request), request_id(request))
    return Redirect(f"/queries/{issued.token}", status_code=303)


@get("/queries/{token:str}", name="query_result", guards=[require_login])
async def query_result(request: Request, token: str) -> Template:
    found = await service.result(principal_of(request), token)
    return Template("portal/queries/result.html", context={"r": found, "d": found.disclosure, "token": token})


@post("/queries/{token:str}/report", name="query_report", guards=[require_login], status_code=200)
async def query_report(request: Request, token: str) -> Response:
    """The self-query's PDF, built from the receipt's records (no second query, R-19)."""
    found = await service.result(principal_of(request), token)
    if found.method != Method.SELF:
        raise service.NotFound()
    pdf, filename = await build_self_report(
        found.disclosure.subject["id"],
        found.disclosure.records,
        base_url=public_base_url(request),
        audit_receipt=found.disclosure.receipt.entry_hash,
    )
    return Response(pdf, media_type="application/pdf", headers={"content-disposition": content_disposition(filename)})


queries_router = Router(
    path="/", route_handlers=[records_page, self_query, query_result, query_report], include_in_schema=False
)
