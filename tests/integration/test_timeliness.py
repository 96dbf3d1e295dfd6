"""Timeliness (R-12, R-13): decisions within 7 working days, periodic reports within 10 working
days after the period, on the PRC calendar; the scorecard with its SVG chart, 催报 and 通报."""

from __future__ import annotations

import asyncio
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta, timezone
from io import BytesIO

import pytest
from pypdf import PdfReader

from portal.ingest.tables import IngestBatch
from portal.lib.dates import CHINA_TZ
from portal.notices.tables import Notice
from portal.records.tables import CreditRecord
from portal.timeliness import service, urges
from portal.timeliness.tables import Period
from tests import factories as f
from tests.queryflow import csrf

pytestmark = pytest.mark.anyio
SVG = "{http://www.w3.org/2000/svg}"
OCT_END = date(2026, 10, 31)


async def _decision(agency: dict, decided: date, reported: date, *, cls: str = "A", title: str = "迟报测试处罚") -> int:
    """A penalty decided on ``decided`` and reported at 10:00 China time on ``reported``."""
    subject = await f.legal_subject()
    record_id = await f.record(
        subject["id"],
        agency["id"],
        record_type="penalty",
        category="penalty",
        polarity="negative",
        disclosure_class=cls,
        title=title,
        decision_date=decided,
    )
    at = datetime(reported.year, reported.month, reported.day, 10, tzinfo=CHINA_TZ)
    await CreditRecord.update({CreditRecord.created_at: at}).where(CreditRecord.id == record_id)
    return record_id


async def _batch(agency: dict, day: date, items: int = 1, rejected: int = 0) -> None:
    at = datetime(day.year, day.month, day.day, 9, tzinfo=CHINA_TZ)
    await IngestBatch.insert(
        IngestBatch(
            agency=agency["id"], channel="api", received_at=at, items=items, created=items - rejected, rejected=rejected
        )
    )


def _month(card: dict, key: str) -> dict:
    return next(m for m in card["months"] if m["month"] == key)


async def test_national_day_2026_counts_working_days_not_calendar_days():
    agency = await f.agency()
    # Decided Monday 2026-09-28. Working days after it: 29 Sep (1), 30 Sep (2); 1–7 Oct is the
    # National Day holiday; 8 Oct (3), 9 Oct (4), Saturday 10 Oct is a make-up working day (5),
    # 12 Oct (6), 13 Oct (7): due 2026-10-13. Reported 9 Oct (11 calendar days later) is on time;
    # reported Thursday 15 Oct is 2 working days late (14 and 15 Oct).
    await _decision(agency, date(2026, 9, 28), date(2026, 10, 9))
    await _decision(agency, date(2026, 9, 28), date(2026, 10, 15), title="国庆后迟报的处罚")
    card = await service.scorecard(agency["id"], OCT_END)
    assert _month(card, "2026-10") == {"month": "2026-10", "on_time": 1, "late": 1, "unknown": 0, "days_late": 2}
    assert card["on_time_rate"] == 0.5 and card["late"] == 1
    [late] = card["late_items"]
    assert (late["label"], late["due"], late["days_late"]) == ("国庆后迟报的处罚", date(2026, 10, 13), 2)


async def test_a_year_the_calendar_lacks_is_unknown_never_on_time(client):
    agency = await f.agency()
    # Nobody entered 2031: the 7th working day after the decision cannot be known (SPEC §6).
    await _decision(agency, date(2031, 1, 2), date(2031, 1, 6))
    await _decision(agency, date(2031, 1, 3), date(2031, 1, 31))
    card = await service.scorecard(agency["id"], date(2031, 2, 15))
    assert _month(card, "2031-01")["unknown"] == 2
    assert card["on_time"] == 0 and card["late"] == 0 and card["on_time_rate"] is None
    staff = await f.account("staff")
    await f.login(client, staff["username"])
    page = await client.get(f"/staff/timeliness/{agency['id']}")
    # Today's window does not reach 2031: the page itself still answers and says nothing is judged.
    assert page.status_code == 200


