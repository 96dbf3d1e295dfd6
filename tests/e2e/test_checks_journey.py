"""逢办必查 at the agency desk: a refused check shows its reason on the page, with what was typed.

The form was boosted by htmx, which drops a 400 answer: the officer saw nothing happen."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.pages import log_in


def test_a_refused_check_says_why_and_keeps_the_form(page: Page, seed, guard, step):
    guard.allow(r"status of 400")
    log_in(page, seed["reporting"]["officer"])
    page.goto("/agency/checks")
    page.get_by_label("统一社会信用代码").fill("914101")
    page.get_by_label("事项名称").fill("建筑工程施工许可（E2E）")
    page.get_by_label("办件编号").fill("E2E-CHECK-1")
    page.get_by_label("事项领域").select_option(index=1)
    page.get_by_role("button", name="核查").click()
    expect(page.get_by_role("alert")).to_contain_text("统一社会信用代码")
    expect(page.get_by_role("heading", level=1)).to_have_text("逢办必查：信用核查")
    expect(page.get_by_label("办件编号")).to_have_value("E2E-CHECK-1")
    step(page, "check-refused")
