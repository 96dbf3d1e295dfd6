"""PRC working-day calendar for "N个工作日" deadlines (SPEC §6; R-12, R-23, R-P2).

chinese-calendar 1.11 knows the State Council arrangement for 2004–2026 only and raises
NotImplementedError for any other year (STACK). Deadlines filed in December 2026 already reach
into 2027, so `WorkdayCalendar` combines the library with the staff-maintained holiday table
(`portal.calendar.tables.CalendarDay` / `CalendarYear`):

- a year the library knows: the library decides, an entry of the staff table overrides it;
- a year staff marked as fully entered (`known_years`): Monday–Friday are working days and
  Saturday/Sunday rest days, except where the staff table says otherwise;
- any other year: `UnknownCalendarYear` — never a silent Mon–Fri guess, even if the table
  already holds some dates of that year (a half-entered year is still unknown).

Build it from the database rows, e.g.::

    WorkdayCalendar({d.day: (d.is_workday, d.name) for d in days}, known_years={y.year for y in years})
"""

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta

import chinese_calendar
from chinese_calendar.constants import holidays as _LIBRARY_HOLIDAYS

__all__ = ["LIBRARY_YEARS", "PRC_2027_PROVISIONAL", "UnknownCalendarYear", "WorkdayCalendar"]

LIBRARY_YEARS = frozenset(range(min(_LIBRARY_HOLIDAYS).year, max(_LIBRARY_HOLIDAYS).year + 1))
"""Years chinese-calendar has official data for (2004–2026 in version 1.11)."""

PRC_2027_PROVISIONAL: dict[date, tuple[bool, str]] = {}
"""Deliberately empty: the 2027 arrangement is not published yet and must not be guessed.

When the State Council publishes 《国务院办公厅关于2027年部分节假日安排的通知》, staff enter
every statutory holiday that falls on a weekday as ``date: (False, "春节")`` and every adjusted
working weekend as ``date: (True, "春节调休上班")`` in the holiday table (CalendarDay), then mark
2027 as complete (CalendarYear, with the notice number as source). Only then pass 2027 in
``known_years``; until that, 2027 dates raise `UnknownCalendarYear`. Upgrading chinese-calendar to
a release that knows 2027 works too; entries in the table still override the library.
"""


class UnknownCalendarYear(LookupError):
    """The official holiday arrangement of a year is neither in chinese-calendar nor entered by staff."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(f"{year}年的法定节假日安排尚未录入，无法计算工作日")


class WorkdayCalendar:
    """Working days per the official PRC calendar plus a staff-maintained table (SPEC §6)."""

    def __init__(
        self,
        extra: Mapping[date, tuple[bool, str]] | None = None,
        known_years: Iterable[int] = (),
    ) -> None:
        """`extra`: {date: (is_workday, name)} exceptions; `known_years`: years `extra` fully covers."""
        self._extra = dict(extra or {})
        self._known_years = frozenset(known_years)

    def known_years(self) -> frozenset[int]:
        """Every year this calendar can answer for: the library's years plus the staff-entered ones."""
        return LIBRARY_YEARS | self._known_years

    def is_workday(self, day: date) -> bool:
        """True if `day` is a working day; `UnknownCalendarYear` if its year is not known."""
        if isinstance(day, datetime):
            day = day.date()
        try:
            workday = chinese_calendar.is_workday(day)
        except NotImplementedError:
            if day.year not in self._known_years:
                raise UnknownCalendarYear(day.year) from None
            workday = day.weekday() < 5  # staff entered this year: Mon–Fri plus their exceptions
        entry = self._extra.get(day)
        return workday if entry is None else entry[0]

    def add_workdays(self, start: date, n: int) -> date:
        """The n-th working day after `start` (n >= 1); `start` itself never counts (SPEC §6).

        E.g. an objection forwarded "within 3 working days" of receipt on `start` (R-23) is due
        on ``add_workdays(start, 3)``.
        """
        if n < 1:
            raise ValueError("工作日天数应为正整数")
        day = start.date() if isinstance(start, datetime) else start
        while n:
            day += timedelta(days=1)
            n -= self.is_workday(day)
        return day

    deadline = add_workdays

    def workdays_between(self, a: date, b: date) -> int:
        """The number of working days in (a, b]; negative (minus those in (b, a]) when b is before a."""
        if b < a:
            return -self.workdays_between(b, a)
        return sum(self.is_workday(a + timedelta(days=i)) for i in range(1, (b - a).days + 1))
