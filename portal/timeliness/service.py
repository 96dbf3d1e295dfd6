"""Timeliness of reporting per agency (R-12, R-13): decisions within 7 working days, periodic
reports within 10 working days after each period, the rejected share of what arrived, and the
escalation list (通报). Counts come from records and the batch log; nothing is stored here."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from piccolo.query.functions.aggregate import Sum

from portal.agencies.tables import Agency
from portal.calendar.service import load_calendar
from portal.ingest.tables import IngestBatch
from portal.lib.dates import CHINA_TZ, to_china
from portal.lib.workdays import UnknownCalendarYear, WorkdayCalendar
from portal.records.categories import CATEGORIES
from portal.records.tables import CreditRecord, DisclosureClass, RecordType
from portal.timeliness import rules, svg
from portal.timeliness.tables import Period, ReportingObligation, UrgeNotice

__all__ = [
    "public_label",
    "MONTHS",
    "SORTS",
    "TimelinessError",
    "scorecard",
    "scorecards",
    "escalations",
    "add_obligation",
    "end_obligation",
    "obligations_of",
]

MONTHS = 6  # the scorecard's window
LATE_MONTHS = 3  # late in 3 of the last 6 months → 通报
UNANSWERED_URGES = 2  # two 催报 with no report since → 通报
SORTS = {
    "code": (lambda c: c["agency"]["code"], False),
    "rate": (lambda c: (c["on_time_rate"] is None, c["on_time_rate"] or 0), False),
    "late": (lambda c: c["late"], True),
    "completeness": (lambda c: (c["completeness"] is None, c["completeness"] or 0), False),
    "rejection": (lambda c: c["rejection_rate"] or 0, True),
}
R = CreditRecord
OB = ReportingObligation


class TimelinessError(ValueError):
    """Staff input that cannot be used; the message is Chinese."""


def public_label(row: dict) -> dict:
    """A record as timeliness lists name it: title and document number only for class A; a class B
    or C record by the provider's own record number, never its content (DESIGN rule 1)."""
    if row["disclosure_class"] == DisclosureClass.A:
        return {**row, "label": row["title"], "doc_number": row["doc_number"]}
    kind = DisclosureClass.LABELS.get(row["disclosure_class"], "非公开")
    return {**row, "title": "", "label": f"{kind}信息（记录编号 {row['provider_ref'] or row['id']}）", "doc_number": ""}


def _china_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), CHINA_TZ)


def _window_start(today: date) -> date:
    return date.fromisoformat(rules.months_back(today, MONTHS)[0] + "-01")


async def _decisions(agency_ids: list[int], cal: WorkdayCalendar, today: date) -> dict[int, dict]:
    """Per agency: month → counts, and the late items (newest first)."""
    start = _window_start(today)
    columns = (
        R.id,
        R.provider,
        R.title,
        R.doc_number,
        R.disclosure_class,
        R.provider_ref,
        R.decision_date,
        R.created_at,
    )
    rows = await R.select(*columns).where(
        R.record_type.is_in([RecordType.LICENSE, RecordType.PENALTY])
        & R.provider.is_in(agency_ids)
        & (R.created_at >= _china_midnight(start))
    )
    out: dict[int, dict] = {a: {"months": defaultdict(lambda: defaultdict(int)), "late_items": []} for a in agency_ids}
    for row in rows:
        reported = to_china(row["created_at"]).date()
        if reported > today:
            continue
        verdict = rules.judge_decision(cal, row["decision_date"], reported)
        counts = out[row["provider"]]["months"][rules.month_key(reported)]
        counts[verdict.state] += 1
        if verdict.state == rules.LATE:
            counts["days_late"] += verdict.days_late
            out[row["provider"]]["late_items"].append(
                {**public_label(row), "reported_on": reported, "due": verdict.due, "days_late": verdict.days_late}
            )
    for item in out.values():
        item["late_items"].sort(key=lambda r: r["reported_on"], reverse=True)
    return out


