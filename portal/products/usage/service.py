"""Usage of credit products (R-P4; ZEP 三(四), KS 第二十五条, JX 六(十四)): outcomes reported by
approval systems, matters reported handled, and the per-department quarterly and yearly figures."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone

from portal.agencies.tables import Agency
from portal.authorizations import reasons
from portal.products.checks.service import CASE_NO
from portal.products.checks.tables import CreditCheck
from portal.products.usage.tables import HandledMatter, Outcome, Product, ProductUse

__all__ = ["UsageError", "Period", "quarter", "year", "report_outcome", "report_matters", "figures", "without_check"]

U, H, C = ProductUse, HandledMatter, CreditCheck
MAX_MATTERS = 1000


class UsageError(ValueError):
    def __init__(self, field: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Period:
    label: str
    start: date
    end: date


def quarter(text: str) -> Period:
    """``2026Q4`` → 1 Oct – 31 Dec 2026 (ZEP 三(四): usage is summarised every quarter)."""
    m = re.fullmatch(r"(20\d\d)Q([1-4])", (text or "").strip().upper())
    if not m:
        raise UsageError("quarter", "季度应写作如 2026Q4")
    y, q = int(m[1]), int(m[2])
    start = date(y, 3 * q - 2, 1)
    end = date(y + 1, 1, 1) if q == 4 else date(y, 3 * q + 1, 1)
    return Period(f"{y}年第{q}季度", start, date.fromordinal(end.toordinal() - 1))


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def year(value: int) -> Period:
    """KS 第二十五条: usage is part of each department's yearly assessment."""
    if not 2000 <= value <= 2100:
        raise UsageError("year", "年份无效")
    return Period(f"{value}年度", date(value, 1, 1), date(value, 12, 31))


async def report_outcome(number: str, agency_id: int, product: str, outcome: str) -> bool:
    """The approval system reports what it did with a product it used in the matter (R-P4)."""
    if product not in Product.LABELS or outcome not in (Outcome.INCENTIVE, Outcome.SANCTION, Outcome.NONE):
        raise UsageError("outcome", "未知的信用产品或处理结果")
    check = await C.select(C.id).where((C.number == number) & (C.agency == agency_id)).first()
    if check is None:
        return False
    done = (
        await U.update({U.outcome: outcome, U.reported_at: datetime.now(timezone.utc)})
        .where((U.credit_check == check["id"]) & (U.product == product))
        .returning(U.id)
    )
    if not done:
        raise UsageError("product", "本次核查未使用该信用产品", status=409)
    return True


@dataclass(frozen=True)
class MatterItem:
    case_no: str
    matter_name: str
    domain: str
    handled_on: date


def clean_matter(case_no: str, matter_name: str, domain: str, handled_on: date, index: int) -> MatterItem:
    case_no, matter_name = (case_no or "").strip(), (matter_name or "").strip()
    if not CASE_NO.fullmatch(case_no):
        raise UsageError(f"items[{index}].case_no", "办件编号应为 1 至 64 个字母、数字、汉字或 -_/.:()〔〕")
    if not 2 <= len(matter_name) <= 200:
        raise UsageError(f"items[{index}].matter_name", "事项名称应为 2 至 200 字")
    if not reasons.is_known(domain):
        raise UsageError(f"items[{index}].domain", "未知的事项领域")
    if not date(2000, 1, 1) <= handled_on <= date(2100, 12, 31):
        raise UsageError(f"items[{index}].handled_on", "办结日期无效")
    return MatterItem(case_no, matter_name, domain, handled_on)


