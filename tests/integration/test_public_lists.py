"""Public lists a visitor searches, filters, opens and exports: 红黑名单 and 双公示 (R-15, R-17, R-P5)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta, timezone
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from portal.settings import get_settings
from tests import factories as f

pytestmark = pytest.mark.anyio


def _next_href(html: str) -> str | None:
    found = re.search(r'<tr id="more-[a-z]+">.*?href="([^"]+)"', html, re.S)
    return found[1].replace("&amp;", "&") if found else None


async def test_lists_search_by_name_and_category_with_keyset_paging(client):
    agency = await f.agency()
    token = f.unique()[-4:]
    tax = f"重大税收违法失信主体{token}"
    companies = [await f.legal_subject(f"河南瑄玥{token}第{i}商贸有限公司") for i in range(25)]
    entries = []
    for i, company in enumerate(companies):
        listed = date(2025, 1, 1) + timedelta(days=i % 3)  # equal dates: the keyset's id breaks ties
        entries.append(await f.list_entry(company["id"], agency["id"], "black", list_name=tax, listed_on=listed))
    other = await f.legal_subject(f"河南瑄玥{token}另一有限公司")
    await f.list_entry(other["id"], agency["id"], "black", list_name="失信被执行人")
    person = await f.natural_subject(name=f"瑄玥{token}")
    await f.list_entry(person["id"], agency["id"], "black", list_name=tax)

    first = await client.get("/lists/black", params={"name": f"瑄玥{token}", "category": tax})
    assert first.status_code == 200
    assert f'<option value="{tax}" selected>' in first.text  # the filter stays in the form (Back works)
    seen = re.findall(r'href="/lists/black/(\d+)"', first.text)
    href = _next_href(first.text)
    assert href and "category=" in href and "name=" in href and "cursor=" in href
    more = await client.get(href, headers={"HX-Request": "true"})
    assert more.status_code == 200 and "<html" not in more.text
    seen += re.findall(r'href="/lists/black/(\d+)"', more.text)
    assert sorted(map(int, seen)) == sorted(entries) and len(seen) == 25  # each once, no other entry
    assert _next_href(more.text) is None
    # Back after 加载更多: the pushed URL says how far the list was loaded, and that URL, requested
    # again as a whole page, renders every loaded row in the same order.
    assert "shown=20" in href
    pushed = more.headers["HX-Push-Url"]
    assert pushed.startswith("/lists/black?") and "shown=25" in pushed and "cursor" not in pushed
    again = await client.get(unquote(pushed))
    assert re.findall(r'href="/lists/black/(\d+)"', again.text) == seen and _next_href(again.text) is None
    both = first.text + more.text
    assert other["name"] not in both  # another category
    # a person is never found by name. (The page's random CSRF token, 128 hex digits, is left
    # out: its digits held the person's last four by chance once.)
    assert person["id_number"][-4:] not in re.sub(r"[0-9a-f]{64,}", "", both)

    by_category = await client.get("/lists/black", params={"category": "失信被执行人", "name": f"瑄玥{token}"})
    assert other["name"] in by_category.text and companies[0]["name"] not in by_category.text
    empty = await client.get("/lists/black", params={"name": f"无此企业{token}"}, headers={"HX-Request": "true"})
    assert empty.status_code == 200 and 'id="empty-state"' in empty.text and "清除筛选条件" in empty.text


async def test_lists_bad_filters_answer_400_beside_the_field(client):
    bad = await client.get("/lists/red", params={"category": "没有这种名单"})
    assert bad.status_code == 400 and "没有这个名单类别" in bad.text
    assert 'aria-invalid="true" aria-describedby="list-category-error"' in bad.text
    assert bad.text.count('id="list-category-error"') == 1 and bad.text.count('id="list-filters"') == 1
    long = await client.get("/lists/red", params={"name": "长" * 60}, headers={"HX-Request": "true"})
    assert long.status_code == 400 and long.headers["HX-Inline-Error"] == "1"
    assert 'hx-swap-oob="true"' in long.text and 'aria-describedby="list-name-error"' in long.text
    assert (await client.get("/lists/red", params={"cursor": "!!"})).status_code == 400
    assert (await client.get("/lists/red", params={"cursor": "bm90LWEtY3Vyc29y"})).status_code == 400


async def test_list_entry_page_and_404_for_what_is_not_public(client):
    agency = await f.agency()
    company = await f.legal_subject()
    person = await f.natural_subject(name="钱名单")
    shown = await f.list_entry(
        company["id"],
        agency["id"],
        "red",
        list_name="守信激励对象",
        reason="连续三年纳税信用A级",
        measures="优先办理\n简化程序",
        doc_number="郑税认〔2025〕7号",
        expires_on=date.today() + timedelta(days=30),
    )
    page = await client.get(f"/lists/red/{shown}")
    assert page.status_code == 200
    for text in ("守信激励对象", "连续三年纳税信用A级", "<li>优先办理</li>", "<li>简化程序</li>", "郑税认〔2025〕7号"):
        assert text in page.text
    assert f'href="/subjects/{company["uscc"]}"' in page.text and agency["name"] in page.text and "有效" in page.text
    natural = await f.list_entry(person["id"], agency["id"], "black")
    page = await client.get(f"/lists/black/{natural}")
    assert page.status_code == 200 and "钱名单" in page.text and person["id_number"] not in page.text
    assert "/subjects/" not in page.text.split("<main", 1)[-1].split("返回", 1)[-1]  # no profile for a person
    removed = await f.list_entry(company["id"], agency["id"], "red", status="removed")
    expired = await f.list_entry(company["id"], agency["id"], "red", expires_on=date.today() - timedelta(days=1))
    class_b = await f.list_entry(company["id"], agency["id"], "red", disclosure_class="B")
    for url in (f"/lists/red/{removed}", f"/lists/red/{expired}", f"/lists/red/{class_b}", f"/lists/black/{shown}"):
        response = await client.get(url)
        assert response.status_code == 404, url
        assert "不存在" in response.text
    assert (await client.get(f"/lists/grey/{shown}")).status_code == 404
    too_big = await client.get("/lists/red/99999999999999999999")
    assert too_big.status_code == 400
    assert "frame-ancestors 'none'" in too_big.headers["content-security-policy"]  # like every answer


async def test_updated_at_shown_on_every_list_page(client):
    from portal.records.tables import CreditRecord

    agency = await f.agency()
    company = await f.legal_subject()
    # Later than anything else in the test database, so it is the newest change (China time shown).
    stamp = datetime(2099, 3, 4, 1, 2, tzinfo=timezone.utc)
    await f.list_entry(company["id"], agency["id"], "red", created_at=stamp)
    red = await client.get("/lists/red")
    assert "数据更新时间：<time" in red.text and "2099-03-04 09:02</time>" in red.text
    assert "2099-03-04" not in (await client.get("/lists/black")).text  # the other list's own time
    record = await f.record(company["id"], agency["id"], record_type="penalty", category="penalty", polarity="negative")
    await CreditRecord.update({CreditRecord.updated_at: stamp + timedelta(days=1)}).where(CreditRecord.id == record)
    assert "2099-03-05 09:02</time>" in (await client.get("/disclosures")).text
    hidden = await f.record(
        company["id"], agency["id"], disclosure_class="B", record_type="penalty", category="penalty"
    )
    await CreditRecord.update({CreditRecord.updated_at: stamp + timedelta(days=2)}).where(CreditRecord.id == hidden)
    assert "2099-03-06" not in (await client.get("/disclosures")).text  # class B changes are not told


async def _disclosure_data() -> dict:
    provider = await f.agency()
    token = f.unique()[-4:]
    company = await f.legal_subject(f"郑州琮璟{token}建材有限公司")
    other = await f.legal_subject(f"郑州另家{token}建材有限公司")
    person = await f.natural_subject(name="孙琮璟")
    kinds = {"record_type": "penalty", "category": "penalty", "polarity": "negative"}
    end = {"publicity_end": date.today() + timedelta(days=100)}
    ids = {
        "company": await f.record(company["id"], provider["id"], title=f"琮璟处罚{token}", **kinds, **end),
        "other": await f.record(other["id"], provider["id"], title=f"另家处罚{token}", **kinds, **end),
        "class_b": await f.record(
            company["id"], provider["id"], title=f"琮璟B类{token}", disclosure_class="B", **kinds, **end
        ),
        "person": await f.record(
            person["id"],
            provider["id"],
            record_type="penalty",
            category="person_penalty",
            polarity="negative",
            title=f"个人处罚{token}",
            detail={"penalty_content": "罚款五百元", "violation_facts": "具体违法事实"},
            **end,
        ),
        "license": await f.record(
            company["id"],
            provider["id"],
            record_type="license",
            category="license",
            polarity="neutral",
            title=f"琮璟许可{token}",
        ),
    }
    return {"provider": provider, "token": token, "company": company, "person": person, "ids": ids}


async def _doc(record_id: int) -> str:
    from portal.records.tables import CreditRecord

    return (await CreditRecord.select(CreditRecord.doc_number).where(CreditRecord.id == record_id).first())[
        "doc_number"
    ]


async def test_disclosures_search_by_name_and_doc_number(client):
    d = await _disclosure_data()
    token = d["token"]
    by_name = await client.get("/disclosures", params={"name": f"琮璟{token}"})
    assert f"琮璟处罚{token}" in by_name.text and f"琮璟许可{token}" in by_name.text
    assert f"另家处罚{token}" not in by_name.text and f"琮璟B类{token}" not in by_name.text
    combined = await client.get("/disclosures", params={"name": f"琮璟{token}", "type": "license"})
    assert f"琮璟许可{token}" in combined.text and f"琮璟处罚{token}" not in combined.text
    # a person's record is never found by the person's name
    person = await client.get("/disclosures", params={"name": "孙琮璟"})
    assert f"个人处罚{token}" not in person.text and 'id="empty-state"' in person.text
    doc = await _doc(d["ids"]["other"])
    by_doc = await client.get("/disclosures", params={"doc": doc, "agency": d["provider"]["code"]})
    assert f"另家处罚{token}" in by_doc.text and f"琮璟处罚{token}" not in by_doc.text
    # Typed from a keyboard: the year in [ ] or （ ）, spaces around it — the same number.
    assert "〔2025〕" in doc
    for typed in (doc.replace("〔", "[").replace("〕", "]"), doc.replace("〔", " （").replace("〕", "） ")):
        found = await client.get("/disclosures", params={"doc": typed})
        assert f"另家处罚{token}" in found.text and f"琮璟处罚{token}" not in found.text, typed
    other_year = await client.get("/disclosures", params={"doc": doc.replace("〔2025〕", "[2024]")})
    assert f"另家处罚{token}" not in other_year.text
    assert (await client.get("/disclosures", params={"doc": await _doc(d["ids"]["class_b"])})).text.count(
        f"琮璟B类{token}"
    ) == 0
    long = await client.get("/disclosures", params={"doc": "文" * 150}, headers={"HX-Request": "true"})
    assert long.status_code == 400 and 'aria-describedby="disclosure-doc-error"' in long.text
    assert long.headers["HX-Inline-Error"] == "1"
    agency = await client.get("/disclosures", params={"agency": "NO-SUCH"})
    assert agency.status_code == 400 and 'aria-describedby="disclosure-agency-error"' in agency.text
    assert agency.text.count('id="text-filters"') == 1 and agency.text.count('id="date-fields"') == 1  # no copies


def _filename(response) -> str:
    header = response.headers["content-disposition"]
    assert header.startswith("attachment;") and "filename=" in header
    return unquote(header.split("filename*=UTF-8''", 1)[1])


async def test_export_csv_and_xlsx_hold_only_class_a_masked_as_on_the_page(client):
    d = await _disclosure_data()
    token = d["token"]
    params = {"type": "penalty", "agency": d["provider"]["code"], "from": "", "to": ""}
    response = await client.get("/disclosures/export/csv", params=params)
    assert response.status_code == 200 and response.headers["content-type"] == "text/csv; charset=utf-8"
    assert _filename(response).startswith("双公示-") and _filename(response).endswith(".csv")
    assert response.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Chinese
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, body = lines[0], lines[1:]
    assert header[:4] == ["类型", "行政相对人名称", "统一社会信用代码/证件号码", "决定书文号"]
    titles = {row[4]: row for row in body}
    assert set(titles) == {f"琮璟处罚{token}", f"另家处罚{token}", f"个人处罚{token}"}  # no class B, no licence
    assert titles[f"琮璟处罚{token}"][2] == d["company"]["uscc"]
    person_row = titles[f"个人处罚{token}"]
    assert "孙琮璟" not in response.content.decode("utf-8-sig") and person_row[1].startswith("孙")
    assert d["person"]["id_number"] not in person_row[2] and person_row[2].endswith(d["person"]["id_number"][-4:])
    assert "罚款五百元" not in response.content.decode("utf-8-sig")  # masked as on the page
    page = await client.get("/disclosures", params=params)
    assert person_row[1] in page.text and "孙琮璟" not in page.text

    xlsx = await client.get("/disclosures/export/xlsx", params={"name": f"琮璟{token}"})
    assert xlsx.status_code == 200 and _filename(xlsx).endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "类型" and {r[4] for r in rows[1:]} == {f"琮璟处罚{token}", f"琮璟许可{token}"}


async def test_export_row_cap_says_so_in_chinese_and_bad_input_is_400(client, monkeypatch):
    d = await _disclosure_data()
    monkeypatch.setenv("PORTAL_EXPORT_MAX_ROWS", "2")
    get_settings.cache_clear()
    try:
        over = await client.get("/disclosures/export/csv", params={"agency": d["provider"]["code"]})
        assert over.status_code == 400 and "超过 2 条" in over.text and "缩小范围" in over.text
        within = await client.get("/disclosures/export/csv", params={"doc": await _doc(d["ids"]["company"])})
        assert within.status_code == 200 and len(within.content.decode("utf-8-sig").strip().splitlines()) == 2
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert (await client.get("/disclosures/export/pdf")).status_code == 404
    bad = await client.get("/disclosures/export/csv", params={"from": "2026-02-30"})
    assert bad.status_code == 400 and "日期格式" in bad.text
    assert (await client.get("/disclosures/export/xlsx", params={"agency": "NO-SUCH"})).status_code == 400


async def test_one_client_cannot_keep_exporting(client, monkeypatch):
    d = await _disclosure_data()
    monkeypatch.setenv("PORTAL_EXPORT_PER_MINUTE", "6")
    monkeypatch.setenv("PORTAL_EXPORT_MAX_ROWS", "2")
    get_settings.cache_clear()
    try:
        # The page says the limit beside the links; the links are plain (no "download"), so a refusal
        # shows as a page with its reason instead of a silently failed download.
        page = await client.get("/disclosures", params={"agency": d["provider"]["code"]})
        assert "每次最多 2 条" in page.text
        assert re.findall(r'<a class="link" href="/disclosures/export/(csv|xlsx)\?[^"]*">', page.text) == [
            "csv",
            "xlsx",
        ]
        # Too many rows is refused before the rate limit: it uses up none of the burst.
        for _ in range(4):
            over = await client.get("/disclosures/export/csv", params={"agency": d["provider"]["code"]})
            assert over.status_code == 400 and "超过 2 条" in over.text
        statuses = [
            (await client.get("/disclosures/export/csv", params={"doc": "无此文号"})).status_code for _ in range(4)
        ]
        assert statuses == [200, 200, 200, 429]  # a burst of 3, then one per 10 s
        refused = await client.get("/disclosures/export/xlsx", params={"doc": "无此文号"})
        assert (
            refused.status_code == 429 and "导出过于频繁" in refused.text and int(refused.headers["retry-after"]) >= 1
        )
        assert (await client.get("/disclosures")).status_code == 200  # the page itself is not limited
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


async def test_a_name_too_common_for_the_index_is_matched_along_the_list(client, monkeypatch):
    from portal.publication import lists as public_lists

    agency = await f.agency()
    token = f.unique()[-4:]
    companies = [await f.legal_subject(f"洛阳琅璇{token}第{i}有限公司") for i in range(4)]
    entries = [await f.list_entry(c["id"], agency["id"], "red", list_name="守信激励对象") for c in companies]
    person = await f.natural_subject(name=f"琅璇{token}")
    await f.list_entry(person["id"], agency["id"], "red")
    found = {}
    for cap in (200, 2):  # the index's few subjects, then the LIKE fallback
        monkeypatch.setattr(public_lists, "NAME_IDS", cap)
        for typed in (f"琅璇{token}", f"（琅璇） {token}", f"琅璇,{token}"):  # terms read as the search box reads them
            page = await client.get("/lists/red", params={"name": typed})
            found[cap, typed] = sorted(map(int, re.findall(r'href="/lists/red/(\d+)"', page.text)))
    assert set(map(tuple, found.values())) == {tuple(sorted(entries))}  # and never the natural person