async def test_scorecard_numbers_from_seeded_records_batches_and_obligations():
    agency = await f.agency()
    for day in (date(2026, 10, 9), date(2026, 10, 12), date(2026, 10, 13)):
        await _decision(agency, date(2026, 9, 28), day)  # on time (due 2026-10-13)
    await _decision(agency, date(2026, 9, 28), date(2026, 10, 14))  # 1 working day late
    await _decision(agency, date(2026, 8, 3), date(2026, 8, 5))  # on time, in August
    await service.add_obligation(agency["id"], "penalty", Period.MONTH, date(2026, 7, 1), "staff-test")
    await _batch(agency, date(2026, 8, 10), items=10, rejected=2)  # July's report: due 2026-08-14, met
    # August's report was due 2026-09-14 (10 working days after 31 Aug): nothing came, missed.
    await _batch(agency, date(2026, 10, 16), items=5)  # September's: due 2026-10-20 (holiday), met
    card = await service.scorecard(agency["id"], OCT_END)
    assert [(m["month"], m["on_time"], m["late"]) for m in card["months"]] == [
        ("2026-05", 0, 0),
        ("2026-06", 0, 0),
        ("2026-07", 0, 0),
        ("2026-08", 1, 0),
        ("2026-09", 0, 0),
        ("2026-10", 3, 1),
    ]
    assert card["on_time_rate"] == 4 / 5 and card["late"] == 1 and card["days_late"] == 1
    assert [(p["label"], p["state"], p["due"]) for p in card["periods"]] == [
        ("2026年7月", "met", date(2026, 8, 14)),
        ("2026年8月", "missed", date(2026, 9, 14)),
        ("2026年9月", "met", date(2026, 10, 20)),
    ]
    assert (card["met"], card["missed"], card["completeness"]) == (2, 1, 2 / 3)
    assert (card["items"], card["rejected"], card["rejection_rate"]) == (15, 2, 2 / 15)
    assert card["overdue"] and not card["escalate"]
    # The chart: one bar per month, stacked, parsed as XML.
    svg = ET.fromstring(card["chart"])
    assert svg.tag == f"{SVG}svg"
    bars = {(r.get("data-month"), r.get("data-kind")): int(r.get("data-n")) for r in svg.iter(f"{SVG}rect")}
    assert bars == {("2026-08", "on_time"): 1, ("2026-10", "on_time"): 3, ("2026-10", "late"): 1}
    assert len(list(svg.iter(f"{SVG}text"))) == 7  # the scale and six month labels
    with pytest.raises(service.TimelinessError):
        await service.add_obligation(agency["id"], "penalty", Period.QUARTER, date(2026, 7, 1), "staff-test")
    with pytest.raises(service.TimelinessError):
        await service.add_obligation(agency["id"], "no_such", Period.MONTH, date(2026, 7, 1), "staff-test")


async def test_staff_page_sorts_renders_svg_and_never_names_a_non_public_record(client):
    slow = await f.agency(name=f"迟报局{f.unique()}")
    prompt = await f.agency(name=f"按时局{f.unique()}")
    today = date.today()
    await _decision(slow, today - timedelta(days=40), today - timedelta(days=1), title="公开的迟报处罚")
    await _decision(slow, today - timedelta(days=40), today - timedelta(days=1), cls="B", title="SECRETB迟报")
    await _decision(prompt, today - timedelta(days=1), today)
    staff = await f.account("staff")
    await f.login(client, staff["username"])
    page = await client.get("/staff/timeliness", params={"sort": "late"})
    assert page.status_code == 200
    order = re.findall(r'data-agency="([^"]+)"', page.text)
    assert order.index(slow["code"]) < order.index(prompt["code"])
    row = re.search(rf'data-agency="{slow["code"]}".*?(<svg.*?</svg>)', page.text, re.S)
    svg = ET.fromstring(row.group(1))
    late = [r for r in svg.iter(f"{SVG}rect") if r.get("data-kind") == "late"]
    assert sum(int(r.get("data-n")) for r in late) == 2
    detail = await client.get(f"/staff/timeliness/{slow['id']}")
    assert "公开的迟报处罚" in detail.text and "部门共享类信息（记录编号" in detail.text
    assert "SECRETB" not in detail.text and "SECRETB" not in page.text
    assert (await client.get("/staff/timeliness", params={"sort": "nonsense"})).status_code == 400