async def report_matters(agency_id: int, items: list[MatterItem]) -> tuple[int, int]:
    """Matters the agency handled (JX 六(十四)); a case reported again is updated. → (created, updated)."""
    if not 1 <= len(items) <= MAX_MATTERS:
        raise UsageError("items", f"每批应有 1 至 {MAX_MATTERS} 项")
    if len({i.case_no for i in items}) != len(items):
        raise UsageError("items", "同一批中办件编号重复")
    now = datetime.now(timezone.utc)
    async with H._meta.db.transaction():
        existing = {
            r["case_no"]: r["id"]
            for r in await H.select(H.id, H.case_no).where(
                (H.agency == agency_id) & H.case_no.is_in([i.case_no for i in items])
            )
        }
        new = [
            H(
                agency=agency_id,
                case_no=i.case_no,
                matter_name=i.matter_name,
                domain=i.domain,
                handled_on=i.handled_on,
                reported_at=now,
            )
            for i in items
            if i.case_no not in existing
        ]
        if new:
            await H.insert(*new)
        for i in items:
            if i.case_no in existing:
                await H.update(
                    {H.matter_name: i.matter_name, H.domain: i.domain, H.handled_on: i.handled_on, H.reported_at: now}
                ).where(H.id == existing[i.case_no])
    return len(new), len(items) - len(new)


_UNCHECKED = 'NOT EXISTS (SELECT 1 FROM "credit_check" c WHERE c."agency" = m."agency" AND c."case_no" = m."case_no")'


async def figures(period: Period) -> list[dict]:
    """Per department: checks, uses by product, incentives, sanctions, matters reported, matters
    without a check and the check rate (R-P4; JX 六(十四))."""
    agencies = await Agency.select(Agency.id, Agency.code, Agency.name).order_by(Agency.code)
    rows = {
        a["id"]: {
            "agency": a,
            "checks": 0,
            "uses": {p: 0 for p in Product.LABELS},
            "incentives": 0,
            "sanctions": 0,
            "matters": 0,
            "without_check": 0,
        }
        for a in agencies
    }
    for r in await C.raw(
        'SELECT "agency", COUNT(*) AS n FROM "credit_check" WHERE "checked_on" >= {} AND "checked_on" <= {} '
        'GROUP BY "agency"',
        period.start,
        period.end,
    ):
        rows[r["agency"]]["checks"] = r["n"]
    for r in await U.raw(
        'SELECT "agency", "product", "outcome", COUNT(*) AS n FROM "product_use" '
        'WHERE "used_on" >= {} AND "used_on" <= {} GROUP BY "agency", "product", "outcome"',
        period.start,
        period.end,
    ):
        row = rows[r["agency"]]
        row["uses"][r["product"]] = row["uses"].get(r["product"], 0) + r["n"]
        row["incentives"] += r["n"] if r["outcome"] == Outcome.INCENTIVE else 0
        row["sanctions"] += r["n"] if r["outcome"] == Outcome.SANCTION else 0
    for r in await H.raw(
        f'SELECT m."agency", COUNT(*) AS n, SUM(CASE WHEN {_UNCHECKED} THEN 1 ELSE 0 END) AS unchecked '
        'FROM "handled_matter" m WHERE m."handled_on" >= {} AND m."handled_on" <= {} GROUP BY m."agency"',
        period.start,
        period.end,
    ):
        rows[r["agency"]]["matters"] = r["n"]
        rows[r["agency"]]["without_check"] = int(r["unchecked"] or 0)
    out = []
    for row in rows.values():
        m = row["matters"]
        row["check_rate"] = (m - row["without_check"]) / m if m else None
        if row["checks"] or m or any(row["uses"].values()):
            out.append(row)
    return out


async def without_check(period: Period, limit: int = 500) -> list[dict]:
    """未经核查办理的事项 (JX 六(十四)): reported handled, no check of that agency for the case."""
    return await H.raw(
        'SELECT m."case_no", m."matter_name", m."domain", m."handled_on", a."name" AS agency_name '
        f'FROM "handled_matter" m JOIN "agency" a ON a."id" = m."agency" WHERE {_UNCHECKED} '
        'AND m."handled_on" >= {} AND m."handled_on" <= {} ORDER BY a."code", m."handled_on", m."case_no" LIMIT {}',
        period.start,
        period.end,
        limit,
    )
