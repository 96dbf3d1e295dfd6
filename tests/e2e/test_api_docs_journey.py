"""A re-user finds the API documentation from the footer and reads the operation reference,
rendered by Swagger UI from the live schema under the site's CSP (the guard fails on any
CSP violation, script error or missing asset)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect


def test_api_documentation_from_the_footer(page: Page, step):
    page.goto("/")
    page.get_by_role("contentinfo").get_by_role("link", name="开放数据接口").click()
    expect(page).to_have_url("/api")
    expect(page.get_by_role("heading", level=1)).to_have_text("开放数据接口说明")
    expect(page.get_by_role("heading", name="错误格式")).to_be_visible()
    reference = page.locator("#swagger-ui")
    # Every documented operation is listed, from the schema the server generates.
    expect(reference.get_by_text("/api/v1/public/disclosures", exact=True)).to_be_visible()
    expect(reference.get_by_text("/api/v1/public/subjects/{uscc}", exact=True)).to_be_visible()
    expect(reference.get_by_text("/api/v1/agency/records", exact=True).first).to_be_visible()
    step(page, "api-docs", htmx=False)
    reference.get_by_text("/api/v1/public/disclosures", exact=True).click()
    expect(reference.get_by_text("双公示数据（行政许可、行政处罚）").first).to_be_visible()
    expect(reference.get_by_text("since", exact=True).first).to_be_visible()
    step(page, "api-docs-operation", htmx=False)


def test_elder_mode_from_the_footer_and_back(page: Page, step):
    page.goto("/help")
    footer = page.get_by_role("contentinfo")
    before = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    footer.get_by_role("button", name="长辈版（大字、高对比度）").click()
    expect(page).to_have_url("/help")
    expect(page.locator("html")).to_have_class("elder")
    after = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert after >= before * 1.2
    step(page, "elder-help", htmx=False)
    page.goto("/policies/zzb-2017-80")  # remembered on the next page
    expect(page.locator("html")).to_have_class("elder")
    expect(page.locator("#a19")).to_contain_text("累计查询次数")
    step(page, "elder-policy", htmx=False)
    page.get_by_role("contentinfo").get_by_role("button", name="返回标准版").click()
    expect(page.locator("html")).not_to_have_class("elder")


def test_elder_mode_keeps_a_search_made_in_place(page: Page, seed, step):
    """The search below runs by htmx (the URL is pushed, the page is not reloaded): switching to
    长辈版 returns to that search, not to the page as it was first loaded."""
    page.goto("/")
    box = page.get_by_role("searchbox", name="企业名称或统一社会信用代码")
    box.fill(seed["token"])
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q="))
    expect(page.locator("#result-list > li").first).to_be_visible()
    page.get_by_role("contentinfo").get_by_role("button", name="长辈版（大字、高对比度）").click()
    expect(page.locator("html")).to_have_class("elder")
    expect(page).to_have_url(re.compile(r"/search\?q="))
    expect(page.locator("#result-list > li").first).to_be_visible()
    step(page, "elder-search-kept", htmx=False)
    page.get_by_role("contentinfo").get_by_role("button", name="返回标准版").click()
    expect(page.locator("html")).not_to_have_class("elder")
