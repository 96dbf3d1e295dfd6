"""The working-day calendar as the application uses it: the library plus the staff table (SPEC §6)."""

from __future__ import annotations

from datetime import date, datetime, timezone

from portal.calendar.tables import CalendarDay, CalendarYear
from portal.lib.workdays import LIBRARY_YEARS, WorkdayCalendar

__all__ = ["load_calendar", "add_day", "remove_day", "confirm_year", "overview", "CalendarError"]


class CalendarError(ValueError):
    pass


async def load_calendar() -> WorkdayCalendar:
    days = await CalendarDay.select(CalendarDay.day, CalendarDay.is_workday, CalendarDay.name)
    years = await CalendarYear.select(CalendarYear.year)
    return WorkdayCalendar(
        extra={d["day"]: (d["is_workday"], d["name"]) for d in days}, known_years=[y["year"] for y in years]
    )


async def add_day(day: date, is_workday: bool, name: str, actor: str) -> None:
    name = name.strip()
    if not name or len(name) > 50:
        raise CalendarError("请填写节假日或调休名称（50字以内）")
    if await CalendarDay.exists().where(CalendarDay.day == day):
        raise CalendarError(f"{day.isoformat()} 已录入，如需修改请先删除")
    await CalendarDay.insert(
        CalendarDay(day=day, is_workday=is_workday, name=name, entered_by=actor, entered_at=datetime.now(timezone.utc))
    )


async def remove_day(day: date) -> None:
    await CalendarDay.delete().where(CalendarDay.day == day)


async def confirm_year(year: int, source: str, actor: str) -> None:
    """Staff declare a year's official arrangement completely entered; deadlines may then use it."""
    if year in LIBRARY_YEARS:
        raise CalendarError(f"{year}年的安排已内置，无需确认")
    source = source.strip()
    if not source:
        raise CalendarError("请填写国务院办公厅通知的文号或来源")
    if not await CalendarDay.exists().where(
        (CalendarDay.day >= date(year, 1, 1)) & (CalendarDay.day <= date(year, 12, 31))
    ):
        raise CalendarError(f"请先录入{year}年的法定节假日和调休上班日")
    if await CalendarYear.exists().where(CalendarYear.year == year):
        raise CalendarError(f"{year}年已确认")
    await CalendarYear.insert(
        CalendarYear(year=year, source=source, entered_by=actor, entered_at=datetime.now(timezone.utc))
    )


async def overview(year: int) -> dict:
    days = (
        await CalendarDay.select()
        .where((CalendarDay.day >= date(year, 1, 1)) & (CalendarDay.day <= date(year, 12, 31)))
        .order_by(CalendarDay.day)
    )
    confirmed = await CalendarYear.select().where(CalendarYear.year == year).first()
    return {"year": year, "days": days, "confirmed": confirmed, "builtin": year in LIBRARY_YEARS}
