"""A verification opinion end to end in real browsers (R-P2).

An agency officer applies for a 信用信息查询意见 about a company, naming the purpose and the
matter; credit-centre staff see it in the queue with its 5-working-day deadline and issue it; the
officer downloads the PDF (its Chinese text and QR link are checked) and the link verifies on the
public page. A screenshot is kept of every page.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import _run_async
from tests.e2e.pages import SLOW, log_in

pytestmark = pytest.mark.e2e

MATTER = "2026年度市级科技专项资金申报（E2E核查）"
DUE = re.compile(r"剩余 \d+ 个工作日|今日到期|无法计算期限")


async def _seed() -> dict:
    from piccolo_conf import DB
    from tests import factories as f

    postgres = DB.engine_type == "postgres"
    saved_pool = getattr(DB, "pool", None) if postgres else None
    if postgres:
        DB.pool = None  # a pool of another event loop: never touch it
        await DB.start_connection_pool(min_size=1, max_size=2)
    try:
        agency = await f.agency("郑州市科学技术局（E2E核查）")
        provider = await f.agency("郑州市市场监督管理局（E2E核查）")
        company = await f.legal_subject("河南E2E核查示例科技有限公司")
        await f.record(company["id"], provider["id"], title="郑州市守合同重信用企业（E2E核查）")
        return {
            "company": company,
            "officer": await f.account("agency", agency_id=agency["id"]),
            "staff": await f.account("staff"),
        }
    finally:
        if postgres:
            await DB.close_connection_pool()
            DB.pool = saved_pool
        else:
            await DB.close_pool()


@pytest.fixture(scope="module")
def case(live_server) -> dict:
    return _run_async(_seed)


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "".join("".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(data)).pages)


def test_agency_applies_staff_issue_officer_downloads(page: Page, open_context, case, step):
    # 1. The officer applies about the company.
    log_in(page, case["officer"])
    page.goto("/verifications")
    expect(page.get_by_role("heading", level=1)).to_have_text("申请信用信息查询意见")
    page.get_by_label("统一社会信用代码").fill(case["company"]["uscc"])
    page.get_by_label("使用领域").select_option("fiscal_funds")
    page.get_by_label(re.compile("^办理事项")).fill(MATTER)
    step(page, "apply-form")
    page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_role("status")).to_contain_text("申请已提交")
    row = page.get_by_role("row").filter(has_text=MATTER)
    expect(row).to_contain_text("待出具")
    number = re.search(r"HCSQ\d{8}[0-9A-Z]{8}", row.inner_text()).group(0)
    step(page, "applied")

    # 2. Staff see it in the queue with its deadline and issue the opinion.
    staff = open_context().new_page()
    log_in(staff, case["staff"])
    staff.goto("/staff/verifications")
    queued = staff.get_by_role("row").filter(has_text=number)
    expect(queued).to_contain_text(DUE)
    expect(queued).to_contain_text("河南E2E核查示例科技有限公司")
    step(staff, "staff-queue")
    queued.get_by_role("button", name="出具查询意见").click()
    expect(staff.get_by_role("status")).to_contain_text("已出具", timeout=SLOW)
    expect(staff.get_by_role("row").filter(has_text=number)).to_have_count(0)
    step(staff, "staff-issued")

    # 3. The officer finds it issued and downloads the PDF.
    page.goto("/notices")
    expect(page.get_by_role("main")).to_contain_text(re.compile(r"信用信息查询意见已出具：XYHC\d{8}"))
    step(page, "inbox")
    page.goto("/verifications")
    row = page.get_by_role("row").filter(has_text=MATTER)
    expect(row).to_contain_text("有效")
    step(page, "issued")
    with page.expect_download(timeout=SLOW) as download:
        row.get_by_role("link", name="下载 PDF").click()
    text = _pdf_text(Path(download.value.path()).read_bytes())
    assert "信用信息查询意见" in text and number in text and "免费" in text and "有效期至" in text
    assert "郑州市守合同重信用企业（E2E核查）" in text and MATTER in text
    link = re.search(r"/verifications/verify/[A-Za-z0-9_.-]+", text).group(0)

    # 4. Whoever receives the opinion checks it.
    public = open_context().new_page()
    public.goto(link)
    expect(public.get_by_role("heading", level=1)).to_have_text("有效")
    expect(public.get_by_role("main")).to_contain_text("河南E2E核查示例科技有限公司")
    step(public, "verified")
