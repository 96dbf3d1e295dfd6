"""Credit-centre staff keep the class-C sharing rules (R-15) in a real browser, by keyboard alone:
the staff navigation link, a grant with its legal basis, the notice after post/redirect/get, the
new row at the top of the history. The CSP guard and screenshots come from conftest."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.pages import SLOW, log_in

pytestmark = pytest.mark.e2e

BASIS = "E2E：《郑州市公共信用信息管理暂行办法》第十五条"


def test_staff_grant_an_agency_a_class_c_category_by_keyboard(page: Page, seed, step):
    staff, agency = seed["staff"], seed["market"]
    log_in(page, staff)
    page.get_by_role("banner").get_by_role("link", name="工作台").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("信用中心工作台")
    page.get_by_role("main").get_by_role("link", name="共享规则").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("有限共享类（C类）信息共享规则")
    step(page, "sharing-page")

    form = page.locator("form[action='/staff/sharing/grants']")
    form.get_by_label("部门").focus()
    form.get_by_label("部门").select_option(label=agency["name"])
    form.get_by_label("信息类别").select_option("labour")
    form.get_by_label("授予（或修改依据）").focus()
    page.keyboard.press("Space")
    form.get_by_label(re.compile("^法律依据")).fill(BASIS)
    page.keyboard.press("Tab")  # to the submit button
    expect(form.get_by_role("button", name="保存并记录变更")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/staff/sharing\?done=grant$"), timeout=SLOW)
    expect(page.get_by_role("status")).to_have_text("已授予并记录变更")
    newest = page.get_by_role("region", name="变更记录").locator("tbody tr").first
    expect(newest).to_contain_text(agency["name"])
    expect(newest).to_contain_text(BASIS)
    step(page, "granted")
