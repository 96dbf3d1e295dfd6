"""Commitments made through the real services (R-P1): a proven subject signs, an officer breaches."""

from __future__ import annotations

from datetime import date

from portal.accounts.sessions import Principal
from portal.lib.dates import today_cn
from portal.products.commitments import breach, service, texts
from tests import factories as f


def principal(user: dict, role: str, *, subject_id: int | None = None, agency_id: int | None = None) -> Principal:
    return Principal(user["id"], user["username"], role, "测试", subject_id, agency_id, "", "")


async def proven_subject(role: str, subject_id: int) -> tuple[dict, Principal]:
    user = await f.proven(role, subject_id=subject_id)
    return user, principal(user, role, subject_id=subject_id)


async def officer(agency_id: int) -> tuple[dict, Principal]:
    user = await f.account("agency", agency_id=agency_id)
    return user, principal(user, "agency", agency_id=agency_id)


async def signed(
    p: Principal,
    agency_id: int,
    *,
    domain: str = "supervision",
    matter: str = "食品经营许可",
    case_no: str = "",
    valid_until: str = "",
) -> int:
    text = await texts.current_for(domain)
    form = service.SigningForm(
        domain=domain,
        text=text["id"],
        matter=matter,
        case_no=case_no,
        agency=agency_id,
        valid_until=valid_until,
        confirm="1",
        form_token=service.new_form_token(),
    )
    return await service.sign(p, form)


async def breached(
    officer_p: Principal, commitment_id: int, facts: str = "提交的营业场所证明系伪造", day: date | None = None
) -> int:
    form = breach.BreachForm(
        facts=facts, basis="《食品经营许可管理办法》第四十九条", breached_on=(day or today_cn()).isoformat()
    )
    return await breach.record_breach(officer_p, commitment_id, form)
