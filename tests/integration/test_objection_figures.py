"""Monthly objection figures per providing agency (R-23; build item 7 of the objection work):
on time or late on the PRC working-day calendar across the 2026 National Day holiday, and
无法计算 when a deadline runs into a year the calendar lacks. Both engines."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from portal.objections.figures import COLUMNS, monthly_figures, totals
from portal.objections.stages import Outcome
from tests import factories as f

pytestmark = pytest.mark.anyio
D = date

# Checked by hand against the State Council's 2026 arrangement: National Day 10-01 … 10-07 off,
# Saturday 10-10 a working day (调休), Sunday 10-11 off.
#  - received Wed 09-30: working days after it are 10-08, 10-09, 10-10 → forwarding due 10-10
#    (a Mon–Fri count that only skips the holidays would say 10-12, plain Mon–Fri 10-05);
#  - received Thu 10-08: 10-09, 10-10, 10-12 → due 10-12; received Fri 10-09: due 10-13;
#  - forwarded 10-10: 15 working days are 10-12…16, 19…23, 26…30 → answer due 10-30;
#    forwarded 10-09: 10-10, 10-12…16, 19…23, 26…29 → answer due 10-29;
#  - answered 10-30 (Fri): told due 11-03; answered 10-20 (Tue): told due 10-22.
CASES = {
    # on time at every step; told in November
    "o1": dict(
        stage="closed",
        received_on=D(2026, 9, 30),
        forwarded_on=D(2026, 10, 10),
        answered_on=D(2026, 10, 30),
        closed_on=D(2026, 11, 3),
        outcome=Outcome.UPHELD,
    ),
    # forwarded on 10-12: one working day late (due 10-10), though Mon–Fri minus holidays says on time
    "o2": dict(stage="forwarded", received_on=D(2026, 9, 30), forwarded_on=D(2026, 10, 12)),
    # forwarded on time (due 10-13), answered on time, told a day late (due 10-22)
    "o3": dict(
        stage="closed",
        received_on=D(2026, 10, 9),
        forwarded_on=D(2026, 10, 13),
        answered_on=D(2026, 10, 20),
        closed_on=D(2026, 10, 23),
        outcome=Outcome.CORRECTED,
    ),
    "o4": dict(stage="received", received_on=D(2026, 10, 15)),
    # forwarded on time (due 10-12), answered a day late (due 10-29), not yet told
    "o5": dict(
        stage="answered",
        received_on=D(2026, 10, 8),
        forwarded_on=D(2026, 10, 9),
        answered_on=D(2026, 10, 30),
        outcome=Outcome.REVOKED,
    ),
}


async def _agency_with_cases() -> dict:
    provider = await f.agency()
    for fields in CASES.values():
        await f.objection_row(agency_id=provider["id"], **fields)
    return provider


def _row(rows: list[dict], agency_id: int) -> dict:
    [row] = [r for r in rows if r["agency_id"] == agency_id]
    return row


def _counts(**nonzero) -> dict:
    return {key: nonzero.get(key, 0) for key, _ in COLUMNS}


async def test_october_2026_counts_on_time_and_late_across_national_day():
    provider = await _agency_with_cases()
    row = _row(await monthly_figures(2026, 10), provider["id"])
    assert row["agency_name"] == provider["name"]
    assert {k: row[k] for k, _ in COLUMNS} == _counts(
        received=3,  # o3, o4, o5 (o1 and o2 came in September)
        forwarded_on_time=3,  # o1 (10-10 = due), o3, o5
        forwarded_late=1,  # o2
        answered_on_time=2,  # o1 (10-30 = due), o3
        answered_late=1,  # o5
        told_late=1,  # o3 (o1 was told in November)
        upheld=1,
        corrected=1,
        revoked=1,
        open=3,  # o2, o4, o5
    )
    november = _row(await monthly_figures(2026, 11), provider["id"])
    assert {k: november[k] for k, _ in COLUMNS} == _counts(told_on_time=1, open=3)
    assert all(r["agency_id"] != provider["id"] for r in await monthly_figures(2026, 8))


async def test_a_deadline_in_a_year_not_entered_is_not_counted_as_on_time():
    provider = await f.agency()
    # Received Tue 2026-12-29: the 3rd working day after it falls in 2027, which the calendar lacks,
    # so even forwarding the next day is 无法计算 rather than on time.
    await f.objection_row(
        agency_id=provider["id"], stage="forwarded", received_on=D(2026, 12, 29), forwarded_on=D(2026, 12, 30)
    )
    # Received Mon 12-21: due Thu 12-24, counted normally in the same month.
    await f.objection_row(
        agency_id=provider["id"], stage="forwarded", received_on=D(2026, 12, 21), forwarded_on=D(2026, 12, 24)
    )
    row = _row(await monthly_figures(2026, 12), provider["id"])
    assert row["forwarded_unknown"] == 1 and row["forwarded_on_time"] == 1 and row["forwarded_late"] == 0
    assert row["received"] == 2 and row["open"] == 2


async def test_staff_page_and_xlsx_show_the_same_table_with_totals(client):
    provider = await _agency_with_cases()
    staff = await f.account("staff")
    assert (await f.login(client, staff["username"])).status_code == 303
    page = await client.get("/staff/objections/figures", params={"month": "2026-10"})
    assert page.status_code == 200
    assert provider["name"] in page.text and "合计" in page.text and 'value="2026-10"' in page.text
    assert "/staff/objections/figures.xlsx?month=2026-10" in page.text

    rows = await monthly_figures(2026, 10)
    download = await client.get("/staff/objections/figures.xlsx", params={"month": "2026-10"})
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in download.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(download.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[1] == ("提供单位", *(label for _, label in COLUMNS))
    [ours] = [v for v in values if v[0] == provider["name"]]
    assert list(ours[1:]) == [_row(rows, provider["id"])[k] for k, _ in COLUMNS]
    assert values[-1] == ("合计", *(totals(rows)[k] for k, _ in COLUMNS))
    assert len(values) == 2 + len(rows) + 1

    for bad in ("2026-13", "October", "2026-1-1"):
        refused = await client.get("/staff/objections/figures", params={"month": bad})
        assert refused.status_code == 400 and "月份格式应为" in refused.text
        xlsx = await client.get("/staff/objections/figures.xlsx", params={"month": bad})
        assert xlsx.status_code == 400 and xlsx.headers["content-type"] == "text/plain; charset=utf-8"


async def test_figures_are_staff_only(client):
    agency_user = await f.account("agency", agency_id=(await f.agency())["id"])
    assert (await f.login(client, agency_user["username"])).status_code == 303
    assert (await client.get("/staff/objections/figures", params={"month": "2026-10"})).status_code == 403
