"""``/api/v1/agency``: the system interface (系统对接, R-12) for agencies' own systems.

``Authorization: Bearer <key>`` (an API key of the agency, ``python -m portal create-api-key``).
No cookies are involved, so there is no CSRF exposure; a browser session is never looked at.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

from litestar import Request, Router, get, post
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, ValidationException
from litestar.handlers import BaseRouteHandler
from litestar.params import Parameter

from portal.api.schemas import KEY_REFUSED, OK, error_response
from portal.ingest import keys
from portal.ingest import service as ingest
from portal.ingest.schemas import ItemError, ItemOutcome, PushRequest, PushResponse, ReportedPage, ReportedRecord
from portal.ingest.tables import Channel
from portal.lib.params import decode_id_cursor, encode_cursor
from portal.records.tables import CreditRecord
from portal.web.params import Cursor

__all__ = ["agency_api_router"]

_ERRORS = {
    400: error_response("请求格式有误（如超过 500 项）；error.fields 指明原因", "bad_request", "每批应有 1 至 500 项"),
    401: KEY_REFUSED,
}
PAGE = 500


async def require_key(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """A guard, so the key is checked before the request is parsed: no key, no 400 hints either."""
    holder = await keys.authenticate(
        connection.headers.get("authorization"), touch=connection.scope.get("method") != "GET"
    )
    if holder is None:
        raise NotAuthorizedException("API 密钥无效、已过期或已吊销", headers={"www-authenticate": "Bearer"})
    connection.state.key_holder = holder


def _holder(request: Request) -> keys.KeyHolder:
    return request.state.key_holder


@post(
    "/records",
    summary="报送信用信息（新增、更正、撤销）",
    description="每项单独生效或单独拒收；同一项重复报送不产生变化（unchanged）。更正和撤销保留历史并立即在公开页面生效。",
    responses=_ERRORS,
    response_description=OK,
    status_code=200,
    opt={"exclude_from_csrf": True},
    request_max_body_size=8 * 1024 * 1024,
)
async def push(request: Request, data: PushRequest) -> PushResponse:
    holder = _holder(request)
    if not data.items or len(data.items) > ingest.MAX_ITEMS:
        raise ValidationException(f"每批应有 1 至 {ingest.MAX_ITEMS} 项")
    reporter = ingest.Reporter(
        agency_id=holder.agency_id,
        channel=Channel.API,
        actor=f"{holder.agency_code}（系统对接 {holder.prefix}）",
        categories=holder.categories,
        api_key_id=holder.key_id,
    )
    results = await ingest.report(reporter, data.items)
    counts = {
        s: sum(r.status == s for r in results) for s in ("created", "corrected", "revoked", "unchanged", "rejected")
    }
    outcomes = [
        ItemOutcome(
            index=r.index,
            record_id=r.record_id,
            status=r.status,
            version=r.version,
            errors=[ItemError(e.field, e.code, e.message) for e in r.errors],
        )
        for r in results
    ]
    return PushResponse(received=len(results), results=outcomes, **counts)


@get(
    "/records",
    summary="核对已报送的信息",
    description="本单位在 since 之后新增或变更的记录（含已撤销的），按记录顺序以 cursor 翻页，供对账。",
    responses=_ERRORS,
    response_description=OK,
)
async def reconcile(
    request: Request,
    since: Annotated[datetime, Parameter(description="ISO 8601 时间，如 2026-12-01T00:00:00+08:00")],
    cursor: Cursor = None,
) -> ReportedPage:
    holder = _holder(request)
    since = since if since.tzinfo else since.replace(tzinfo=timezone.utc)
    R = CreditRecord
    rows = (
        await R.select(
            R.id,
            R.provider_ref,
            R.version,
            R.status,
            R.category,
            R.disclosure_class,
            R.title,
            R.decision_date,
            R.updated_at,
        )
        .where(
            (R.provider == holder.agency_id)
            & (R.provider_ref != "")
            & (R.updated_at >= since)
            & (R.id > decode_id_cursor(cursor))
        )
        .order_by(R.id)
        .limit(PAGE + 1)
    )
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    items = [
        ReportedRecord(
            record_id=r["provider_ref"],
            version=r["version"],
            status=r["status"],
            category=r["category"],
            disclosure_class=r["disclosure_class"],
            title=r["title"],
            decision_date=r["decision_date"],
            updated_at=r["updated_at"] if r["updated_at"].tzinfo else r["updated_at"].replace(tzinfo=timezone.utc),
        )
        for r in rows
    ]
    return ReportedPage(items=items, next_cursor=encode_cursor(rows[-1]["id"]) if more else None)


agency_api_router = Router(
    path="/api/v1/agency", route_handlers=[push, reconcile], guards=[require_key], tags=["部门报送（系统对接）"]
)
