"""A commitment end to end in a real browser (R-P1): a company's proven account reads the standard
text, is stopped without the explicit confirmation, signs, and then finds the commitment on its
public profile under 信用承诺 with a PDF copy and a working check page. Screenshots of each page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.pages import log_in

pytestmark = pytest.mark.e2e

MATTER = "食品经营许可（E2E承诺新办）"


def test_proven_company_signs_a_commitment_and_it_is_published(page: Page, seed, step, guard):
    case = seed["commitment"]
    uscc = case["company"]["uscc"]

    log_in(page, case["owner"])
    page.goto("/me/commitments")
    step(page, "my-commitments-empty")
    page.get_by_role("link", name="签署信用承诺").click()
    page.get_by_label("应用领域").select_option(label="事中事后监管、行政审批、资质审核、定期检验、市场准入")
    page.get_by_role("button", name="显示承诺书").click()
    text = page.get_by_role("article")
    expect(text).to_contain_text("行政审批及市场准入信用承诺书")
    expect(text).to_contain_text("申请材料")
    page.get_by_label(re.compile("^事项名称")).fill(MATTER)
    page.get_by_label("办件编号（选填）").fill("E2E-CN-0001")
    page.get_by_label(re.compile("^受理部门")).select_option(label=case["agency"]["name"])
    step(page, "commitment-form")

    # Without the explicit confirmation nothing is signed.
    guard.allow(r"Failed to load resource: the server responded with a status of 400")  # the form's 400
    page.get_by_role("button", name="确认签署").click()
    expect(page.get_by_role("alert")).to_contain_text("请勾选")
    step(page, "commitment-unconfirmed")
    page.get_by_label(re.compile("本人已阅读承诺书全文")).check()
    page.get_by_role("button", name="确认签署").click()
    expect(page).to_have_url(re.compile(r"/me/commitments/\d+\?signed=1$"))
    expect(page.get_by_role("status")).to_contain_text("承诺书已签署")
    main = page.get_by_role("main")
    expect(main).to_contain_text(MATTER)
    expect(main).to_contain_text("履约中")
    number = re.search(r"XYCN\d{8}[0-9A-Z]{8}", main.inner_text()).group(0)
    step(page, "commitment-signed")

    # The check page the PDF's QR code points to.
    page.get_by_role("link", name="核验页面").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("履约中")
    expect(page.get_by_role("main")).to_contain_text(number)
    step(page, "commitment-verify")

    # Published: the public profile's 信用承诺 tab, for anyone.
    page.goto(f"/subjects/{uscc}")
    page.get_by_role("link", name="信用承诺", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/subjects/{uscc}/commitment$"))
    item = page.locator("#commitment-list li").filter(has_text=MATTER)
    expect(item).to_have_count(1)
    expect(item).to_contain_text(number)
    expect(item).to_contain_text(case["agency"]["name"])
    step(page, "profile-commitment-tab")
    with page.expect_download() as download:
        item.get_by_role("link", name=re.compile("下载承诺书")).click()
    assert download.value.suggested_filename == f"信用承诺书-{number}.pdf"
