"""``/staff/commitments/templates``: credit-centre staff keep the standard texts (承诺书范本, R-P1);
a change is a new version, every version stays readable."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Request, Router, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body
from litestar.response import Redirect, Template

from portal.accounts.tables import Role
from portal.products.commitments import texts
from portal.products.commitments.tables import CommitmentDomain
from portal.web.guards import principal_of, require_roles

__all__ = ["staff_commitments_router"]


@dataclass
class TextForm:
    domain: str = ""
    title: str = ""
    body: str = ""
    note: str = ""


async def _page(form: dict | None = None, error: str = "", status: int = 200, saved: bool = False) -> Template:
    current = await texts.current_texts()
    context = {"texts": current, "domains": CommitmentDomain.LABELS, "form": form or {}, "error": error, "saved": saved}
    return Template("portal/products/commitments/staff_texts.html", context=context, status_code=status)


@get("/", name="staff_commitment_texts")
async def text_list(saved: str = "") -> Template:
    return await _page(saved=bool(saved))


@post("/", name="staff_commitment_text_new")
async def new_version(
    request: Request, data: Annotated[TextForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
) -> Template | Redirect:
    try:
        text_id = await texts.new_version(principal_of(request), data.domain, data.title, data.body, data.note)
    except texts.TextError as exc:
        return await _page(vars(data), str(exc), 400)
    return Redirect(f"/staff/commitments/templates/{text_id}?saved=1", status_code=303)


@get("/{text_id:int}", name="staff_commitment_text")
async def text_version(text_id: int, saved: str = "") -> Template:
    text = await texts.text_by_id(text_id)
    if text is None:
        raise NotFoundException()
    context = {"t": text, "versions": await texts.history(text["domain"]), "saved": bool(saved)}
    return Template("portal/products/commitments/staff_text.html", context=context)


staff_commitments_router = Router(
    path="/staff/commitments/templates",
    route_handlers=[text_list, new_version, text_version],
    guards=[require_roles(Role.STAFF)],
    include_in_schema=False,
)
