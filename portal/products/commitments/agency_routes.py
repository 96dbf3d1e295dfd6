"""``/agency/commitments``: the accepting agency sees commitments made in its matters and records
a breach (违诺, R-P1; KS 第九条)."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, Router, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body
from litestar.response import Redirect, Template

from portal.accounts.tables import Role
from portal.products.commitments import breach
from portal.products.commitments.breach import BreachForm
from portal.products.commitments.service import CommitmentError
from portal.web.guards import principal_of, require_roles

__all__ = ["agency_commitments_router"]


@get("/", name="agency_commitments")
async def listing(request: Request) -> Template:
    p = principal_of(request)
    rows = await breach.for_agency(p.agency_id) if p.agency_id else []
    return Template("portal/products/commitments/agency.html", context={"rows": rows})


async def _one(request: Request, commitment_id: int, form: dict, error: str = "", status: int = 200) -> Template:
    found = await breach.of_agency(principal_of(request), commitment_id)
    if found is None:
        raise NotFoundException()
    context = {"c": found, "form": form, "error": error, "recorded": bool(request.query_params.get("recorded"))}
    return Template("portal/products/commitments/agency_detail.html", context=context, status_code=status)


@get("/{commitment_id:int}", name="agency_commitment")
async def one(request: Request, commitment_id: int) -> Template:
    return await _one(request, commitment_id, {})


@post("/{commitment_id:int}/breach", name="agency_commitment_breach")
async def record(
    request: Request, commitment_id: int, data: Annotated[BreachForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
) -> Template | Redirect:
    try:
        await breach.record_breach(principal_of(request), commitment_id, data)
    except CommitmentError as exc:
        if exc.status == 404:
            raise NotFoundException() from None
        return await _one(request, commitment_id, vars(data), str(exc), exc.status)
    return Redirect(f"/agency/commitments/{commitment_id}?recorded=1", status_code=303)


agency_commitments_router = Router(
    path="/agency/commitments",
    route_handlers=[listing, one, record],
    guards=[require_roles(Role.AGENCY)],
    include_in_schema=False,
)
