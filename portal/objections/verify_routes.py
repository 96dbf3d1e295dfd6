"""Public verification of a written decision (书面告知, R-23): whoever holds the letter checks it."""

from __future__ import annotations

from litestar import Router, get
from litestar.response import Template

from portal.objections.decision import check_decision

__all__ = ["objection_verify_router"]


@get("/verify/{token:str}", name="objection_decision_verify")
async def verify_decision(token: str) -> Template:
    decision = await check_decision(token)
    return Template(
        "portal/objections/verify.html",
        context={"decision": decision},
        status_code=200 if decision else 400,
        # The token names an objection: keep the page out of caches and indexes.
        headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"},
    )


objection_verify_router = Router(path="/objections", route_handlers=[verify_decision], include_in_schema=False)
