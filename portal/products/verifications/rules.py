"""The verification procedure as pure rules (R-P2): when an application counts as received, its
5-working-day deadline on the PRC calendar (SPEC §6), the one-year validity, and the state an
issued opinion shows. No I/O here."""

from __future__ import annotations

from datetime import date, timedelta

from portal.lib.workdays import UnknownCalendarYear, WorkdayCalendar
from portal.objections.stages import Due

__all__ = ["DEADLINE_DAYS", "DUTY", "State", "received_on", "due_of", "valid_until", "state_of"]

DEADLINE_DAYS = 5
"""R-P2 (Z105 第十条, KS 第十一条): the centre answers within 5 working days of receipt."""
DUTY = "信用中心出具查询意见"


class State:
    VALID = "valid"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"
    LABELS = {VALID: "有效", EXPIRED: "已过期", SUPERSEDED: "已被更新取代"}


def received_on(applied_on: date, calendar: WorkdayCalendar) -> date:
    """An application filed on a rest day is received on the next working day (R-P2); the five
    working days then count from the day after receipt. UnknownCalendarYear propagates."""
    day = applied_on
    while not calendar.is_workday(day):
        day += timedelta(days=1)
    return day


def due_of(applied_on: date, calendar: WorkdayCalendar, today: date) -> Due:
    """The deadline to issue, or the year the calendar lacks: never a guessed date (SPEC §6)."""
    try:
        on = calendar.add_workdays(received_on(applied_on, calendar), DEADLINE_DAYS)
        left = calendar.workdays_between(today, on)
    except UnknownCalendarYear as exc:
        return Due(duty=DUTY, unknown_year=exc.year)
    return Due(duty=DUTY, on=on, left=left)


def valid_until(issued_on: date) -> date:
    """The last day of the one-year validity (R-P2: 有效期原则上为1年): the day before the same
    date a year later (29 February: through 28 February)."""
    try:
        same_day = issued_on.replace(year=issued_on.year + 1)
    except ValueError:
        same_day = date(issued_on.year + 1, 3, 1)
    return same_day - timedelta(days=1)


def state_of(until: date, superseded: bool, today: date) -> str:
    """Past its validity it is expired whatever happened; within it, a major change or a successful
    objection since issue makes it superseded (R-P2: the subject should request an update)."""
    if today > until:
        return State.EXPIRED
    return State.SUPERSEDED if superseded else State.VALID
