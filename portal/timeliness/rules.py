"""The deadlines of R-12 as pure functions over the working-day calendar (no I/O).

A year the calendar does not know gives "unknown": never on time, never late (SPEC §6).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from portal.lib.workdays import UnknownCalendarYear, WorkdayCalendar
from portal.timeliness.tables import Period

__all__ = [
    "DECISION_DAYS",
    "PERIOD_DAYS",
    "Verdict",
    "judge_decision",
    "period_windows",
    "month_key",
    "months_back",
]

DECISION_DAYS = 7  # licence and penalty decisions within 7 working days of the decision
PERIOD_DAYS = 10  # periodic reports within 10 working days after the period

ON_TIME, LATE, UNKNOWN = "on_time", "late", "unknown"


@dataclass(frozen=True)
class Verdict:
    state: str
    due: date | None = None
    days_late: int = 0
    """Working days after the due day (0 unless late)."""
    unknown_year: int | None = None


def judge_decision(cal: WorkdayCalendar, decided: date, reported: date) -> Verdict:
    """Was a decision of ``decided`` reported on ``reported`` (China date) in time?"""
    try:
        due = cal.add_workdays(decided, DECISION_DAYS)
        if reported <= due:
            return Verdict(ON_TIME, due)
        return Verdict(LATE, due, cal.workdays_between(due, reported))
    except UnknownCalendarYear as exc:
        return Verdict(UNKNOWN, unknown_year=exc.year)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def months_back(today: date, count: int) -> list[str]:
    """The ``count`` months up to and including today's, oldest first."""
    first = today.replace(day=1)
    return [month_key(_add_months(first, -i)) for i in range(count - 1, -1, -1)]


@dataclass(frozen=True)
class PeriodWindow:
    starts: date
    ends: date
    label: str


def period_windows(period: str, since: date, until: date) -> list[PeriodWindow]:
    """Every period of this kind that ends on or after ``since`` and before ``until``, oldest first."""
    step = Period.MONTHS[period]
    first = date(since.year, ((since.month - 1) // step) * step + 1, 1)
    out = []
    start = first
    while True:
        nxt = _add_months(start, step)
        ends = nxt - timedelta(days=1)
        if ends >= until:
            return out
        if ends >= since:
            out.append(PeriodWindow(start, ends, _label(period, start)))
        start = nxt


def _label(period: str, start: date) -> str:
    if period == Period.MONTH:
        return f"{start.year}年{start.month}月"
    if period == Period.QUARTER:
        return f"{start.year}年第{(start.month - 1) // 3 + 1}季度"
    if period == Period.HALF:
        return f"{start.year}年{'上' if start.month == 1 else '下'}半年"
    return f"{start.year}年"
