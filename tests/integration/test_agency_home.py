"""``/agency`` with records present (R-13; issue 8, observation 7): the page once answered 500 on
SQLite as soon as the agency had reported anything (``MAX(created_at)`` came back as text)."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from portal.records.tables import CreditRecord
from tests import factories as f

pytestmark = pytest.mark.anyio


async def test_agency_home_shows_counts_and_the_last_report(client):
    agency = await f.agency()
    other = await f.agency()
    subject = await f.legal_subject()
    ids = [await f.record(subject["id"], agency["id"], disclosure_class=cls) for cls in "AAB"]
    ids.append(await f.record(subject["id"], agency["id"], record_type="penalty", category="penalty"))
    await f.record(subject["id"], other["id"])
    # The newest report is late in the evening UTC: the next day in China (Asia/Shanghai).
    last = datetime(2026, 3, 1, 17, 30, tzinfo=timezone.utc)
    await CreditRecord.update({CreditRecord.created_at: datetime(2025, 1, 2, tzinfo=timezone.utc)}).where(
        CreditRecord.id.is_in(ids[:-1])
    )
    await CreditRecord.update({CreditRecord.created_at: last}).where(CreditRecord.id == ids[-1])
    officer = await f.account("agency", agency_id=agency["id"])
    assert (await f.login(client, officer["username"])).status_code == 303

    response = await client.get("/agency")
    assert response.status_code == 200, response.text[:300]
    page = response.text
    assert agency["name"] in page and "最近报送：2026-03-02 01:30" in page
    cells = re.findall(r'<td class="py-1">([^<]+)</td><td>([^<]+)</td><td>([0-9,]+)</td>', page)
    assert cells == [
        ("其他信用信息", "社会公开类", "2"),
        ("其他信用信息", "部门共享类", "1"),
        ("行政处罚", "社会公开类", "1"),
    ]


async def test_reporting_summary_returns_a_datetime_on_every_engine():
    from portal.agencies.reporting import reporting_summary

    agency = await f.agency()
    subject = await f.legal_subject()
    await f.record(subject["id"], agency["id"])
    summary = await reporting_summary(agency["id"])
    assert isinstance(summary["last_reported"], datetime) and summary["last_reported"].tzinfo is not None
    assert [r["n"] for r in summary["rows"]] == [1]
