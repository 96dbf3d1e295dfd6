"""The staff holiday table (R-12, R-23, SPEC §6): a year counts only when complete — all seven
statutory holidays and as many make-up working days as the notice lists; once it counts, changes
need a reason and keep history; a reopened year is unknown to deadlines again. Both engines."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from portal.accounts.tables import Role
from portal.calendar.service import CalendarError, confirm_year, load_calendar, missing_of
from portal.calendar.tables import CalendarChange, CalendarDay, CalendarYear
from portal.lib.workdays import UnknownCalendarYear
from portal.objections.stages import Stage, due_of
from tests import factories as f
from tests.calendar_entry import HOLIDAYS_2027, enter_days, forget_2027
from tests.queryflow import csrf, logged_in

pytestmark = pytest.mark.anyio

MAKEUP_2027 = {"2027-02-20": "春节调休上班", "2027-10-09": "国庆节调休上班"}  # two Saturdays
NOTICE = "国办发明电〔2026〕测试"


@pytest.fixture
async def staff(app):
    user = await f.account(Role.STAFF)
    try:
        async with logged_in(app, user) as client:
            yield client
    finally:
        await forget_2027()


async def _confirm(client, workdays: str = "2", source: str = NOTICE):
    return await client.post(
        "/staff/calendar/years",
        data={"year": "2027", "source": source, "workdays": workdays, "_csrf_token": csrf(client)},
        follow_redirects=False,
    )


async def _complete_2027(client) -> None:
    await enter_days(client, csrf(client), HOLIDAYS_2027)
    await enter_days(client, csrf(client), MAKEUP_2027, kind="workday")
    assert (await _confirm(client)).status_code == 303


def _forwarded(on: date) -> dict:
    return {"stage": Stage.FORWARDED, "received_on": None, "forwarded_on": on, "answered_on": None}


def test_a_holiday_counts_by_its_rest_days_only():
    days = [
        {"is_workday": False, "name": "中秋节、国庆节"},  # one rest day may serve two holidays
        {"is_workday": False, "name": "清明"},
        {"is_workday": True, "name": "春节调休上班"},  # a make-up working day is no rest day of 春节
    ]
    assert missing_of(days) == ["元旦", "春节", "劳动节", "端午节"]


async def test_confirming_an_incomplete_year_is_refused_naming_what_is_missing(staff):
    await enter_days(staff, csrf(staff), {"2027-01-01": "元旦", "2027-02-08": "春节"})
    await enter_days(staff, csrf(staff), {"2027-02-20": "春节调休上班"}, kind="workday")
    refused = await _confirm(staff, workdays="2")
    assert refused.status_code == 400
    assert "请先录入2027年的法定节假日：清明节、劳动节、端午节、中秋节、国庆节（尚无放假日期）" in refused.text
    assert "通知列有调休上班日2天，已录入1天" in refused.text
    no_count = await _confirm(staff, workdays="")
    assert no_count.status_code == 400 and "请填写通知中的调休上班天数" in no_count.text
    # All holidays in, but the make-up days still short of the notice: refused for that alone.
    await enter_days(staff, csrf(staff), {k: v for k, v in HOLIDAYS_2027.items() if v not in ("元旦", "春节")})
    short = await _confirm(staff, workdays="2")
    assert short.status_code == 400 and "请先录入" not in short.text and "已录入1天" in short.text
    assert not await CalendarYear.exists().where(CalendarYear.year == 2027)
    with pytest.raises(UnknownCalendarYear):
        (await load_calendar()).add_workdays(date(2026, 12, 28), 5)
    page = await staff.get("/staff/calendar?year=2027")
    assert "未完整录入" in page.text and "尚未确认" in page.text


async def test_a_complete_year_is_accepted_and_deadlines_use_it(staff):
    await _complete_2027(staff)
    calendar = await load_calendar()
    # Forwarded Fri 5 Feb 2027: 8 Feb is 春节 (entered), 9–12, then Sat 20 Feb is a make-up working day.
    due = due_of(_forwarded(date(2027, 2, 5)), calendar, today=date(2027, 2, 5))
    # 9–12 (4), 15–19 (9), Sat 20 (10), 22–26 (15).
    assert due.on == date(2027, 2, 26) and due.unknown_year is None
    page = await staff.get("/staff/calendar?year=2027")
    assert "已录入并确认" in page.text and f"依据：{NOTICE}" in page.text
    built_in = await staff.get("/staff/calendar?year=2026")
    assert "系统内置（国务院办公厅公布的安排）" in built_in.text and "chinese-calendar" not in built_in.text
    again = await _confirm(staff)
    assert again.status_code == 400 and "2027年已确认" in again.text
    library = await staff.post(
        "/staff/calendar/years",
        data={"year": "2026", "source": NOTICE, "workdays": "0", "_csrf_token": csrf(staff)},
    )
    assert library.status_code == 400 and "已内置，无需确认" in library.text


async def test_a_change_after_confirmation_needs_a_reason_which_is_recorded(staff):
    await _complete_2027(staff)
    extra = {"day": "2027-06-11", "kind": "holiday", "name": "端午节", "_csrf_token": csrf(staff)}
    bare = await staff.post("/staff/calendar/days", data=extra)
    assert bare.status_code == 400 and "2027年的安排已生效，修改须填写原因" in bare.text
    assert not await CalendarDay.exists().where(CalendarDay.day == date(2027, 6, 11))
    added = await staff.post("/staff/calendar/days", data={**extra, "reason": "漏录端午节放假"}, follow_redirects=False)
    assert added.status_code == 303
    assert await CalendarDay.exists().where(CalendarDay.day == date(2027, 6, 11))
    delete = "/staff/calendar/days/2027-10-09/delete"
    bare = await staff.post(delete, data={"_csrf_token": csrf(staff)})
    assert bare.status_code == 400 and "修改须填写原因" in bare.text
    assert await CalendarDay.exists().where(CalendarDay.day == date(2027, 10, 9))
    removed = await staff.post(delete, data={"reason": "录错日期", "_csrf_token": csrf(staff)}, follow_redirects=False)
    assert removed.status_code == 303
    assert not await CalendarDay.exists().where(CalendarDay.day == date(2027, 10, 9))
    rows = await CalendarChange.select().where(CalendarChange.year == 2027).order_by(CalendarChange.id)
    assert [(r["action"], r["detail"], r["reason"]) for r in rows[-2:]] == [
        ("add", "2027-06-11 放假 端午节", "漏录端午节放假"),
        ("remove", "2027-10-09 调休上班 国庆节调休上班", "录错日期"),
    ]
    # The year stays in force, now with one make-up Saturday fewer.
    assert (await load_calendar()).is_workday(date(2027, 10, 9)) is False
    # A built-in year is in force too: overriding it needs a reason.
    library = await staff.post(
        "/staff/calendar/days",
        data={"day": "2026-12-31", "kind": "holiday", "name": "测试", "_csrf_token": csrf(staff)},
    )
    assert library.status_code == 400 and "2026年的安排已生效" in library.text


async def test_reopening_makes_deadlines_into_the_year_refuse_again(staff, app):
    await _complete_2027(staff)
    forwarded = _forwarded(date(2026, 12, 20))
    assert due_of(forwarded, await load_calendar(), today=date(2026, 12, 21)).on == date(2027, 1, 11)
    bare = await staff.post("/staff/calendar/years/reopen", data={"year": "2027", "_csrf_token": csrf(staff)})
    assert bare.status_code == 400 and "重新开放须填写原因" in bare.text
    assert await CalendarYear.exists().where(CalendarYear.year == 2027)
    reopened = await staff.post(
        "/staff/calendar/years/reopen",
        data={"year": "2027", "reason": "通知更正", "_csrf_token": csrf(staff)},
        follow_redirects=False,
    )
    assert reopened.status_code == 303
    due = due_of(forwarded, await load_calendar(), today=date(2026, 12, 21))
    assert due.on is None and due.unknown_year == 2027
    assert due.message == "无法计算期限：2027年的法定节假日安排尚未录入工作日历"
    # Not confirmed any more: a second reopening is refused; confirming again is allowed.
    twice = await staff.post(
        "/staff/calendar/years/reopen", data={"year": "2027", "reason": "再次", "_csrf_token": csrf(staff)}
    )
    assert twice.status_code == 400 and "尚未确认" in twice.text
    assert (await _confirm(staff)).status_code == 303
    assert due_of(forwarded, await load_calendar(), today=date(2026, 12, 21)).on == date(2027, 1, 11)


async def test_history_lists_every_step(staff):
    await _complete_2027(staff)
    await staff.post(
        "/staff/calendar/days/2027-10-04/delete",
        data={"reason": "改期", "_csrf_token": csrf(staff)},
        follow_redirects=False,
    )
    await staff.post(
        "/staff/calendar/years/reopen",
        data={"year": "2027", "reason": "国庆节安排有误", "_csrf_token": csrf(staff)},
        follow_redirects=False,
    )
    rows = await CalendarChange.select().where(CalendarChange.year == 2027).order_by(CalendarChange.id)
    assert [r["action"] for r in rows] == ["add"] * 9 + ["confirm", "remove", "reopen"]
    assert rows[9]["detail"] == f"依据 {NOTICE}；调休上班日2天"
    assert rows[-1]["detail"] == f"原依据 {NOTICE}" and rows[-1]["reason"] == "国庆节安排有误"
    assert {r["actor"] for r in rows} == {rows[0]["actor"]} and rows[0]["actor"]
    page = (await staff.get("/staff/calendar?year=2027")).text
    history = page[page.index("变更记录") :]
    positions = [history.index(text) for text in ("2027-01-01 放假 元旦", f"依据 {NOTICE}", "改期", "国庆节安排有误")]
    assert positions == sorted(positions)
    assert history.count("<td>录入</td>") == 9 and "<td>重新开放</td>" in history
    # Reopened: the page says so and names what is now missing.
    assert "未完整录入" in page and "尚缺放假日期的法定节假日：国庆节" in page


async def test_two_staff_confirming_the_same_year_at_once_get_one_confirmation_and_one_answer(staff):
    await enter_days(staff, csrf(staff), HOLIDAYS_2027)
    await enter_days(staff, csrf(staff), MAKEUP_2027, kind="workday")
    outcomes = await asyncio.gather(
        *(confirm_year(2027, NOTICE, f"staff-{i}", workdays=2) for i in range(3)), return_exceptions=True
    )
    refused = [o for o in outcomes if o is not None]
    assert outcomes.count(None) == 1, outcomes
    assert all(isinstance(o, CalendarError) and "2027年已确认" in str(o) for o in refused), refused
    assert await CalendarYear.count().where(CalendarYear.year == 2027) == 1
