"""``/api``: the open-data API documentation for re-users (R-16: information is provided by
publication and sharing). The page itself explains calling conventions, errors and limits in
Chinese; the operation reference below it is Swagger UI rendering the live OpenAPI schema, so
the two cannot drift apart."""

from __future__ import annotations

from litestar import get
from litestar.response import Template

from portal.api.routes import MAX_RECORDS
from portal.ingest.service import MAX_ITEMS
from portal.settings import get_settings
from portal.web.errors import CODES, MESSAGES

__all__ = ["api_docs"]

SCHEMA_URL = "/schema/openapi.json"


@get("/api", include_in_schema=False, name="api_docs")
async def api_docs() -> Template:
    settings = get_settings()
    codes = [(status, CODES[status], MESSAGES[status]) for status in sorted(CODES)]
    codes.append((503, "audit_unavailable", "查询记录服务暂不可用，未返回任何非公开数据"))
    return Template(
        "portal/api/docs.html",
        context={
            "schema_url": SCHEMA_URL,
            "rate": settings.api_rate_per_second,
            "burst": settings.api_burst,
            "codes": codes,
            "max_records": MAX_RECORDS,
            "max_items": MAX_ITEMS,
        },
    )
