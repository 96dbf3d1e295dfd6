"""部门履职查询: agency officers use class B in their duties, class C only for the categories their
agency is granted and only citing an official letter (正式函件) — R-15, R-18. The policy decides
(``portal.queries.policy``); this module parses the form and renders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from litestar import Request, Router, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from portal.accounts.tables import Role
from portal.authorizations import reasons
from portal.queries import service as queries
from portal.queries.context import QueryForm, request_id
from portal.queries.refusals import QueryInputError
from portal.records.categories import CATEGORIES
from portal.sharing.service import agency_c_grants
from portal.uploads.routes import UPLOAD_LIMITS
from portal.web.guards import principal_of, require_login, require_roles

__all__ = ["agency_query_router"]

_AGENCY = require_roles(Role.AGENCY)


async def _page(request: Request, error=None, form=None, status=200) -> Template:
    agency_id = principal_of(request).agency_id
    granted = sorted(await agency_c_grants(agency_id)) if agency_id else []
    context = {
        "error": error,
        "form": form or {},
        "reasons": reasons.AGENCY_REASONS,
        "granted": [(c, CATEGORIES[c].label) for c in granted if c in CATEGORIES],
    }
    return Template("portal/agencies/query.html", context=context, status_code=status)


@get("/agency/query", name="agency_query", guards=[_AGENCY])
async def query_form(request: Request) -> Template:
    return await _page(request)


@dataclass
class AgencyQueryForm(QueryForm):
    letter_number: str = ""
    c_categories: list[str] = field(default_factory=list)
    letter: UploadFile | None = None

    def parsed(self) -> queries.AgencyQuery:
        wanted = [self.c_categories] if isinstance(self.c_categories, str) else self.c_categories or []
        subject = queries.SubjectKey(self.subject_kind, self.uscc, self.name, self.id_number)
        return queries.AgencyQuery(
            subject, self.reason_code, self.reason_text, frozenset(wanted), self.letter, self.letter_number
        )


@post("/agency/query", name="agency_query_submit", guards=[require_login], **UPLOAD_LIMITS)
async def query_submit(
    request: Request, data: Annotated[AgencyQueryForm, Body(media_type=RequestEncodingType.MULTI_PART)]
) -> Template | Redirect:
    try:
        issued = await queries.agency_query(principal_of(request), data.parsed(), request_id(request))
    except QueryInputError as exc:
        form = {k: v for k, v in vars(data).items() if k not in ("id_number", "letter")}  # DESIGN rule 4
        return await _page(request, exc.message, form, status=exc.status)
    return Redirect(f"/queries/{issued.token}", status_code=303)


agency_query_router = Router(path="/", route_handlers=[query_form, query_submit], include_in_schema=False)
