"""Public lists in a real browser: filter the black list by name (keyboard only) and category, open
an entry's page, export the filtered 双公示 as CSV (R-P5, R-15, R-17). axe runs on every step."""

from __future__ import annotations

import csv
import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def _tab_to(page: Page, locator, limit: int = 60) -> None:
    """Press Tab until ``locator`` has the focus (keyboard only, as a visitor without a mouse)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if locator.evaluate("e => e === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {locator}")


def test_filter_a_list_by_name_and_category_and_open_an_entry_by_keyboard(page: Page, seed, step):
    target = seed["target"]
    page.goto("/lists/black")
    expect(page.get_by_role("heading", level=1)).to_contain_text("黑名单")
    expect(page.locator("#updated-at")).to_contain_text("数据更新时间")
    page.evaluate("window.__kept = 1")

    name = page.get_by_label("主体名称")
    _tab_to(page, name)
    page.keyboard.type(target["name"])
    with page.expect_response(lambda r: "/lists/black?" in r.url and "name=" in r.url) as searched:
        page.keyboard.press("Enter")
    assert searched.value.request.headers.get("hx-request") == "true" and searched.value.status == 200
    expect(page).to_have_url(re.compile(r"/lists/black\?.*name="))
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("失信被执行人（E2E）")
    assert page.evaluate("window.__kept") == 1, "the filter reloaded the whole page"
    step(page, "black-list-by-name")

    with page.expect_response(lambda r: "category=" in r.url):
        page.get_by_label("名单类别").select_option(label="失信被执行人（E2E）")
    expect(page).to_have_url(re.compile(r"category=%E5%A4%B1"))
    expect(rows).to_have_count(1)

    link = rows.first.get_by_role("link", name=re.compile("查看"))
    _tab_to(page, link)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/lists/black/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("失信被执行人（E2E）")
    expect(page.get_by_text("未履行生效法律文书确定的义务")).to_be_visible()
    expect(page.get_by_role("link", name=target["name"])).to_have_attribute("href", f"/subjects/{target['uscc']}")
    step(page, "list-entry")

    page.go_back()  # the filtered list again, filters still in the form
    expect(page.get_by_label("主体名称")).to_have_value(target["name"])
    expect(rows).to_have_count(1)


def test_unknown_name_shows_the_empty_state_and_a_bad_name_its_message(page: Page, seed, guard, step):
    guard.allow(r"status of 400")
    page.goto("/lists/red")
    name = page.get_by_label("主体名称")
    name.fill("没有这家企业E2E")
    name.press("Enter")
    expect(page.locator("#empty-state")).to_contain_text("没有符合条件的名单信息")
    expect(page.locator("#announcer")).to_have_text("没有符合条件的名单信息")
    step(page, "list-empty")
    # maxlength stops typing; a hand-made URL is answered beside the field
    page.goto("/lists/red?name=" + "长" * 60)
    expect(page.get_by_label("主体名称")).to_have_attribute("aria-describedby", "list-name-error")
    expect(page.locator("#list-name-error")).to_contain_text("最多 50 个字")


def test_export_the_filtered_disclosures_as_csv(page: Page, seed, step):
    titles = seed["titles"]
    page.goto("/disclosures")
    with page.expect_response(lambda r: "type=penalty" in r.url):
        page.get_by_label("类型").select_option(label="行政处罚")
    link = page.get_by_role("link", name="CSV 文件")
    expect(link).to_have_attribute("href", re.compile(r"^/disclosures/export/csv\?type=penalty"))
    step(page, "disclosures-export-links")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.startswith("双公示-") and download.value.suggested_filename.endswith(
        ".csv"
    )
    with open(download.value.path(), encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][0] == "类型" and {r[0] for r in rows[1:]} == {"行政处罚"}
    assert any(r[4] == titles["penalty"] for r in rows[1:])
    assert titles["hidden"] not in str(rows) and titles["license"] not in str(rows)


def test_search_box_says_beside_the_field_that_the_check_character_is_wrong(page: Page, seed, guard, step):
    guard.allow(r"status of 400")
    code = seed["target"]["uscc"]
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    page.goto("/")
    page.evaluate("window.__kept = 1")
    box = page.get_by_role("searchbox", name="企业名称或统一社会信用代码")
    box.fill(wrong)
    box.press("Enter")
    expect(page.locator("#q-error")).to_contain_text("校验位错误")
    box = page.get_by_role("searchbox", name="企业名称或统一社会信用代码")
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(box).to_have_attribute("aria-describedby", "q-error")
    assert page.evaluate("window.__kept") == 1, "the error replaced the whole page instead of the field"
    step(page, "search-check-character")
    box.fill(code)
    box.press("Enter")
    expect(page.locator("#q-error")).to_have_count(0)
    expect(box).not_to_have_attribute("aria-invalid", "true")
