"""Credit-centre staff: monthly objection figures per providing agency, as a page and as XLSX (R-23)."""

from __future__ import annotations

from litestar import Response, Router, get
from litestar.response import Template

from portal.accounts.tables import Role
from portal.lib.dates import today_cn
from portal.objections import figures
from portal.uploads.names import content_disposition
from portal.web.guards import require_roles

__all__ = ["objection_figures_router"]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@get("/figures", name="objection_figures")
async def figures_page(month: str = "") -> Template:
    try:
        year, number = figures.parse_month(month[:16], today_cn())
    except figures.FiguresError as exc:
        context = {"error": str(exc), "month": "", "rows": [], "columns": figures.COLUMNS, "steps": figures.STEPS}
        return Template("portal/objections/figures.html", context=context, status_code=400)
    rows = await figures.monthly_figures(year, number)
    context = {
        "month": f"{year:04d}-{number:02d}",
        "title": f"{year}年{number}月",
        "rows": rows,
        "total": figures.totals(rows),
        "columns": figures.COLUMNS,
        "steps": figures.STEPS,
    }
    return Template("portal/objections/figures.html", context=context)


@get("/figures.xlsx", name="objection_figures_xlsx")
async def figures_xlsx(month: str = "") -> Response:
    try:
        year, number = figures.parse_month(month[:16], today_cn())
    except figures.FiguresError as exc:
        return Response(str(exc), status_code=400, media_type="text/plain")
    body = figures.to_xlsx(await figures.monthly_figures(year, number), year, number)
    name = f"异议办理情况-{year:04d}-{number:02d}.xlsx"
    return Response(body, media_type=XLSX, headers={"content-disposition": content_disposition(name)})


objection_figures_router = Router(
    path="/staff/objections",
    route_handlers=[figures_page, figures_xlsx],
    guards=[require_roles(Role.STAFF)],
    include_in_schema=False,
)