async def test_urge_pdf_printed_and_sent_only_to_its_agency(client):
    agency = await f.agency(name=f"催报测试局{f.unique()}")
    other = await f.agency()
    officer = await f.account("agency", agency_id=agency["id"])
    stranger = await f.account("agency", agency_id=other["id"])
    today = date.today()
    await _decision(agency, today - timedelta(days=40), today - timedelta(days=1), title="迟到的许可决定")
    staff = await f.account("staff")
    await f.login(client, staff["username"])
    # Nothing overdue at the other agency: no 催报 for it.
    refused = await client.post(f"/staff/timeliness/{other['id']}/urges", data={"_csrf_token": csrf(client)})
    assert refused.status_code == 400 and "无需催报" in refused.text
    made = await client.post(
        f"/staff/timeliness/{agency['id']}/urges", data={"_csrf_token": csrf(client)}, follow_redirects=False
    )
    assert made.status_code == 303
    [urge] = await urges.urges_of(agency["id"])
    pdf = await client.get(f"/staff/timeliness/urges/{urge['id']}/notice.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(pdf.content)).pages).replace(" ", "").replace("\n", "")
    assert "信用信息催报通知书" in text and urge["number"] in text and agency["name"] in text
    assert "迟到的许可决定" in text and "迟报" in text and "个工作日" in text
    assert urge["sent_at"] is None
    sent = await client.post(
        f"/staff/timeliness/{agency['id']}/urges/{urge['id']}/send",
        data={"_csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    notice = await Notice.select(Notice.title, Notice.link).where(Notice.account == officer["id"]).first()
    assert notice == {"title": f"催报通知 {urge['number']}", "link": f"/agency/urges/{urge['id']}/notice.pdf"}
    assert not await Notice.exists().where(Notice.account == stranger["id"])
    await f.login(client, officer["username"])
    assert (await client.get(notice["link"])).status_code == 200
    assert urge["number"] in (await client.get("/agency")).text
    await f.login(client, stranger["username"])
    assert (await client.get(notice["link"])).status_code == 404


async def test_escalation_list_repeated_lateness_and_unanswered_urges(client):
    today = date.today()
    first = today.replace(day=1)
    chronic = await f.agency(name=f"屡迟局{f.unique()}")
    for back in (0, 1, 2):  # late in three different months of the last six
        month = (first - timedelta(days=31 * back)).replace(day=1)
        await _decision(chronic, month - timedelta(days=30), month)
    ignoring = await f.agency(name=f"不理局{f.unique()}")
    await _decision(ignoring, today - timedelta(days=40), today)
    assert [c["late_months"] for c in await service.escalations(today) if c["agency"]["id"] == chronic["id"]] == [3]
    assert ignoring["id"] not in {c["agency"]["id"] for c in await service.escalations(today)}
    for _ in range(2):
        await urges.issue(ignoring["id"], "staff-test", today)
    listed = {c["agency"]["id"]: c for c in await service.escalations(today)}
    assert listed[ignoring["id"]]["unanswered_urges"] == 2
    staff = await f.account("staff")
    await f.login(client, staff["username"])
    page = await client.get("/staff/timeliness")
    escalations = page.text.split('id="escalations"')[1].split("</section>")[0]
    assert chronic["name"] in escalations and ignoring["name"] in escalations
    # A report after the reminders answers them: off the list.
    await IngestBatch.insert(
        IngestBatch(agency=ignoring["id"], channel="api", received_at=datetime.now(timezone.utc) + timedelta(seconds=1))
    )
    assert ignoring["id"] not in {c["agency"]["id"] for c in await service.escalations(today)}


async def test_staff_set_and_lift_a_periodic_reporting_obligation(client):
    from portal.timeliness.tables import ReportingObligation as OB

    agency = await f.agency()
    staff = await f.account("staff")
    await f.login(client, staff["username"])
    url = f"/staff/timeliness/{agency['id']}/obligations"
    form = {"_csrf_token": csrf(client), "category": "penalty", "period": "quarter", "starts_on": "2026-01-01"}
    assert (await client.post(url, data=form, follow_redirects=False)).status_code == 303
    bad = await client.post(url, data={**form, "period": "weekly", "category": "license"})
    assert bad.status_code == 400 and "报送周期应为按月、按季度、按半年或按年" in bad.text
    [row] = await OB.select().where(OB.agency == agency["id"])
    assert (row["category"], row["period"], row["starts_on"]) == ("penalty", "quarter", date(2026, 1, 1))
    page = (await client.get(f"/staff/timeliness/{agency['id']}")).text
    assert "按季度" in page
    card = await service.scorecard(agency["id"], OCT_END)
    # Q1 due 2026-04-15, Q2 due 2026-07-14, Q3 due 2026-10-20 (after the National Day holiday): nothing came.
    assert [(p["label"], p["state"], p["due"]) for p in card["periods"]] == [
        ("2026年第1季度", "missed", date(2026, 4, 15)),
        ("2026年第2季度", "missed", date(2026, 7, 14)),
        ("2026年第3季度", "missed", date(2026, 10, 20)),
    ]
    other = await f.agency()
    wrong = await client.post(
        f"/staff/timeliness/{other['id']}/obligations/{row['id']}/end", data={"_csrf_token": csrf(client)}
    )
    assert wrong.status_code == 200  # followed back to the page; another agency's path lifts nothing
    assert (await OB.select(OB.ended_at).where(OB.id == row["id"]).first())["ended_at"] is None
    ended = await client.post(
        f"/staff/timeliness/{agency['id']}/obligations/{row['id']}/end",
        data={"_csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert ended.status_code == 303
    assert (await OB.select(OB.ended_at).where(OB.id == row["id"]).first())["ended_at"] is not None


async def test_urges_issued_at_the_same_moment_get_distinct_numbers():
    today = date.today()
    agencies = [await f.agency(name=f"并发催报局{f.unique()}") for _ in range(4)]
    for agency in agencies:
        await _decision(agency, today - timedelta(days=40), today - timedelta(days=1))
    ids = await asyncio.gather(*(urges.issue(a["id"], "staff", today) for a in agencies))
    numbers = [(await urges.urges_of(a["id"]))[0]["number"] for a in agencies]
    assert len(set(ids)) == 4 and len(set(numbers)) == 4, numbers
