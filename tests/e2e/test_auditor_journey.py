"""The auditor's journey in a real browser (issue 3 "Done when"; R-19, SPEC §5, §7).

An auditor filters the query log by organisation and method, pages through it with htmx
("更早的记录"), narrows it to one natural person (name + ID number posted, never in the URL) and to
the refused queries, opens an entry with its integrity check, and exports the filtered rows as
CSV. The log slice is seeded through the real audit recorder (conftest._seed_audit_log); every
expected row is computed from the seeded entries and their seq numbers.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.pages import SLOW, log_in

pytestmark = pytest.mark.e2e

PAGE_SIZE = 50  # audit.routes.AuditorUI.page_size
REVOKED = "已拒绝：授权已撤销"
THIRD_PARTY = "授权查询"


def _rows(page: Page):
    return page.get_by_role("table", name=re.compile("^查询记录")).locator("tbody tr[data-seq]")


def _seqs(page: Page) -> list[int]:
    return [int(text) for text in _rows(page).locator("td:first-child").all_inner_texts()]


def _column(page: Page, index: int) -> list[str]:
    return [text.strip() for text in _rows(page).locator(f"td:nth-child({index + 1})").all_inner_texts()]


def _newest_first(entries: list[dict], keep) -> list[int]:
    return sorted((e["seq"] for e in entries if keep(e)), reverse=True)


def _filter_form(page: Page):
    return page.get_by_role("form", name="筛选查询记录")


def test_auditor_filters_pages_opens_an_entry_and_exports_csv(page: Page, seed, step):
    audit, auditor = seed["audit"], seed["auditor"]
    org, entries, person = audit["org"], audit["entries"], audit["person"]
    third_party = _newest_first(entries, lambda e: e["method"] == "third_party")
    assert len(third_party) > PAGE_SIZE  # the seed must need a second page

    log_in(page, auditor)
    page.get_by_role("banner").get_by_role("link", name="审计日志", exact=True).click()
    expect(page).to_have_url(re.compile(r"/audit/log$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("查询记录审计")
    step(page, "log")

    # Organisation + method: the first page holds the newest PAGE_SIZE entries, newest first.
    form = _filter_form(page)
    form.get_by_label("查询机构").fill(org)
    form.get_by_label("查询方式").select_option(label=THIRD_PARTY)
    form.get_by_role("button", name="筛选", exact=True).click()
    expect(page).to_have_url(re.compile(r"/audit/log\?.*method=third_party"))
    assert parse_qs(urlparse(page.url).query).get("org") == [org]
    expect(form.get_by_label("查询机构")).to_have_value(org)
    expect(_rows(page)).to_have_count(PAGE_SIZE)
    assert _seqs(page) == third_party[:PAGE_SIZE]
    assert set(_column(page, 3)) == {org}
    assert set(_column(page, 4)) == {THIRD_PARTY}
    more = page.get_by_role("link", name="更早的记录")
    expect(more).to_be_visible()
    step(page, "log-filtered")

    # 更早的记录: htmx appends the rest in place (no reload, same URL).
    url = page.url
    page.evaluate("window.__marker = 1")
    with page.expect_response(lambda r: "/audit/log?" in r.url and "after=" in r.url) as older:
        more.click()
    assert older.value.request.headers.get("hx-request") == "true" and older.value.status == 200
    expect(_rows(page)).to_have_count(len(third_party))
    assert _seqs(page) == third_party
    expect(more).to_have_count(0)
    assert page.evaluate("window.__marker") == 1, "the log was reloaded instead of extended by htmx"
    assert page.url == url
    step(page, "log-second-page")

    # 按主体筛选: name + ID number are posted; the URL carries only the keyed digest.
    page.get_by_text("按主体筛选（输入统一社会信用代码").click()
    subject_form = page.locator("form").filter(has=page.get_by_role("button", name="按主体筛选", exact=True))
    subject_form.get_by_role("radio", name=re.compile("^自然人")).check()
    subject_form.get_by_label("姓名", exact=True).fill(person["name"])
    subject_form.get_by_label("公民身份号码", exact=True).fill(person["id_number"])
    subject_form.get_by_role("button", name="按主体筛选", exact=True).click()
    expect(page).to_have_url(re.compile(r"/audit/log\?.*subject_ref=n%3A"))
    assert person["id_number"] not in page.url and person["id_number"] not in page.content()
    query = parse_qs(urlparse(page.url).query)
    assert query.get("org") == [org] and query.get("method") == ["third_party"], "the other filters were lost"
    natural = _newest_first(entries, lambda e: e["method"] == "third_party" and e["natural"])
    expect(_rows(page)).to_have_count(len(natural))
    assert _seqs(page) == natural
    labels = {e["subject_label"] for e in entries if e["natural"]}
    assert set(_column(page, 6)) == labels and all("*" in label for label in labels)
    step(page, "log-by-subject")

    # Only the refused ones.
    form.get_by_label("查询结果").select_option(label=REVOKED)
    form.get_by_role("button", name="筛选", exact=True).click()
    expect(page).to_have_url(re.compile(r"outcome=refused%3Aauthorization_revoked"))
    refused = _newest_first(
        entries, lambda e: e["method"] == "third_party" and e["natural"] and e["outcome"] != "allowed"
    )
    assert refused, "the seed has no refused entry in this slice"
    expect(_rows(page)).to_have_count(len(refused))
    assert _seqs(page) == refused
    assert set(_column(page, 7)) == {REVOKED}
    filtered_url = page.url
    step(page, "log-refused")

    # One entry: its content and its integrity check.
    newest = next(e for e in entries if e["seq"] == refused[0])
    page.get_by_role("link", name=f"查看第 {newest['seq']} 条记录详情及校验状态").click()
    expect(page).to_have_url(re.compile(rf"/audit/log/{newest['seq']}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"查询记录 #{newest['seq']} 的校验状态")
    check = page.get_by_role("region", name=re.compile("校验状态"))
    expect(check).to_have_attribute("data-status", re.compile(r"^(verified|unsealed)$"))
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(check.get_by_role("status")).to_contain_text(re.compile("已验证|内容与哈希一致"))
    content = page.get_by_role("region", name="记录内容")
    for text in (
        org,
        audit["requester"]["username"],
        THIRD_PARTY,
        newest["reason_text"],
        newest["subject_label"],
        newest["authority_ref"],
        newest["authority_sha256"],
        REVOKED,
    ):
        expect(content).to_contain_text(text)
    assert person["id_number"] not in page.content()
    step(page, "entry")

    # Back to the filtered log, then export exactly those rows.
    page.go_back()
    expect(page).to_have_url(filtered_url)
    expect(_rows(page)).to_have_count(len(refused))
    with page.expect_download(timeout=SLOW) as info:
        page.get_by_role("link", name="导出 CSV").click()
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename.endswith(".csv")
    raw = Path(download.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "no UTF-8 BOM: Excel would garble the Chinese"
    text = raw.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [int(row["序号"]) for row in rows] == refused
    for row in rows:
        assert row["查询机构"] == org
        assert row["查询方式"] == THIRD_PARTY
        assert row["查询结果"] == REVOKED
        assert row["信用主体（已脱敏）"] in labels
        assert re.fullmatch(r"[0-9a-f]{64}", row["条目哈希"])
    assert person["id_number"] not in text and person["name"] not in text
