"""Accessibility in a real browser: the axe-core check itself, focus after a tab switch, the one
live region, h1 on every page, keyboard-only journey, Back after 加载更多, phones."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import axe

pytestmark = pytest.mark.e2e


def test_axe_check_runs_and_fails_on_a_serious_violation(page: Page, seed, guard, step):
    """The runner is live on a real page: a clean page passes, an injected image without alt text
    (axe `image-alt`, critical) is reported with its rule and element, which fails the guard."""
    page.goto("/")
    step(page, "home", screenshot=False)
    assert page.evaluate("typeof window.axe.run") == "function"
    page.evaluate(
        "() => { const i = document.createElement('img'); i.id = 'bad-img'; i.src = '/static/favicon.svg';"
        " document.querySelector('main').append(i); window.__axeQueue('test'); }"
    )
    axe.settle(page)
    problems, guard.problems = guard.problems, []
    assert any(axe.PREFIX in p and "image-alt" in p and "#bad-img" in p for p in problems), problems


def _active(page: Page) -> dict:
    """Where keyboard focus is: id, tag, text and whether it sits in the tab bar or the panel."""
    return page.evaluate(
        """() => { const e = document.activeElement; return {
             id: e.id, tag: e.tagName.toLowerCase(), text: (e.textContent || '').trim().slice(0, 40),
             inTabBar: !!e.closest('#tab-bar'), inResults: !!e.closest('#result-list'),
             inPanel: !!e.closest('#tab-panel') }; }"""
    )


def _tab_until(page: Page, predicate, what: str, limit: int = 40) -> dict:
    for _ in range(limit):
        page.keyboard.press("Tab")
        where = _active(page)
        if predicate(where):
            return where
    raise AssertionError(f"{limit} presses of Tab never reached {what}; focus is on {_active(page)}")


def test_back_after_load_more_restores_every_row_and_the_scroll_position(page: Page, seed, step):
    """加载更多 twice, open a profile from far down the list, Back: all 45 rows and the same scroll."""
    history = seed["history"]
    total = len(history["subjects"])
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"/search?q={quote(history['token'])}")
    rows = page.locator("#result-list > li:not([hidden]):not(#more-results)")
    expect(rows).to_have_count(20)
    announcer = page.locator("#announcer")

    page.get_by_role("link", name="加载更多").click()
    expect(rows).to_have_count(40)
    expect(page).to_have_url(re.compile(r"shown=40$"))
    expect(announcer).to_have_text("已加载更多，共显示 40 条结果")
    page.get_by_role("link", name="加载更多").click()
    expect(rows).to_have_count(total)
    expect(page).to_have_url(re.compile(rf"shown={total}$"))
    expect(announcer).to_have_text(f"已加载更多，共显示 {total} 条结果")
    expect(page.get_by_role("link", name="加载更多")).to_have_count(0)
    step(page, "loaded-twice")

    chosen = history["subjects"][41]
    link = page.locator("#result-list").get_by_role("link", name=chosen["name"])
    link.scroll_into_view_if_needed()
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 500, f"the 42nd row should be far down the page (scrollY {scrolled})"
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(chosen["name"])
    step(page, "profile")

    page.go_back()
    expect(page).to_have_url(re.compile(rf"/search\?q=.*shown={total}$"))
    expect(rows).to_have_count(total)
    expect(page.locator("#result-list").get_by_role("link", name=chosen["name"])).to_be_visible()
    page.wait_for_function(f"Math.abs(window.scrollY - {scrolled}) <= 2")
    step(page, "back-all-rows")


def test_disclosures_filter_once_and_load_more_keeps_rows_focus_and_back(page: Page, seed, step):
    """A name typed and Enter: one request, one history entry (Enter also fired "change", and a
    second identical request was pushed). 加载更多 by keyboard: focus on the first new row, not
    <body>. Back from a row's subject: every loaded row again."""
    history = seed["history"]
    total = len(history["subjects"])
    page.goto("/disclosures")
    requests = []
    page.on("request", lambda r: requests.append(r.url) if "/disclosures?" in r.url else None)
    before = page.evaluate("history.length")
    name = page.get_by_label("行政相对人名称")
    name.fill(history["token"])
    with page.expect_response(lambda r: "name=" in r.url):
        name.press("Enter")
    rows = page.locator("#disclosure-rows > tr:not(#more-disclosures)")
    expect(rows).to_have_count(20)
    expect(page).to_have_url(re.compile(r"/disclosures\?.*name="))
    assert len(requests) == 1, requests
    assert page.evaluate("history.length") == before + 1

    more = page.get_by_role("link", name="加载更多")
    more.focus()
    page.keyboard.press("Enter")
    expect(rows).to_have_count(40)
    expect(page).to_have_url(re.compile(r"shown=40"))
    first_new = rows.nth(20)
    expect(first_new).to_be_focused()
    page.keyboard.press("Tab")  # on to the first link of that row, not back to the top of the page
    assert page.evaluate(
        "document.activeElement.closest('tr') === document.querySelectorAll('#disclosure-rows > tr')[20]"
    )
    page.get_by_role("link", name="加载更多").click()
    expect(rows).to_have_count(total)
    expect(page.locator("#announcer")).to_have_text(f"已加载更多，共显示 {total} 条公示信息")
    step(page, "disclosures-loaded-twice")

    chosen = history["subjects"][42]
    page.locator("#disclosure-rows").get_by_role("link", name=chosen["name"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(chosen["name"])
    page.go_back()
    expect(page).to_have_url(re.compile(rf"shown={total}"))
    expect(rows).to_have_count(total)
    expect(page.get_by_label("行政相对人名称")).to_have_value(history["token"])
    step(page, "disclosures-back-all-rows")


def test_tab_switch_moves_focus_to_the_new_panel(page: Page, seed, step):
    target = seed["target"]
    page.goto(f"/subjects/{target['uscc']}")
    tabs = page.get_by_role("navigation", name="信用信息栏目")
    tabs.get_by_role("link", name="行政处罚").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/penalty$"))
    expect(page.locator("#tab-panel").get_by_role("heading", name="行政处罚")).to_be_visible()
    expect(page.locator("#tab-panel")).to_be_focused()
    step(page, "penalty-focused")
    tabs.get_by_role("link", name="失信惩戒").click()
    expect(page.locator("#tab-panel").get_by_role("heading", name="失信惩戒")).to_be_visible()
    expect(page.locator("#tab-panel")).to_be_focused()


def test_results_are_announced_through_one_live_region(page: Page, seed, step):
    token = seed["token"]
    for path in ("/", "/search", "/disclosures", "/lists/red", f"/subjects/{seed['target']['uscc']}"):
        page.goto(path)
        live = page.locator("[aria-live]")
        expect(live, f"{path} must have exactly one live region").to_have_count(1)
        expect(live).to_have_attribute("id", "announcer")
    page.goto("/search")
    page.get_by_role("searchbox").fill(token)
    page.get_by_role("searchbox").press("Enter")
    expect(page.locator("#announcer")).to_have_text(f"“{token}”的查询结果：已显示 20 条")
    expect(page.locator("[aria-live]")).to_have_count(1)
    step(page, "search-announced")
    page.goto("/disclosures")
    page.get_by_label("类型").select_option(label="行政处罚")
    expect(page.locator("#announcer")).to_contain_text("已筛选，显示")
    expect(page.locator("[aria-live]")).to_have_count(1)


def test_every_page_has_an_h1_error_pages_too(page: Page, seed, guard, step):
    guard.allow(r"status of 404")
    for path in ("/", "/search", "/disclosures", "/lists/black", "/login", "/subjects/NOSUCHCODE"):
        page.goto(path)
        expect(page.get_by_role("heading", level=1), path).to_have_count(1)
    expect(page.get_by_role("heading", level=1)).to_contain_text("页面不存在")
    step(page, "404")


def test_focus_ring_on_the_red_header_is_visible(page: Page, seed, step):
    page.goto("/")
    page.keyboard.press("Tab")  # the skip link
    expect(page.get_by_role("link", name="跳到主要内容")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="信用郑州")).to_be_focused()
    ring = page.evaluate(
        """() => { const e = document.activeElement; const s = getComputedStyle(e);
             return {style: s.outlineStyle, width: parseFloat(s.outlineWidth), color: s.outlineColor,
                     bg: getComputedStyle(document.querySelector('header')).backgroundColor}; }"""
    )
    assert ring["style"] != "none" and ring["width"] >= 2, ring
    ratio = _contrast(ring["color"], ring["bg"])
    assert ratio >= 3, f"focus ring {ring['color']} on header {ring['bg']}: contrast {ratio:.2f} < 3"
    step(page, "header-focus")


def test_invalid_date_range_shows_its_message_beside_the_fields(page: Page, seed, guard, step):
    guard.allow(r"status of 400")
    page.goto("/disclosures")
    page.evaluate("window.__kept = 1")
    with page.expect_response(lambda r: "to=2026-01-01" in r.url):
        page.locator("#date-to").fill("2026-01-01")
    page.locator("#date-from").fill("2026-02-01")
    error = page.locator("#date-from-error")
    expect(error).to_have_text("起始日期不能晚于截止日期")
    date_from = page.get_by_label("决定日期自")
    expect(date_from).to_have_attribute("aria-invalid", "true")
    expect(date_from).to_have_attribute("aria-describedby", "date-from-error")
    expect(page.locator("#results").get_by_role("alert")).to_contain_text("请更正日期")
    assert page.evaluate("window.__kept") == 1, "the error replaced the whole page instead of the fields"
    step(page, "date-error-in-place")
    page.locator("#date-from").fill("2025-12-01")
    expect(page).to_have_url(re.compile(r"from=2025-12-01"))
    expect(error).to_have_count(0)
    expect(date_from).not_to_have_attribute("aria-invalid", "true")


def test_keyboard_only_journey_search_profile_tabs(page: Page, seed, step):
    """Only Tab, Enter, typing and arrow keys; focus is asserted after every step."""
    target = seed["target"]
    page.goto("/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="跳到主要内容")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    _tab_until(page, lambda a: a["id"] == "q", "the search box")
    page.keyboard.type(target["name"])
    page.keyboard.press("Enter")
    expect(page.locator("#result-list").get_by_role("link", name=target["name"])).to_be_visible()
    expect(page.get_by_role("searchbox")).to_be_focused()  # focus stays where the visitor typed
    where = _tab_until(page, lambda a: a["inResults"], "the first result")
    assert where["tag"] == "a" and where["text"] == target["name"], where
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(target["name"])
    step(page, "keyboard-profile")
    where = _tab_until(page, lambda a: a["inTabBar"], "the tab bar")
    assert where["text"] == "基本信息", where
    page.keyboard.press("Tab")
    assert _active(page)["text"] == "行政许可"
    page.keyboard.press("Tab")
    assert _active(page)["text"] == "行政处罚"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/penalty$"))
    expect(page.locator("#tab-panel")).to_be_focused()
    page.keyboard.press("ArrowDown")  # reading on: the panel scrolls, focus stays
    expect(page.locator("#tab-panel")).to_be_focused()
    step(page, "keyboard-penalty")
    page.keyboard.press("Shift+Tab")  # back to the tab bar: its last tab comes before the panel
    where = _active(page)
    assert where["inTabBar"] and where["text"] == "信用承诺", where
    page.keyboard.press("Shift+Tab")
    where = _active(page)
    assert where["inTabBar"] and where["text"] == "失信惩戒", where
    page.keyboard.press("Enter")
    expect(page.locator("#tab-panel").get_by_role("heading", name="失信惩戒")).to_be_visible()
    expect(page.locator("#tab-panel")).to_be_focused()
    step(page, "keyboard-negative")


@pytest.mark.browser_context_args(
    viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2
)
def test_phone_journey_search_profile_tabs_disclosures(page: Page, seed, step):
    """390×844: every step fits the screen; 双公示 and list rows are stacked cards with labels."""
    token, target = seed["token"], seed["target"]

    def fits(name: str) -> None:
        width = page.evaluate("document.scrollingElement.scrollWidth")
        step(page, name)
        assert width <= 391, f"{page.url} is {width}px wide on a 390px phone"

    page.goto("/")
    fits("phone-home")
    page.get_by_role("searchbox").fill(token)
    page.get_by_role("searchbox").press("Enter")
    expect(page.locator("#result-list > li").first).to_be_visible()
    fits("phone-search")
    page.goto(f"/search?q={quote(target['name'])}")
    page.locator("#result-list").get_by_role("link", name=target["name"]).tap()
    expect(page.get_by_role("heading", level=1)).to_have_text(target["name"])
    fits("phone-profile")
    page.get_by_role("navigation", name="信用信息栏目").get_by_role("link", name="行政处罚").tap()
    expect(page.locator("#tab-panel").get_by_role("heading", name="行政处罚")).to_be_visible()
    fits("phone-penalty")
    page.goto("/disclosures")
    expect(page.get_by_role("heading", level=1)).to_contain_text("双公示")
    _assert_cards(
        page,
        "#disclosure-rows tr:not(#more-disclosures)",
        ["类型", "行政相对人", "代码", "决定内容", "决定机关", "决定日期"],
    )
    fits("phone-disclosures")
    page.goto("/lists/black")
    _assert_cards(
        page,
        "main table.cards tbody tr:not(#more-entries)",
        ["主体", "代码", "名单类别", "认定单位", "列入日期", "有效期至", "详情"],
    )
    fits("phone-black-list")
    # 长辈版 (larger text): the filter forms still fit, a long agency name in a select included.
    page.get_by_role("contentinfo").get_by_role("button", name="长辈版（大字、高对比度）").tap()
    expect(page.locator("html")).to_have_class("elder")
    fits("phone-elder-black-list")
    page.goto("/disclosures")
    fits("phone-elder-disclosures")


def _assert_cards(page: Page, rows: str, labels: list[str]) -> None:
    first = page.locator(rows).first
    expect(first).to_be_visible()
    shape = first.evaluate(
        """(tr) => ({display: getComputedStyle(tr).display,
                     cells: [...tr.cells].map((td) => [td.dataset.label, getComputedStyle(td).display,
                                                      getComputedStyle(td, '::before').content]),
                     head: document.querySelector('table.cards thead').getBoundingClientRect().width,
                     width: tr.getBoundingClientRect().width})"""
    )
    assert shape["display"] == "block", shape
    assert [c[0] for c in shape["cells"]] == labels, shape
    assert all(c[1] == "grid" and c[2] == f'"{c[0]}"' for c in shape["cells"]), shape
    assert shape["head"] <= 1, "the column headers should be hidden visually on a phone"
    assert shape["width"] <= 390, shape


def _contrast(fg: str, bg: str) -> float:
    def lum(css: str) -> float:
        r, g, b = (int(x) / 255 for x in re.findall(r"[\d.]+", css)[:3])
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    a, b = sorted((lum(fg), lum(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)
