"""Agencies report, in real browsers (R-11 … R-13; 郏信用办〔2021〕2号 五).

An agency officer downloads the penalty template, fills it (openpyxl, as a person would in Excel:
three good rows, one of them reported long after its decision, and one with a wrong USCC check
character), uploads it and watches the import finish, then downloads the rejected row with its
reason. Credit-centre staff see the late item on the agency's scorecard. The officer puts a company
on the black list; it is public at once; staff remove it and the public list follows.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from portal.lib.dates import today_cn
from tests.e2e.pages import SLOW, log_in

pytestmark = pytest.mark.e2e


def _download(page: Page, locator) -> bytes:
    with page.expect_download(timeout=SLOW) as info:
        locator.click()
    assert info.value.failure() is None
    return Path(info.value.path()).read_bytes()


def _fill(template: bytes, rows: list[dict], path: Path) -> Path:
    wb = load_workbook(io.BytesIO(template))
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    for row in rows:
        assert set(row) <= set(headers), set(row) - set(headers)
        ws.append([row.get(h) for h in headers])
    wb.save(path)
    return path


def _penalty_row(ref: str, uscc: str, title: str, decided_days_ago: int) -> dict:
    today = today_cn()
    return {
        "操作": "新增",
        "记录编号": ref,
        "行政相对人类别": "法人及非法人组织",
        "行政相对人名称": f"郑州E2E报送{ref}建材有限公司",
        "统一社会信用代码": uscc,
        "行政处罚决定书文号": f"郑市监罚〔2026〕{ref}号",
        "违法行为类型": "广告违法",
        "违法事实": "发布虚假广告",
        "处罚类别": "罚款",
        "罚款金额（万元）": 1.2,
        "处罚决定日期": today - timedelta(days=decided_days_ago),
        "处罚机关": "郑州市市场监督管理局",
        "信息名称": title,
        "信息类别代码": "penalty",
        "公开类别": "A",
        "公示截止期": today + timedelta(days=365),
    }


def test_template_upload_progress_rejected_rows_scorecard_and_black_list(
    page: Page, open_context, seed, step, tmp_path: Path
):
    case = seed["reporting"]
    late_title = "发布虚假广告被罚款（E2E迟报）"

    # 1. The officer downloads the template from the desk.
    log_in(page, case["officer"])
    page.goto("/agency")
    page.get_by_role("link", name="批量上传（Excel 模板）").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("批量上传")
    step(page, "uploads")
    template = _download(page, page.get_by_role("link", name=re.compile("下载行政处罚信息模板")))

    # 2. Fills it and uploads it; the job page follows the import to the end.
    good = case["usccs"]
    wrong = good[2][:-1] + ("0" if good[2][-1] != "0" else "1")
    rows = [
        _penalty_row("E2E-1", good[0], "发布虚假广告被罚款（E2E按时）", 2),
        _penalty_row("E2E-2", good[1], late_title, 40),  # decided 40 days ago: far past 7 working days
        _penalty_row("E2E-3", wrong, "统一社会信用代码有误（E2E）", 3),
        _penalty_row("E2E-4", good[3], "发布虚假广告被罚款（E2E又一条）", 1),
    ]
    page.get_by_label("Excel 文件").set_input_files(_fill(template, rows, tmp_path / "行政处罚报送.xlsx"))
    step(page, "upload-chosen")
    page.get_by_role("button", name="上传并导入").click()
    expect(page).to_have_url(re.compile(r"/agency/uploads/\d+$"))
    progress = page.locator("#upload-progress")
    expect(progress).to_contain_text("已完成", timeout=SLOW)
    expect(page.locator("[aria-live]")).to_have_count(1)  # progress speaks through #announcer
    expect(progress.get_by_role("row", name=re.compile("^新增"))).to_contain_text("3")
    expect(progress.get_by_role("row", name=re.compile("^拒收"))).to_contain_text("1")
    step(page, "upload-done")
    rejected = load_workbook(
        io.BytesIO(_download(page, progress.get_by_role("link", name=re.compile("下载未导入的行"))))
    )
    sheet = rejected.worksheets[0]
    headers = [c.value for c in sheet[1]]
    data = [dict(zip(headers, (c.value for c in r))) for r in sheet.iter_rows(min_row=2) if any(c.value for c in r)]
    assert [r["记录编号"] for r in data] == ["E2E-3"]
    assert "统一社会信用代码" in data[0]["错误原因"]

    # The good rows are public at once (class A).
    page.goto(f"/subjects/{good[1]}/penalty")
    expect(page.get_by_role("main")).to_contain_text(late_title)

    # 3. Staff see the late item on the agency's scorecard.
    staff_context = open_context()
    staff = staff_context.new_page()
    log_in(staff, case["staff"])
    staff.goto("/staff/timeliness")
    expect(staff.get_by_role("heading", level=1)).to_have_text("信息提供单位报送及时性")
    row = staff.locator(f'tr[data-agency="{case["agency"]["code"]}"]')
    expect(row).to_have_count(1)
    step(staff, "timeliness")
    row.get_by_role("link").first.click()
    late = staff.locator("tr.late-item").filter(has_text=late_title)
    expect(late).to_have_count(1)
    step(staff, "scorecard-late-item")

    # 4. The officer lists a company on the black list: public at once.
    company = case["listed"]
    page.goto("/agency/lists")
    form = page.locator("form").filter(has=page.get_by_role("button", name="列入并记录"))
    form.get_by_label("统一社会信用代码").fill(company["uscc"])
    form.get_by_label("名单类型").select_option("black")
    form.get_by_label("名单名称").fill("严重违法失信主体（E2E）")
    form.get_by_label("认定决定文号").fill("郑市监失信〔2026〕1号")
    form.get_by_label("认定依据（认定决定及其法律依据）").fill(
        "两年内三次以上发布虚假广告，依据《广告法》第五十五条认定"
    )
    form.get_by_label("激励或惩戒措施（每行一项）").fill("限制参与政府采购\n列为重点监管对象")
    form.get_by_label("认定日期").fill(today_cn().isoformat())
    step(page, "black-list-form")
    form.get_by_role("button", name="列入并记录").click()
    expect(page.get_by_role("main")).to_contain_text(company["name"])
    public = open_context().new_page()
    public.goto("/lists/black")
    expect(public.get_by_role("main")).to_contain_text(company["name"])
    step(public, "public-black-list")

    # 5. Staff remove it; the public list follows.
    staff.goto("/staff/lists")
    entry = staff.get_by_role("row").filter(has_text=company["name"])
    entry.get_by_label("移出原因").select_option(index=1)
    entry.get_by_label("说明").fill("经复核认定依据不足（E2E）")
    step(staff, "staff-remove")
    entry.get_by_role("button", name="移出").click()
    expect(staff.get_by_role("row").filter(has_text=company["name"]).first).to_contain_text("已移出")
    step(staff, "staff-removed")
    public.reload()
    expect(public.get_by_role("main")).not_to_contain_text(company["name"])
    step(public, "public-black-list-after")
