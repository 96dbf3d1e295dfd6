"""``/staff/usage``: per-department quarterly figures of credit-product use (R-P4; ZEP 三(四)),
the yearly assessment figures (KS 第二十五条) and the matters handled without a check (JX 六(十四))."""

from __future__ import annotations

from litestar import Response, Router, get
from litestar.response import Template

from portal.accounts.tables import Role
from portal.authorizations.reasons import label as domain_label
from portal.lib.dates import today_cn
from portal.products.usage import export, service
from portal.products.usage.charts import grouped_bars
from portal.products.usage.tables import Product
from portal.uploads.names import content_disposition
from portal.web.guards import require_roles

__all__ = ["usage_router"]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _periods(quarter: str | None) -> tuple[service.Period, service.Period]:
    q = service.quarter(quarter or service.quarter_of(today_cn()))
    return q, service.year(q.start.year)


def _chart(rows: list[dict], title: str) -> str:
    bars = [
        {
            "name": r["agency"]["name"],
            "checks": r["checks"],
            "without_check": r["without_check"],
            "incentives": r["incentives"],
            "sanctions": r["sanctions"],
        }
        for r in rows
    ]
    series = [
        ("checks", "核查", "#1d4ed8"),
        ("without_check", "未经核查办件", "#b91c1c"),
        ("incentives", "激励", "#15803d"),
        ("sanctions", "惩戒", "#a16207"),
    ]
    return grouped_bars(bars, series, title)


@get("/", name="usage")
async def usage_page(quarter: str | None = None) -> Template:
    try:
        q, y = _periods(quarter)
    except service.UsageError as exc:
        return Template("portal/usage/page.html", context={"error": exc.message}, status_code=400)
    rows, yearly = await service.figures(q), await service.figures(y)
    context = {
        "error": None,
        "period": q,
        "quarter": service.quarter_of(q.start),
        "rows": rows,
        "yearly": yearly,
        "year": y,
        "products": Product.LABELS,
        "chart": _chart(rows, f"{q.label}各部门核查与奖惩"),
        "unchecked": await service.without_check(q, 200),
        "domain_label": domain_label,
    }
    return Template("portal/usage/page.html", context=context)


@get("/export.xlsx", name="usage_export")
async def usage_export(quarter: str | None = None) -> Response:
    try:
        q, _ = _periods(quarter)
    except service.UsageError as exc:
        return Response(exc.message, status_code=400, media_type="text/plain")
    body = export.workbook(q.label, await service.figures(q), await service.without_check(q, 100_000))
    name = f"信用产品使用统计-{service.quarter_of(q.start)}.xlsx"
    return Response(body, media_type=XLSX, headers={"content-disposition": content_disposition(name)})


usage_router = Router(
    path="/staff/usage",
    route_handlers=[usage_page, usage_export],
    guards=[require_roles(Role.STAFF)],
    include_in_schema=False,
)