async def _batch_days(agency_ids: list[int], since: date) -> dict[int, list[date]]:
    rows = await IngestBatch.select(IngestBatch.agency, IngestBatch.received_at).where(
        IngestBatch.agency.is_in(agency_ids) & (IngestBatch.received_at >= _china_midnight(since))
    )
    out: dict[int, list[date]] = defaultdict(list)
    for row in rows:
        out[row["agency"]].append(to_china(row["received_at"]).date())
    return out


def _periods(obligation: dict, days: list[date], cal: WorkdayCalendar, today: date) -> list[dict]:
    """Each period of the last year this obligation covers: met, missed, pending or unknown."""
    since = max(obligation["starts_on"], today - timedelta(days=366))
    until = today
    if obligation["ended_at"] is not None:
        until = min(until, to_china(obligation["ended_at"]).date())
    out = []
    for window in rules.period_windows(obligation["period"], since, until):
        row = {"label": window.label, "ends": window.ends, "category": obligation["category"]}
        try:
            due = cal.add_workdays(window.ends, rules.PERIOD_DAYS)
        except UnknownCalendarYear as exc:
            out.append({**row, "state": "unknown", "due": None, "unknown_year": exc.year})
            continue
        met = any(window.ends < d <= due for d in days)
        state = "met" if met else ("pending" if due >= today else "missed")
        out.append({**row, "state": state, "due": due})
    return out


async def _obligations(agency_ids: list[int], cal: WorkdayCalendar, today: date) -> dict[int, list[dict]]:

    rows = await OB.select().where(OB.agency.is_in(agency_ids)).order_by(OB.id)
    days = await _batch_days(agency_ids, today - timedelta(days=400))
    out: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        out[row["agency"]] += _periods(row, days.get(row["agency"], []), cal, today)
    return out


async def _rejections(agency_ids: list[int], today: date) -> dict[int, tuple[int, int]]:
    B = IngestBatch
    rows = (
        await B.select(B.agency, Sum(B.items, alias="items"), Sum(B.rejected, alias="rejected"))
        .where(B.agency.is_in(agency_ids) & (B.received_at >= _china_midnight(_window_start(today))))
        .group_by(B.agency)
    )
    return {r["agency"]: (int(r["items"] or 0), int(r["rejected"] or 0)) for r in rows}


async def _unanswered(agency_ids: list[int]) -> dict[int, int]:
    """催报 issued to an agency with no batch received since (R-13)."""
    urges = await UrgeNotice.select(UrgeNotice.agency, UrgeNotice.issued_at).where(UrgeNotice.agency.is_in(agency_ids))
    if not urges:
        return {}
    last = {}
    for row in await IngestBatch.select(IngestBatch.agency, IngestBatch.received_at).where(
        IngestBatch.agency.is_in(agency_ids)
    ):
        at = to_china(row["received_at"])
        last[row["agency"]] = max(last.get(row["agency"], at), at)
    out: dict[int, int] = defaultdict(int)
    for urge in urges:
        answered = urge["agency"] in last and last[urge["agency"]] > to_china(urge["issued_at"])
        out[urge["agency"]] += not answered
    return out


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _card(agency: dict, decisions: dict, periods: list[dict], batches: tuple[int, int], unanswered: int, today: date):
    months = []
    for key in rules.months_back(today, MONTHS):
        counts = decisions["months"].get(key, {})
        months.append({"month": key, **{k: counts.get(k, 0) for k in ("on_time", "late", "unknown", "days_late")}})
    total = {k: sum(m[k] for m in months) for k in ("on_time", "late", "unknown", "days_late")}
    states = {s: [p for p in periods if p["state"] == s] for s in ("met", "missed", "pending", "unknown")}
    items, rejected = batches
    late_months = sum(1 for m in months if m["late"])
    card = {
        "agency": agency,
        "months": months,
        **total,
        # unknown years are neither on time nor late; the rate is over the judged items.
        "on_time_rate": _rate(total["on_time"], total["on_time"] + total["late"]),
        "late_items": decisions["late_items"],
        "periods": periods,
        "missed_periods": states["missed"],
        "met": len(states["met"]),
        "missed": len(states["missed"]),
        "pending": len(states["pending"]),
        "periods_unknown": len(states["unknown"]),
        "completeness": _rate(len(states["met"]), len(states["met"]) + len(states["missed"])),
        "items": items,
        "rejected": rejected,
        "rejection_rate": _rate(rejected, items),
        "unanswered_urges": unanswered,
        "late_months": late_months,
    }
    card["overdue"] = bool(card["late"] or card["missed"])
    card["escalate"] = late_months >= LATE_MONTHS or unanswered >= UNANSWERED_URGES
    card["chart"] = svg.stacked_bars(months, f"{agency['name']} 近{MONTHS}个月许可、处罚信息报送及时情况")
    return card


