"""Credit-centre staff: look up an issued report by 报告编号 and revoke it (R-23, R-P2/R-P3)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from litestar import Request, Router, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from portal.accounts.tables import Role
from portal.reports import service as reports
from portal.web.guards import principal_of, require_roles

__all__ = ["staff_reports_router"]

_STAFF = require_roles(Role.STAFF)
Form = Body(media_type=RequestEncodingType.URL_ENCODED)


async def _page(report_no: str = "", *, error: str | None = None, notice: str | None = None) -> Template:
    report = None
    if report_no and error is None:
        try:
            report = await reports.find_report(reports.parse_report_no(report_no))
        except reports.ReportError as exc:
            error = str(exc)
        else:
            error = None if report else "平台没有该编号报告的出具记录"
    context = {"report_no": report_no, "report": report, "error": error, "notice": notice}
    status = 400 if error and report is None and report_no else 200
    return Template("portal/staff/reports.html", context=context, status_code=status)


@get("/staff/reports", name="staff_reports", guards=[_STAFF])
async def reports_page(report_no: str = "", done: str = "") -> Template:
    return await _page(report_no[:64], notice="报告已撤销" if done else None)


@dataclass
class RevokeForm:
    report_no: str
    reason: str = ""


@post("/staff/reports/revoke", name="staff_report_revoke", guards=[_STAFF])
async def revoke(request: Request, data: Annotated[RevokeForm, Form]) -> Template | Redirect:
    try:
        report_no = reports.parse_report_no(data.report_no)
        if not await reports.revoke_report(report_no, data.reason, by=principal_of(request).account_id):
            raise reports.ReportError("该报告不存在或已撤销")
    except reports.ReportError as exc:
        page = await _page(data.report_no[:64])
        page.context["error"], page.status_code = str(exc), 400
        return page
    return Redirect(f"/staff/reports?report_no={quote(report_no)}&done=1", status_code=303)


staff_reports_router = Router(path="/", route_handlers=[reports_page, revoke], include_in_schema=False)
