"""The working-day calendar as the application uses it: the library plus the staff table (SPEC §6).

A year beyond the library counts for deadlines only once staff confirm it complete: every statutory
holiday of the State Council arrangement entered, and as many make-up working days as the notice
lists. Once a year counts, every change needs a reason; every step is kept (R-23: deadlines are
computed from this table, so changing it must stay attributable).
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import asynccontextmanager
from datetime import date, datetime, timezone

from piccolo.engine.sqlite import TransactionType

from portal.calendar.tables import CalendarChange, CalendarDay, CalendarYear
from portal.lib.dates import today_cn
from portal.lib.workdays import LIBRARY_YEARS, WorkdayCalendar
from portal.numbering import serialize

__all__ = [
    "STATUTORY_HOLIDAYS",
    "CalendarError",
    "add_day",
    "confirm_year",
    "load_calendar",
    "missing_of",
    "overview",
    "remove_day",
    "reopen_year",
]

STATUTORY_HOLIDAYS = ("元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节")
"""The seven holidays every State Council arrangement covers (全国年节及纪念日放假办法)."""
# A day counts for a holiday when its name contains the stem: 清明, 五一劳动节, 中秋节、国庆节 all do.
_STEMS = {
    "元旦": "元旦",
    "春节": "春节",
    "清明节": "清明",
    "劳动节": "劳动",
    "端午节": "端午",
    "中秋节": "中秋",
    "国庆节": "国庆",
}
ACTIONS = {"add": "录入", "remove": "删除", "confirm": "确认", "reopen": "重新开放"}
FIRST_YEAR, LAST_YEAR = 2004, 2100


class CalendarError(ValueError):
    pass


@asynccontextmanager
async def _transaction(year: int):
    """One change of a year's calendar at a time: on PostgreSQL two staff confirming or entering
    the same day at once would both pass the checks and one would hit the unique key (a 500)."""
    db = CalendarDay._meta.db
    if db.engine_type == "sqlite":
        async with db.transaction(transaction_type=TransactionType.immediate):  # a second writer waits, never "locked"
            yield
        return
    async with db.transaction():
        await serialize(CalendarDay, f"calendar:{year}")
        yield


def _in_year(year: int):
    return (CalendarDay.day >= date(year, 1, 1)) & (CalendarDay.day <= date(year, 12, 31))


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise CalendarError(f"年份应在{FIRST_YEAR}至{LAST_YEAR}之间")


def _describe(day: date, is_workday: bool, name: str) -> str:
    return f"{day.isoformat()} {'调休上班' if is_workday else '放假'} {name}"


def missing_of(days: list[dict]) -> list[str]:
    """The statutory holidays without any entered rest day named for them."""
    names = [d["name"] for d in days if not d["is_workday"]]
    return [h for h in STATUTORY_HOLIDAYS if not any(_STEMS[h] in n for n in names)]


async def load_calendar() -> WorkdayCalendar:
    days = await CalendarDay.select(CalendarDay.day, CalendarDay.is_workday, CalendarDay.name)
    years = await CalendarYear.select(CalendarYear.year)
    return WorkdayCalendar(
        extra={d["day"]: (d["is_workday"], d["name"]) for d in days}, known_years=[y["year"] for y in years]
    )


async def _reason_if_in_force(year: int, reason: str) -> str:
    """R-23: a year deadlines already use (built in or confirmed) changes only with a stated reason."""
    reason = reason.strip()
    if len(reason) > 200:
        raise CalendarError("原因请控制在200字以内")
    if not reason and (year in LIBRARY_YEARS or await CalendarYear.exists().where(CalendarYear.year == year)):
        raise CalendarError(f"{year}年的安排已生效，修改须填写原因")
    return reason


async def _record(year: int, action: str, detail: str, reason: str, actor: str) -> None:
    await CalendarChange.insert(
        CalendarChange(
            year=year, action=action, detail=detail, reason=reason, actor=actor, at=datetime.now(timezone.utc)
        )
    )


async def add_day(day: date, is_workday: bool, name: str, actor: str, reason: str = "") -> None:
    _check_year(day.year)
    name = name.strip()
    if not name or len(name) > 50:
        raise CalendarError("请填写节假日或调休名称（50字以内）")
    async with _transaction(day.year):
        reason = await _reason_if_in_force(day.year, reason)
        if await CalendarDay.exists().where(CalendarDay.day == day):
            raise CalendarError(f"{day.isoformat()} 已录入，如需修改请先删除")
        now = datetime.now(timezone.utc)
        await CalendarDay.insert(
            CalendarDay(day=day, is_workday=is_workday, name=name, entered_by=actor, entered_at=now)
        )
        await _record(day.year, "add", _describe(day, is_workday, name), reason, actor)


async def remove_day(day: date, actor: str, reason: str = "") -> None:
    _check_year(day.year)
    async with _transaction(day.year):
        reason = await _reason_if_in_force(day.year, reason)
        row = await CalendarDay.select().where(CalendarDay.day == day).first()
        if row is None:
            raise CalendarError(f"{day.isoformat()} 未录入")
        await CalendarDay.delete().where(CalendarDay.day == day)
        await _record(day.year, "remove", _describe(day, row["is_workday"], row["name"]), reason, actor)


async def confirm_year(year: int, source: str, actor: str, workdays: int | None = None) -> None:
    """Staff declare a year's official arrangement completely entered; deadlines may then use it.

    `workdays`: the number of make-up working days (调休上班) the notice lists; the entered ones must match.
    """
    _check_year(year)
    if year in LIBRARY_YEARS:
        raise CalendarError(f"{year}年的安排已内置，无需确认")
    source = source.strip()
    if not source or len(source) > 200:
        raise CalendarError("请填写国务院办公厅通知的文号或来源（200字以内）")
    async with _transaction(year):
        if await CalendarYear.exists().where(CalendarYear.year == year):
            raise CalendarError(f"{year}年已确认")
        days = await CalendarDay.select(CalendarDay.is_workday, CalendarDay.name).where(_in_year(year))
        problems = []
        if missing := missing_of(days):
            problems.append(f"请先录入{year}年的法定节假日：{'、'.join(missing)}（尚无放假日期）")
        entered = sum(1 for d in days if d["is_workday"])
        if workdays is None or not 0 <= workdays <= 366:
            problems.append("请填写通知中的调休上班天数")
        elif workdays != entered:
            problems.append(f"通知列有调休上班日{workdays}天，已录入{entered}天，请核对")
        if problems:
            raise CalendarError("；".join(problems))
        await CalendarYear.insert(
            CalendarYear(year=year, source=source, entered_by=actor, entered_at=datetime.now(timezone.utc))
        )
        await _record(year, "confirm", f"依据 {source}；调休上班日{entered}天", "", actor)


async def reopen_year(year: int, reason: str, actor: str) -> None:
    """A confirmed year counts as not entered again (deadlines into it refuse) until re-confirmed."""
    _check_year(year)
    reason = reason.strip()
    if not reason or len(reason) > 200:
        raise CalendarError("重新开放须填写原因（200字以内）")
    async with _transaction(year):
        confirmed = await CalendarYear.select().where(CalendarYear.year == year).first()
        if confirmed is None:
            raise CalendarError(f"{year}年尚未确认，无需重新开放")
        await CalendarYear.delete().where(CalendarYear.year == year)
        await _record(year, "reopen", f"原依据 {confirmed['source']}", reason, actor)


async def _summary(year: int, confirmed_years: set[int]) -> list[dict]:
    """Per year worth showing: built in, confirmed, or incomplete with what is missing."""
    by_year: dict[int, list[dict]] = defaultdict(list)
    for d in await CalendarDay.select(CalendarDay.day, CalendarDay.is_workday, CalendarDay.name):
        by_year[d["day"].year].append(d)
    changed = {r["year"] for r in await CalendarChange.select(CalendarChange.year).distinct()}
    this = today_cn().year
    years = {max(LIBRARY_YEARS), this, this + 1, year} | set(by_year) | confirmed_years | changed
    out = []
    for y in sorted(years):
        builtin = y in LIBRARY_YEARS
        state = "builtin" if builtin else "confirmed" if y in confirmed_years else "incomplete"
        days = by_year.get(y, [])
        out.append(
            {
                "year": y,
                "state": state,
                "missing": [] if builtin else missing_of(days),
                "holidays": sum(1 for d in days if not d["is_workday"]),
                "workdays": sum(1 for d in days if d["is_workday"]),
            }
        )
    return out


async def overview(year: int) -> dict:
    days = await CalendarDay.select().where(_in_year(year)).order_by(CalendarDay.day)
    confirmed = await CalendarYear.select().where(CalendarYear.year == year).first()
    confirmed_years = {r["year"] for r in await CalendarYear.select(CalendarYear.year)}
    history = await CalendarChange.select().where(CalendarChange.year == year).order_by(CalendarChange.id)
    builtin = year in LIBRARY_YEARS
    return {
        "year": year,
        "days": days,
        "confirmed": confirmed,
        "builtin": builtin,
        "in_force": builtin or confirmed is not None,
        "statutory": STATUTORY_HOLIDAYS,
        "missing": [] if builtin else missing_of(days),
        "history": [{**h, "action_label": ACTIONS.get(h["action"], h["action"])} for h in history],
        "years": await _summary(year, confirmed_years),
    }
