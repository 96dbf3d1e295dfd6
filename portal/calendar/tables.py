"""The staff-extendable holiday table (SPEC §6, STACK: chinese-calendar stops at 2026)."""

from piccolo.columns import Boolean, Date, Integer, Timestamptz, Varchar
from piccolo.table import Table

__all__ = ["CalendarChange", "CalendarDay", "CalendarYear"]


class CalendarDay(Table, tablename="calendar_day"):
    """An official exception to Mon–Fri: a statutory holiday or an adjusted working weekend."""

    day = Date(unique=True)
    is_workday = Boolean()
    name = Varchar(length=50)
    """e.g. 元旦, 春节, 国庆节调休上班."""
    entered_by = Varchar(length=64)
    entered_at = Timestamptz()


class CalendarYear(Table, tablename="calendar_year"):
    """A year whose official arrangement staff have entered completely into CalendarDay."""

    year = Integer(unique=True)
    source = Varchar(length=200)
    """The State Council notice it was taken from (国办发明电〔…〕…号)."""
    entered_by = Varchar(length=64)
    entered_at = Timestamptz()


class CalendarChange(Table, tablename="calendar_change"):
    """One step on the staff table — a day added or removed, a year confirmed or reopened (R-23)."""

    year = Integer(index=True)
    action = Varchar(length=16)
    """add, remove, confirm or reopen."""
    detail = Varchar(length=200)
    """What changed, e.g. 2027-02-06 放假 春节, or the notice a year was confirmed from."""
    reason = Varchar(length=200, default="")
    """Required once the year counts for deadlines (confirmed or built in), and for a reopening."""
    actor = Varchar(length=64)
    at = Timestamptz()
