"""部门履职查询: agency officers use class B in their duties, class C only for the categories their
agency is granted and only citing an official letter (正式函件) — R-15, R-18."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from litestar import Request, Router, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Template

from portal.accounts.tables import Role
from portal.agencies.tables import AgencyGrant
from portal.authorizations import reasons
from portal.authorizations import service as auths
from portal.disclosure import service as disclosure
from portal.disclosure.service import Authority, Method, Scope
from portal.queries.context import QueryForm, audited_roles, request_id, requester_of
from portal.records.categories import CATEGORIES
from portal.uploads import service as uploads
from portal.uploads.routes import UPLOAD_LIMITS
from portal.web.guards import principal_of, require_roles

__all__ = ["agency_query_router", "granted_categories"]

_AGENCY = require_roles(Role.AGENCY)


async def granted_categories(agency_id: int | None) -> list[str]:
    if not agency_id:
        return []
    rows = await AgencyGrant.select(AgencyGrant.category).where(AgencyGrant.agency == agency_id)
    return sorted(r["category"] for r in rows)


async def _page(request: Request, error=None, form=None, found=None, status=200) -> Template:
    granted = await granted_categories(principal_of(request).agency_id)
    context = {
        "error": error,
        "form": form or {},
        "d": found,
        "reasons": reasons.REASONS,
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


@post(
    "/agency/query",
    name="agency_query_submit",
    guards=[audited_roles(Method.AGENCY, Role.AGENCY)],
    **UPLOAD_LIMITS,
)
async def query_submit(
    request: Request, data: Annotated[AgencyQueryForm, Body(media_type=RequestEncodingType.MULTI_PART)]
) -> Template:
    principal = principal_of(request)
    form = {k: v for k, v in vars(data).items() if k not in ("id_number", "letter")}
    wanted_c = set([data.c_categories] if isinstance(data.c_categories, str) else data.c_categories or [])
    try:
        if not reasons.is_known(data.reason_code) or len(data.reason_text.strip()) < 4:
            raise auths.AuthorizationError("请选择查询事由，并写明履职事项（如案件或审批编号）")
        subject = await disclosure.load_subject(
            (await auths.find_subject(auths.Filing(data.subject_kind, data.uscc, data.name, data.id_number)))["id"]
        )
    except auths.AuthorizationError as exc:
        return await _page(request, str(exc), form, status=400)
    common = {
        "method": Method.AGENCY,
        "reason_code": data.reason_code,
        "reason_text": data.reason_text,
        "request_id": request_id(request),
    }
    requester = requester_of(principal)
    authority = None
    if wanted_c:
        granted = set(await granted_categories(principal.agency_id))
        refusal = None
        if not wanted_c <= granted:
            refusal = ("category_not_granted", "所选有限共享类信息不在本部门的授权类别内")
        elif data.letter is None or not data.letter_number.strip():
            refusal = ("no_official_letter", "查询有限共享类信息须上传本单位正式函件并填写文号")
        if refusal is None:
            try:
                letter = await uploads.store_upload(
                    data.letter, owner_id=principal.account_id, purpose="official_letter", subject_id=subject["id"]
                )
            except uploads.UploadRejected as exc:
                return await _page(request, exc.message, form, status=exc.status)
            authority = Authority(ref=f"official_letter:{data.letter_number.strip()[:60]}", sha256=letter["sha256"])
        else:
            scope_text = Scope.of({"B", "C"}, wanted_c).text()
            await disclosure.refuse(requester, subject, code=refusal[0], scope_text=scope_text, **common)
            return await _page(request, refusal[1], form, status=403)
    scope = Scope.of({"B", "C"}, wanted_c) if wanted_c else Scope.of({"B"})
    found = await disclosure.disclose(requester, subject, scope, authority=authority, **common)
    return await _page(request, None, form, found)


agency_query_router = Router(path="/", route_handlers=[query_form, query_submit], include_in_schema=False)
