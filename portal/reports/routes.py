"""Public verification of a printed self-query report (no login: the recipient of a report checks it)."""

from __future__ import annotations

from litestar import Router, get
from litestar.response import Template

from portal.lib.dates import to_china, today_cn
from portal.reports.service import check_token

STATUS = {"valid": 200, "expired": 410, "revoked": 410, "invalid": 400}


@get("/verify/{token:path}", name="report_verify")
async def verify_report(token: str) -> Template:
    result = await check_token(token.lstrip("/"))
    issued = to_china(result.claim.issued_at) if result.claim else None
    return Template(
        "portal/reports/verify.html",
        context={
            "result": result,
            # As printed on the report (to the second), so the two can be compared.
            "issued": issued.strftime("%Y年%m月%d日 %H:%M:%S") if issued else "",
            "age_days": (today_cn() - issued.date()).days if issued else None,
        },
        status_code=STATUS[result.state],
        # The token is a bearer of the report's existence: keep the page out of caches and indexes.
        headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"},
    )


reports_router = Router(path="/reports", route_handlers=[verify_report], include_in_schema=False)
