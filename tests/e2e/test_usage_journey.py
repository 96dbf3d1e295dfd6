"""The centre reads the quarter's usage figures in a real browser (R-P4; ZEP 三(四), JX 六(十四)).

An approval system makes two checks through the check API (one subject on the black list) and
reports a sanction, and reports three handled matters, one of them never checked; staff open
/staff/usage and see the agency's figures for the quarter, the chart and the unchecked matter.
"""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from portal.lib.dates import today_cn
from tests.e2e.conftest import _run_async
from tests.e2e.pages import SLOW, log_in

pytestmark = pytest.mark.e2e


async def _setup() -> dict:
    from portal.ingest.keys import create_key
    from tests import factories as f

    agency = await f.agency(f"郑州市住房保障和房地产管理局（E2E{f.unique('')}）")
    key, _ = await create_key(agency["code"], ["penalty"], "审批系统（E2E）", "e2e")
    listed = await f.legal_subject("郑州逢办必查示范建设有限公司（E2E）")
    await f.list_entry(listed["id"], agency["id"], "black", list_name="拖欠农民工工资失信联合惩戒对象")
    other = await f.legal_subject("郑州逢办必查守信商贸有限公司（E2E）")
    return {"agency": agency, "key": key, "usccs": [listed["uscc"], other["uscc"]], "staff": await f.account("staff")}


def test_staff_see_the_quarters_usage_figures(page: Page, live_server, step):
    s = _run_async(_setup)
    auth = {"authorization": f"Bearer {s['key']}"}
    today = today_cn()
    with httpx.Client(base_url=live_server.url, headers=auth, timeout=60) as api:
        numbers = []
        for i, uscc in enumerate(s["usccs"]):
            body = {
                "subject": {"kind": "legal", "uscc": uscc},
                "matter_name": "建筑工程施工许可",
                "case_no": f"E2E-SG-{i}",
                "domain": "supervision_approval",
            }
            r = api.post("/api/v1/checks", json=body)
            assert r.status_code == 200, r.text
            numbers.append(r.json()["check_number"])
        assert (
            api.post(
                f"/api/v1/checks/{numbers[0]}/outcome", json={"product": "list", "outcome": "sanction"}
            ).status_code
            == 200
        )
        matters = [
            {
                "case_no": c,
                "matter_name": "建筑工程施工许可",
                "domain": "supervision_approval",
                "handled_on": today.isoformat(),
            }
            for c in ("E2E-SG-0", "E2E-SG-1", "E2E-SG-UNCHECKED")
        ]
        assert api.post("/api/v1/matters", json={"items": matters}).json()["created"] == 3

    log_in(page, s["staff"])
    page.goto("/staff/usage")
    expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile(r"信用产品使用统计 · \d{4}年第[1-4]季度"))
    row = page.locator(f'#quarter-figures tr[data-agency="{s["agency"]["code"]}"]')
    expect(row.locator('[data-k="checks"]')).to_have_text("2", timeout=SLOW)
    expect(row.locator('[data-k="use-list"]')).to_have_text("2")
    expect(row.locator('[data-k="sanctions"]')).to_have_text("1")
    expect(row.locator('[data-k="matters"]')).to_have_text("3")
    expect(row.locator('[data-k="without_check"]')).to_have_text("1")
    expect(row.locator('[data-k="check_rate"]')).to_have_text("66.7%")
    expect(page.locator("#usage-chart svg")).to_be_visible()
    expect(page.locator("#unchecked")).to_contain_text("E2E-SG-UNCHECKED")
    step(page, "usage-quarter")
