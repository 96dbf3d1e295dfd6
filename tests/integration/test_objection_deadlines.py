"""R-23 deadlines in working days on the PRC calendar (SPEC §6): forwarding within 3, the provider's
answer within 15, the written decision within 2 — across the 2026 Spring Festival and National Day
holidays, into a year staff enter on the calendar page, and refused (named, never guessed) for a
year nobody entered."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from portal.accounts.tables import Role
from portal.lib.workdays import WorkdayCalendar
from portal.objections.stages import Stage, due_of
from portal.objections.tables import Objection
from tests import factories as f
from tests.calendar_entry import HOLIDAYS_2027, enter_days, forget_2027
from tests.queryflow import csrf, logged_in

pytestmark = pytest.mark.anyio

LIBRARY = WorkdayCalendar()  # chinese-calendar's official 2026 arrangement, no staff entries


def _row(stage: str, **days) -> dict:
    return {"stage": stage, "received_on": None, "forwarded_on": None, "answered_on": None, **days}


def test_forwarding_across_national_day_2026():
    # Received Tue 29 Sep: 30 Sep is day 1; 1–7 Oct are the holiday; Thu 8 Oct day 2, Fri 9 Oct day 3.
    due = due_of(_row(Stage.RECEIVED, received_on=date(2026, 9, 29)), LIBRARY, today=date(2026, 9, 30))
    assert due.on == date(2026, 10, 9) and due.left == 2 and not due.overdue
    assert due.duty == "信用中心转送" and due.message == "剩余 2 个工作日"
    # On Mon 12 Oct it is two working days late: Sat 10 Oct is a make-up working day.
    late = due_of(_row(Stage.RECEIVED, received_on=date(2026, 9, 29)), LIBRARY, today=date(2026, 10, 12))
    assert late.overdue and late.left == -2 and late.message == "已超期 2 个工作日"
    assert due_of(_row(Stage.RECEIVED, received_on=date(2026, 9, 29)), LIBRARY, date(2026, 10, 9)).message == "今日到期"


def test_the_providers_15_days_across_national_day_2026():
    # Forwarded Wed 30 Sep: 8, 9, 10 (make-up Saturday), 12–16, 19–23, 26, 27 Oct → due Tue 27 Oct.
    due = due_of(_row(Stage.FORWARDED, forwarded_on=date(2026, 9, 30)), LIBRARY, today=date(2026, 9, 30))
    assert due.on == date(2026, 10, 27) and due.left == 15 and due.duty == "提供单位核查答复"


def test_forwarding_and_telling_across_spring_festival_2026():
    # Received Thu 12 Feb: Fri 13, Sat 14 (make-up), then 15–23 Feb holiday → day 3 is Tue 24 Feb.
    due = due_of(_row(Stage.RECEIVED, received_on=date(2026, 2, 12)), LIBRARY, today=date(2026, 2, 14))
    assert due.on == date(2026, 2, 24) and due.left == 1
    # Answered Fri 13 Feb: Sat 14 Feb, then Tue 24 Feb.
    told = due_of(_row(Stage.ANSWERED, answered_on=date(2026, 2, 13)), LIBRARY, today=date(2026, 2, 13))
    assert told.on == date(2026, 2, 24) and told.duty == "信用中心书面告知"


def test_closed_objections_have_no_deadline():
    assert due_of(_row(Stage.CLOSED, received_on=date(2026, 9, 29)), LIBRARY, date(2026, 10, 1)) is None
    assert due_of(_row(Stage.WITHDRAWN, received_on=date(2026, 9, 29)), LIBRARY, date(2026, 10, 1)) is None


def test_a_year_nobody_entered_is_named_not_guessed():
    due = due_of(_row(Stage.FORWARDED, forwarded_on=date(2026, 12, 20)), LIBRARY, today=date(2026, 12, 21))
    assert due.on is None and due.left is None and due.unknown_year == 2027
    assert due.message == "无法计算期限：2027年的法定节假日安排尚未录入工作日历"


async def _forwarded_objection(forwarded_on: date) -> tuple[int, dict]:
    agency = await f.agency()
    subject = await f.legal_subject()
    record_id = await f.record(subject["id"], agency["id"], title="期限测试记录")
    filer = await f.account(Role.STAFF)
    row = Objection(
        number=f"YYTEST{f.unique()}"[:24],
        subject=subject["id"],
        record=record_id,
        record_version=1,
        agency=agency["id"],
        channel="counter",
        filed_by=filer["id"],
        applicant_name="期限测试",
        statement="测试",
        received_on=date(2026, 12, 16),
        received_at=datetime.now(timezone.utc),
        stage=Stage.FORWARDED,
        forwarded_on=forwarded_on,
    )
    await row.save()
    return row.id, filer


async def test_a_deadline_into_2027_shows_once_staff_enter_2027_on_the_calendar_page(app):
    objection_id, staff = await _forwarded_objection(date(2026, 12, 20))
    try:
        async with logged_in(app, staff) as client:
            before = await client.get(f"/staff/objections/{objection_id}")
            assert "无法计算期限：2027年的法定节假日安排尚未录入工作日历" in before.text
            queue = await client.get("/staff/objections")
            assert "无法计算期限：2027年" in queue.text
            # The State Council's 2027 arrangement, entered by staff (one rest day per statutory holiday).
            await enter_days(client, csrf(client), HOLIDAYS_2027)
            half = await client.get(f"/staff/objections/{objection_id}")
            assert "无法计算期限：2027年" in half.text  # a half-entered year is still unknown
            confirmed = await client.post(
                "/staff/calendar/years",
                data={"year": "2027", "source": "国办发明电〔2026〕测试", "workdays": "0", "_csrf_token": csrf(client)},
                follow_redirects=False,
            )
            assert confirmed.status_code == 303
            after = await client.get(f"/staff/objections/{objection_id}")
            # After Sun 20 Dec: 21–25, 28–31 Dec (9), 1 Jan holiday, 4–8 Jan (14), Mon 11 Jan (15).
            assert "提供单位核查答复截止 2027-01-11" in after.text
            assert "无法计算期限" not in after.text
    finally:  # other tests expect 2027 to be unknown until they enter it themselves
        await forget_2027()


async def test_overdue_filter_and_order(app):
    late_id, staff = await _forwarded_objection(date(2026, 3, 2))
    recent_id, _ = await _forwarded_objection(date(2026, 11, 30))
    async with logged_in(app, staff) as client:
        overdue = await client.get("/staff/objections?overdue=1")
        numbers = {
            o["id"]: o["number"]
            for o in await Objection.select(Objection.id, Objection.number).where(
                Objection.id.is_in([late_id, recent_id])
            )
        }
        assert numbers[late_id] in overdue.text
        # 30 Nov + 15 working days is 21 Dec 2026: overdue only after that.
        from portal.lib.dates import today_cn

        assert (numbers[recent_id] in overdue.text) == (today_cn() > date(2026, 12, 21))
        everything = (await client.get("/staff/objections")).text
        assert everything.index(numbers[late_id]) < everything.index(numbers[recent_id])  # most urgent first
        # The filter form as a browser sends it, 部门 left at 全部 (agency=): it was a 400.
        filtered = await client.get("/staff/objections", params={"stage": "", "agency": "", "overdue": "1"})
        assert filtered.status_code == 200 and numbers[late_id] in filtered.text
        assert (await client.get("/staff/objections", params={"agency": "x"})).status_code == 400
        assert (await client.get("/staff/calendar", params={"year": ""})).status_code == 200


async def test_reminders_before_the_deadline_and_once_overdue_to_the_party_whose_turn_it_is(app):
    from portal.notices.tables import Notice
    from portal.objections.reminders import send_reminders
    from portal.objections.tables import ObjectionStep

    objection_id, _ = await _forwarded_objection(date(2026, 9, 30))  # due Tue 27 Oct (above)
    agency_id = (await Objection.select(Objection.agency).where(Objection.id == objection_id).first())["agency"]
    officer = await f.account(Role.AGENCY, agency_id=agency_id)

    async def told() -> list[str]:
        return [n["title"] for n in await Notice.select(Notice.title).where(Notice.account == officer["id"])]

    await send_reminders(today=date(2026, 10, 22))  # 3 working days left: nothing yet
    assert await told() == []
    await send_reminders(today=date(2026, 10, 26))  # one left
    await send_reminders(today=date(2026, 10, 26))  # once per stage, not on every run
    assert await told() == ["异议办理期限提醒"]
    await send_reminders(today=date(2026, 10, 28))
    assert await told() == ["异议办理期限提醒", "异议办理已超期"]
    steps = await ObjectionStep.select(ObjectionStep.action).where(ObjectionStep.objection == objection_id)
    assert [s["action"] for s in steps] == ["remind", "overdue"]

    # A deadline into a year nobody entered: staff are asked to enter it, once.
    unknown_id, staff = await _forwarded_objection(date(2026, 12, 20))
    await send_reminders(today=date(2026, 12, 21))
    await send_reminders(today=date(2026, 12, 22))
    number = (await Objection.select(Objection.number).where(Objection.id == unknown_id).first())["number"]
    mine = await Notice.select(Notice.body).where((Notice.account == staff["id"]) & Notice.body.like(f"%{number}%"))
    assert [n["body"] for n in mine] == [
        f"异议{number}的期限无法计算：2027年的法定节假日安排尚未录入，请在工作日历中录入并确认。"
    ]
    steps = await ObjectionStep.select(ObjectionStep.note).where(ObjectionStep.objection == unknown_id)
    assert [s["note"] for s in steps] == ["forwarded:calendar"]
