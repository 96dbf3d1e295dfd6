"""Entering a year on the staff calendar page as staff would from the State Council notice (R-23)."""

from __future__ import annotations

from datetime import date

from portal.calendar.tables import CalendarChange, CalendarDay, CalendarYear

# One rest day per statutory holiday of a test arrangement for 2027 (not the real notice: it is not
# published yet). 元旦 is a Friday; none of the others falls before 11 January.
HOLIDAYS_2027 = {
    "2027-01-01": "元旦",
    "2027-02-08": "春节",
    "2027-04-05": "清明节",
    "2027-05-03": "劳动节",
    "2027-06-09": "端午节",
    "2027-09-15": "中秋节",
    "2027-10-04": "国庆节",
}


async def enter_days(client, token: str, days: dict[str, str], kind: str = "holiday", reason: str = "") -> None:
    for day, name in days.items():
        data = {"day": day, "kind": kind, "name": name, "_csrf_token": token}
        if reason:
            data["reason"] = reason
        r = await client.post("/staff/calendar/days", data=data, follow_redirects=False)
        assert r.status_code == 303, (day, r.text)


async def forget_2027() -> None:
    """Other tests expect 2027 to be unknown until they enter it themselves."""
    await CalendarYear.delete().where(CalendarYear.year == 2027)
    await CalendarDay.delete().where(CalendarDay.day >= date(2027, 1, 1))
    await CalendarChange.delete().where(CalendarChange.year == 2027)
