"""Monthly objection figures per providing agency (R-23): how many were received, whether each
step was done within its working-day deadline, and how the providers answered.

Each step is counted in the month it was done (forwarded_on, answered_on, closed_on) and judged
against its deadline on the working-day calendar (SPEC §6). A deadline that runs into a year the
calendar does not know is counted as 无法计算, never as on time.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from io import BytesIO

from portal.calendar.service import load_calendar
from portal.lib.workdays import UnknownCalendarYear, WorkdayCalendar
from portal.objections.stages import DEADLINE_DAYS, OPEN_STAGES, Outcome, Stage
from portal.objections.tables import Objection

__all__ = ["FiguresError", "parse_month", "monthly_figures", "totals", "COLUMNS", "STEPS", "to_xlsx"]


class FiguresError(ValueError):
    """Bad month parameter; the message is shown as is (Chinese)."""


# The three duties of R-23: (key, label, start column, done column, stage whose deadline applies).
STEPS = (
    ("forwarded", "转送", "received_on", "forwarded_on", Stage.RECEIVED),
    ("answered", "核查答复", "forwarded_on", "answered_on", Stage.FORWARDED),
    ("told", "书面告知", "answered_on", "closed_on", Stage.ANSWERED),
)
VERDICTS = (("on_time", "按期"), ("late", "超期"), ("unknown", "无法计算"))
OUTCOMES = (Outcome.UPHELD, Outcome.CORRECTED, Outcome.REVOKED)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("received", "本月受理"),
    *((f"{key}_{v}", f"{label}{vlabel}") for key, label, *_ in STEPS for v, vlabel in VERDICTS),
    *((o, Outcome.SHORT[o]) for o in OUTCOMES),
    ("open", "尚未办结"),
)
"""Every counted column in display order, with its Chinese heading."""
_MONTH = re.compile(r"(\d{4})-(\d{1,2})")


def parse_month(text: str, today: date) -> tuple[int, int]:
    """``YYYY-MM`` (the value of an <input type="month">); empty → the current month."""
    text = (text or "").strip()
    if not text:
        return today.year, today.month
    match = _MONTH.fullmatch(text)
    if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2100:
        raise FiguresError("月份格式应为 YYYY-MM，例如 2026-12")
    return int(match.group(1)), int(match.group(2))


def month_bounds(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def _verdict(start: date, done: date, days: int, calendar: WorkdayCalendar) -> str:
    try:
        due = calendar.add_workdays(start, days)
    except UnknownCalendarYear:
        return "unknown"  # SPEC §6: a year not entered is never guessed
    return "on_time" if done <= due else "late"


def _count(rows: list[dict], first: date, last: date, calendar: WorkdayCalendar) -> dict:
    figures = dict.fromkeys((key for key, _ in COLUMNS), 0)
    for row in rows:
        if first <= row["received_on"] <= last:
            figures["received"] += 1
        for key, _, start_column, done_column, stage in STEPS:
            start, done = row[start_column], row[done_column]
            if start is not None and done is not None and first <= done <= last:
                figures[f"{key}_{_verdict(start, done, DEADLINE_DAYS[stage], calendar)}"] += 1
        if row["answered_on"] and first <= row["answered_on"] <= last and row["outcome"] in OUTCOMES:
            figures[row["outcome"]] += 1
        if row["stage"] in OPEN_STAGES and row["received_on"] <= last:
            figures["open"] += 1
    return figures


async def monthly_figures(year: int, month: int) -> list[dict]:
    """One row per providing agency with any objection in the month (or still open from before it):
    agency_id, agency_name and the COLUMNS counts. 尚未办结 counts objections received by the end
    of the month that are open now."""
    first, last = month_bounds(year, month)
    OB = Objection
    in_month = (OB.received_on >= first) & (OB.received_on <= last)
    for column in (OB.forwarded_on, OB.answered_on, OB.closed_on):
        in_month |= (column >= first) & (column <= last)
    in_month |= OB.stage.is_in(list(OPEN_STAGES)) & (OB.received_on <= last)
    rows = await OB.select(
        OB.agency,
        OB.agency.name.as_alias("agency_name"),
        OB.stage,
        OB.outcome,
        OB.received_on,
        OB.forwarded_on,
        OB.answered_on,
        OB.closed_on,
    ).where(in_month)
    calendar = await load_calendar()
    by_agency: dict[int, list[dict]] = {}
    names: dict[int, str] = {}
    for row in rows:
        by_agency.setdefault(row["agency"], []).append(row)
        names[row["agency"]] = row["agency_name"]
    result = [
        {"agency_id": agency_id, "agency_name": names[agency_id], **_count(group, first, last, calendar)}
        for agency_id, group in by_agency.items()
    ]
    return sorted(result, key=lambda r: (r["agency_name"], r["agency_id"]))


def totals(rows: list[dict]) -> dict:
    return {key: sum(r[key] for r in rows) for key, _ in COLUMNS}


def to_xlsx(rows: list[dict], year: int, month: int) -> bytes:
    """The same table as the page, one sheet, totals last."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = f"{year}年{month}月"
    sheet.append([f"信用信息异议办理情况（{year}年{month}月，按提供单位）"])
    sheet["A1"].font = Font(bold=True)
    sheet.append(["提供单位", *(label for _, label in COLUMNS)])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row["agency_name"], *(row[key] for key, _ in COLUMNS)])
    sum_row = totals(rows)
    sheet.append(["合计", *(sum_row[key] for key, _ in COLUMNS)])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 32
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
