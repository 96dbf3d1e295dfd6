"""The public visitor's journey in a real browser: search → load more → profile tabs → 双公示 filter.

Every fragment swap is checked to be an htmx request (HX-Request header, URL pushed, the page's
JavaScript state survives = no full reload). The CSP guard and screenshots come from conftest.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

PAGE_SIZE = 20  # settings.page_size


def _mark(page: Page) -> None:
    page.evaluate("window.__marker = 1")


def _assert_no_reload(page: Page) -> None:
    assert page.evaluate("window.__marker") == 1, f"{page.url} was fully reloaded instead of swapped by htmx"


def _is_htmx(response) -> bool:
    return response.request.headers.get("hx-request") == "true"


def test_public_journey(page: Page, seed, step):
    token, target, titles = seed["token"], seed["target"], seed["titles"]

    # Home: Chinese title, heading and the search box.
    page.goto("/")
    expect(page).to_have_title(re.compile("首页.*公共信用信息服务平台"))
    expect(page.get_by_role("heading", level=1)).to_have_text("公共信用信息查询")
    search_box = page.get_by_role("searchbox", name="企业名称或统一社会信用代码")
    expect(search_box).to_be_visible()
    expect(page.get_by_role("link", name="信用郑州")).to_be_visible()
    step(page, "home")

    # Two-character search: the results fragment is swapped into the home page by htmx.
    _mark(page)
    search_box.fill(token)
    with page.expect_response(lambda r: "/search?" in r.url) as searched:
        search_box.press("Enter")
    assert _is_htmx(searched.value) and searched.value.status == 200
    results = page.locator("#results")
    expect(results.get_by_role("heading", name=f"“{token}”的查询结果")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/search\?q=" + re.escape(_quote(token)) + "$"))
    rows = page.locator("#result-list > li:not(#more-results)")
    expect(rows).to_have_count(PAGE_SIZE)
    _assert_no_reload(page)
    step(page, "search-results")

    # 加载更多: the next keyset page is appended in place.
    with page.expect_response(lambda r: "cursor=" in r.url) as more:
        page.get_by_role("link", name="加载更多").click()
    assert _is_htmx(more.value)
    expect(rows).to_have_count(len(seed["similar"]) + 1)
    expect(page.get_by_role("link", name="加载更多")).to_have_count(0)
    _assert_no_reload(page)
    step(page, "search-more")

    # A result leads to the subject's profile (a normal navigation).
    page.locator("#result-list").get_by_role("link", name=target["name"]).click()
    expect(page).to_have_url(re.compile(f"/subjects/{target['uscc']}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(target["name"])
    tabs = page.get_by_role("navigation", name="信用信息栏目")
    expect(tabs.get_by_role("link", name="基本信息")).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("郑州市金水区花园路1号")).to_be_visible()
    step(page, "profile")

    # 行政处罚 tab: swapped by htmx, URL pushed, tab bar updated out of band.
    _mark(page)
    with page.expect_response(lambda r: r.url.endswith("/penalty")) as penalty:
        tabs.get_by_role("link", name="行政处罚").click()
    assert _is_htmx(penalty.value)
    panel = page.locator("#tab-panel")
    expect(panel.get_by_role("heading", name="行政处罚")).to_be_visible()
    expect(panel.get_by_text(titles["penalty"])).to_be_visible()
    expect(panel.get_by_text("逾期未公示2025年度报告")).to_be_visible()
    expect(page).to_have_url(re.compile(f"/subjects/{target['uscc']}/penalty$"))
    expect(tabs.get_by_role("link", name="行政处罚")).to_have_attribute("aria-current", "page")
    expect(tabs.get_by_role("link", name="基本信息")).not_to_have_attribute("aria-current", "page")
    expect(panel.get_by_text(titles["license"])).to_have_count(0)
    _assert_no_reload(page)
    step(page, "profile-penalty")

    # 失信惩戒 tab: the black-list entry and the class-A negative record; class B never shown.
    with page.expect_response(lambda r: r.url.endswith("/negative")) as negative:
        tabs.get_by_role("link", name="失信惩戒").click()
    assert _is_htmx(negative.value)
    expect(panel.get_by_role("heading", name="失信惩戒")).to_be_visible()
    expect(panel.get_by_text("失信被执行人（E2E）")).to_be_visible()
    expect(panel.get_by_text("未履行生效法律文书确定的义务")).to_be_visible()
    expect(panel.get_by_text(titles["negative"])).to_be_visible()
    expect(page.get_by_text(titles["hidden"])).to_have_count(0)
    expect(page).to_have_url(re.compile(f"/subjects/{target['uscc']}/negative$"))
    expect(tabs.get_by_role("link", name="失信惩戒")).to_have_attribute("aria-current", "page")
    _assert_no_reload(page)
    step(page, "profile-negative")

    # 双公示 from the main navigation; the type filter submits on change through htmx.
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="双公示").click()
    expect(page).to_have_url(re.compile(r"/disclosures$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("双公示")
    types = page.locator("#disclosure-rows td:first-child .tag")
    expect(types.filter(has_text="行政许可").first).to_be_visible()
    expect(types.filter(has_text="行政处罚").first).to_be_visible()
    step(page, "disclosures")

    _mark(page)
    with page.expect_response(lambda r: "/disclosures?" in r.url and "type=penalty" in r.url) as filtered:
        page.get_by_label("类型").select_option(label="行政处罚")
    assert _is_htmx(filtered.value)
    assert filtered.value.status == 200, (
        f"choosing 行政处罚 requested {filtered.value.url}, which answered {filtered.value.status}"
    )
    expect(page).to_have_url(re.compile(r"/disclosures\?.*type=penalty"))
    expect(page.locator("#disclosure-rows").get_by_text(titles["penalty"])).to_be_visible()
    expect(types.filter(has_text="行政许可")).to_have_count(0)
    assert types.count() >= 1
    assert set(types.all_inner_texts()) == {"行政处罚"}
    expect(page.get_by_text(titles["license"])).to_have_count(0)
    _assert_no_reload(page)
    step(page, "disclosures-penalty")


def test_back_button_after_tab_swaps_restores_the_whole_page(page: Page, seed, step):
    """htmx keeps no history cache (historyCacheSize=0, for the CSP): Back asks the server for the
    pushed URL again, and that answer must be the whole page, not the tab fragment."""
    target, titles = seed["target"], seed["titles"]
    page.goto(f"/subjects/{target['uscc']}")
    tabs = page.get_by_role("navigation", name="信用信息栏目")
    panel = page.locator("#tab-panel")
    tabs.get_by_role("link", name="行政处罚").click()
    expect(page).to_have_url(re.compile(r"/penalty$"))
    expect(panel.get_by_text(titles["penalty"])).to_be_visible()
    tabs.get_by_role("link", name="失信惩戒").click()
    expect(page).to_have_url(re.compile(r"/negative$"))
    expect(panel.get_by_text(titles["negative"])).to_be_visible()

    page.go_back()
    expect(page).to_have_url(re.compile(f"/subjects/{target['uscc']}/penalty$"))
    expect(
        page.get_by_role("banner"),
        "Back replaced the whole page by the tab fragment (the history-restore "
        "request got the htmx fragment instead of the full page)",
    ).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(target["name"])
    expect(panel.get_by_text(titles["penalty"])).to_be_visible()
    expect(tabs.get_by_role("link", name="行政处罚")).to_have_attribute("aria-current", "page")
    step(page, "back-to-penalty")

    page.go_forward()
    expect(page).to_have_url(re.compile(r"/negative$"))
    expect(page.get_by_role("banner"), "Forward replaced the whole page by the tab fragment").to_be_visible()
    expect(panel.get_by_text("失信被执行人（E2E）")).to_be_visible()
    expect(tabs.get_by_role("link", name="失信惩戒")).to_have_attribute("aria-current", "page")
    step(page, "forward-to-negative")


@pytest.mark.browser_context_args(
    viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True, device_scale_factor=2
)
def test_pages_fit_a_phone_screen(page: Page, seed, step):
    """375 px wide (iPhone-sized): no horizontal scrolling, the home page first of all."""
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("公共信用信息查询")
    expect(page.get_by_role("searchbox")).to_be_visible()
    assert page.evaluate("window.innerWidth") == 375
    width = page.evaluate("document.scrollingElement.scrollWidth")
    step(page, "home-375")
    assert width <= 375 + 1, f"the home page is {width}px wide at a 375px viewport (horizontal scrolling)"

    uscc = seed["target"]["uscc"]
    too_wide = {}
    for name, path in [
        ("search", f"/search?q={seed['token']}"),
        ("profile", f"/subjects/{uscc}/penalty"),
        ("disclosures", "/disclosures"),
        ("black-list", "/lists/black"),
        ("login", "/login"),
    ]:
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        width = page.evaluate("document.scrollingElement.scrollWidth")
        step(page, f"{name}-375")
        if width > 375 + 1:
            too_wide[path] = width
    assert not too_wide, f"pages wider than a 375px viewport: {too_wide}"


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text)