async def _cards(agencies: list[dict], today: date) -> list[dict]:
    if not agencies:
        return []
    ids = [a["id"] for a in agencies]
    cal = await load_calendar()
    decisions = await _decisions(ids, cal, today)
    obligations = await _obligations(ids, cal, today)
    rejections = await _rejections(ids, today)
    unanswered = await _unanswered(ids)
    return [
        _card(
            a,
            decisions[a["id"]],
            obligations.get(a["id"], []),
            rejections.get(a["id"], (0, 0)),
            unanswered.get(a["id"], 0),
            today,
        )
        for a in agencies
    ]


async def scorecard(agency_id: int, today: date) -> dict | None:
    agency = await Agency.select(Agency.id, Agency.code, Agency.name).where(Agency.id == agency_id).first()
    return (await _cards([agency], today))[0] if agency else None


async def scorecards(today: date, sort: str = "code") -> list[dict]:
    """Every active agency's scorecard, sorted by ``sort`` (one of SORTS)."""
    if sort not in SORTS:
        raise TimelinessError("排序方式无效")
    agencies = await Agency.select(Agency.id, Agency.code, Agency.name).where(Agency.is_active == True)  # noqa: E712
    cards = await _cards(agencies, today)
    key, reverse = SORTS[sort]
    return sorted(cards, key=key, reverse=reverse)


async def escalations(today: date) -> list[dict]:
    """R-13 通报: agencies late in 3 of the last 6 months or with 2 催报 unanswered."""
    return [c for c in await scorecards(today) if c["escalate"]]


async def add_obligation(agency_id: int, category: str, period: str, starts_on: date, actor: str) -> None:
    if category not in CATEGORIES:
        raise TimelinessError("未知的信息类别")
    if period not in Period.LABELS:
        raise TimelinessError("报送周期应为按月、按季度、按半年或按年")
    if not await Agency.exists().where(Agency.id == agency_id):
        raise TimelinessError("没有该部门")
    if await OB.exists().where((OB.agency == agency_id) & (OB.category == category) & OB.ended_at.is_null()):
        raise TimelinessError("该部门已有此类别的报送要求，请先停止原要求")
    await OB.insert(
        OB(
            agency=agency_id,
            category=category,
            period=period,
            starts_on=starts_on,
            created_by=actor,
            created_at=datetime.now(CHINA_TZ),
        )
    )


async def end_obligation(agency_id: int, obligation_id: int) -> bool:

    done = (
        await OB.update({OB.ended_at: datetime.now(CHINA_TZ)})
        .where((OB.id == obligation_id) & (OB.agency == agency_id) & OB.ended_at.is_null())
        .returning(OB.id)
    )
    return bool(done)


async def obligations_of(agency_id: int) -> list[dict]:

    rows = await OB.select().where(OB.agency == agency_id).order_by(OB.id)
    for row in rows:
        row["category_label"] = CATEGORIES[row["category"]].label if row["category"] in CATEGORIES else row["category"]
        row["period_label"] = Period.LABELS.get(row["period"], row["period"])
    return rows
