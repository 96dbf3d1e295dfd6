"""``/api/v1/public``: class-A open data for re-users (issue 2 §7). Reads only through
portal.publication and portal.search, like the public pages."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from litestar import Router, get
from litestar.exceptions import NotFoundException
from litestar.params import Parameter

from portal.api.schemas import (
    OK,
    TOO_MANY,
    Disclosure,
    DisclosurePage,
    ListEntryOut,
    PublicRecord,
    SubjectDetail,
    SubjectPage,
    SubjectSummary,
    error_response,
)
from portal.publication import service as publication
from portal.publication.service import TABS
from portal.search.service import search_subjects
from portal.subjects.service import public_profile
from portal.web.params import Cursor
from portal.web.ratelimit import ApiRateLimitMiddleware

MAX_RECORDS = 200
# The error shape clients get (portal.web.errors), documented with real examples so the schema tells the truth.
_BAD = error_response(
    "参数无效：error.fields 指明参数（key）和原因（message）",
    "bad_request",
    "参数 limit 有误：不能小于 1",
    [{"key": "limit", "source": "query", "message": "不能小于 1"}],
)
LIMITED = {429: TOO_MANY}  # the rate limit's answer, on every operation (Retry-After)
_ERRORS = {400: _BAD, **LIMITED}
_NOT_FOUND = "未找到该统一社会信用代码对应的公示主体"
_ERRORS_404 = {**_ERRORS, 404: error_response(_NOT_FOUND, "not_found", _NOT_FOUND)}
Limit = Annotated[int, Parameter(ge=1, le=100, description="每页条数（1–100）")]


@get(
    "/subjects",
    summary="按名称或统一社会信用代码检索法人和其他组织",
    description="名称任意片段（1个字起）；完整的统一社会信用代码精确匹配。按 cursor 翻页。",
    responses=_ERRORS,
    response_description=OK,
)
async def list_subjects(
    q: Annotated[str, Parameter(min_length=1, max_length=200)],
    cursor: Cursor = None,
    limit: Limit = 20,
) -> SubjectPage:
    result = await search_subjects(q, cursor, limit)
    if result.error:
        from litestar.exceptions import ValidationException

        raise ValidationException(result.error)
    return SubjectPage(
        items=[
            SubjectSummary(
                uscc=r["uscc"],
                name=r["name"],
                subject_type=r["subject_type"],
                legal_representative=r["legal_representative"],
                registration_status=r["registration_status"],
                established_on=r["established_on"],
            )
            for r in result.items
        ],
        next_cursor=result.next_cursor,
    )


@get(
    "/subjects/{uscc:str}",
    summary="法人和其他组织的公示信息（社会公开类）",
    responses=_ERRORS_404,
    response_description=OK,
)
async def subject_detail(uscc: str) -> SubjectDetail:
    profile = await public_profile(uscc)
    if profile is None:
        raise NotFoundException(_NOT_FOUND)
    records: list[dict] = []
    truncated = False
    for tab in TABS:
        page = await publication.subject_records(profile["id"], tab, limit=MAX_RECORDS, mark=False)
        records += page.items
        truncated |= page.next_cursor is not None
    await publication.mark_pending(records)  # R-24, one query for all tabs
    entries = []
    for list_type in ("red", "black"):
        for e in await publication.subject_list_entries(profile["id"], list_type):
            entries.append(
                ListEntryOut(
                    list_type=list_type,
                    list_name=e["list_name"],
                    reason=e["reason"],
                    authority=e["authority"],
                    doc_number=e["doc_number"],
                    listed_on=e["listed_on"],
                    expires_on=e["expires_on"],
                )
            )
    fields = {k: v for k, v in profile.items() if k != "id"}
    return SubjectDetail(
        **fields, records=[_record(r) for r in records], list_entries=entries, records_truncated=truncated
    )


@get(
    "/disclosures",
    summary="双公示数据（行政许可、行政处罚）",
    description="按决定日期升序返回 since 当日及以后的公示决定，按 cursor 翻页，供增量获取。",
    responses=_ERRORS,
    response_description=OK,
)
async def disclosure_feed(
    type: Literal["license", "penalty"] | None = None,
    since: date | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> DisclosurePage:
    page = await publication.disclosures(type, None, since, None, cursor, limit=limit, ascending=True)
    return DisclosurePage(
        items=[
            Disclosure(
                id=r["id"],
                record_type=r["record_type"],
                title=r["title"],
                doc_number=r["doc_number"],
                decision_date=r["decision_date"],
                publicity_end=r["publicity_end"],
                provider=r["provider_name"],
                subject_name=r["subject_name"],
                subject_code=r["subject_code"],
                detail=r.get("detail"),
                objection_pending=r["objection_pending"],
            )
            for r in page.items
        ],
        next_cursor=page.next_cursor,
    )


def _record(r: dict) -> PublicRecord:
    return PublicRecord(
        id=r["id"],
        record_type=r["record_type"],
        category=r["category"],
        polarity=r["polarity"],
        title=r["title"],
        content=r["content"],
        doc_number=r["doc_number"],
        decision_date=r["decision_date"],
        publicity_end=r["publicity_end"],
        provider=r["provider_name"],
        detail=r.get("detail"),
        objection_pending=r["objection_pending"],
    )


api_router = Router(
    path="/api/v1/public",
    route_handlers=[list_subjects, subject_detail, disclosure_feed],
    tags=["公开数据"],
    middleware=[ApiRateLimitMiddleware()],  # per client address (portal.web.client)
)
