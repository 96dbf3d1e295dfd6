"""Public pages over HTTP: what history, accessibility and phones need from the server
(restoring loaded rows, in-place form errors, one live region, an h1 on error pages, table labels)."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests import factories as f

pytestmark = pytest.mark.anyio

HTMX = {"HX-Request": "true"}


def _rows(html: str, marker: str) -> list[str]:
    html = html.replace("<mark>", "").replace("</mark>", "")  # the matched characters are highlighted
    return re.findall(rf'href="/subjects/[0-9A-Z]+">([^<]*{marker}[^<]*)</a>', html)


async def test_shown_restores_every_loaded_row_and_load_more_pushes_it(client):
    token = "琮璋"
    names = [f"郑州{token}{i:02d}号商贸有限公司" for i in range(45)]
    for name in names:
        await f.legal_subject(name)
    first = await client.get("/search", params={"q": token}, headers=HTMX)
    assert len(_rows(first.text, token)) == 20
    href = re.search(r'hx-get="(/search\?[^"]+)"', first.text).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(href).query)["shown"] == ["20"]

    second = await client.get(href, headers=HTMX)
    assert len(_rows(second.text, token)) == 20
    pushed = urlsplit(second.headers["hx-push-url"])
    assert pushed.path == "/search" and parse_qs(pushed.query) == {"q": [token], "shown": ["40"]}
    assert json.loads(second.headers["hx-trigger"]) == {"announce": "已加载更多，共显示 40 条结果"}

    # A fresh load of the pushed URL (Back from a profile) renders all 40 rows and the way on.
    restored = await client.get(second.headers["hx-push-url"])
    assert restored.status_code == 200 and "<html" in restored.text
    assert _rows(restored.text, token) == names[:40]
    assert "加载更多" in restored.text
    everything = await client.get("/search", params={"q": token, "shown": 45})
    assert _rows(everything.text, token) == names and "加载更多" not in everything.text


async def test_shown_is_bounded(client):
    for value in ("0", "201", "x"):
        response = await client.get("/search", params={"q": "郑州", "shown": value})
        assert response.status_code == 400, value


async def test_bad_date_range_is_shown_beside_its_fields(client):
    params = {"from": "2026-02-01", "to": "2026-01-01"}
    page = await client.get("/disclosures", params=params)
    assert page.status_code == 400
    assert '<h1 class="text-2xl font-bold text-brand-800">双公示' in page.text  # the form page, not an error page
    field = re.search(r'<input type="date" id="date-from"[^>]*>', page.text).group(0)
    assert 'aria-invalid="true"' in field and 'aria-describedby="date-from-error"' in field
    assert '<p id="date-from-error" class="field-error">起始日期不能晚于截止日期</p>' in page.text
    assert 'value="2026-02-01"' in field

    fragment = await client.get("/disclosures", params=params, headers=HTMX)
    assert fragment.status_code == 400 and fragment.headers["hx-inline-error"] == "1"
    assert "<html" not in fragment.text
    assert 'id="date-fields" class="contents" hx-swap-oob="true"' in fragment.text
    assert 'id="date-from-error"' in fragment.text

    bad_format = await client.get("/disclosures", params={"to": "2026-13-01"}, headers=HTMX)
    assert bad_format.status_code == 400 and 'id="date-to-error"' in bad_format.text


async def test_pages_have_one_live_region_and_error_pages_an_h1(client):
    for path in ("/", "/search?q=郑州", "/disclosures", "/lists/red"):
        response = await client.get(path)
        assert response.text.count("aria-live") == 1, path
        assert len(re.findall(r"<h1\b", response.text)) == 1, path
    missing = await client.get("/subjects/NOSUCHCODE")
    assert missing.status_code == 404
    assert re.search(r"<h1[^>]*>页面不存在（404）</h1>", missing.text)


async def test_data_tables_label_their_cells_for_phones(client):
    subject = await f.legal_subject(f"河南瑄玥{f.unique()}科技有限公司")
    agency = await f.agency()
    await f.record(subject["id"], agency["id"], record_type="penalty", category="penalty", polarity="negative")
    await f.list_entry(subject["id"], agency["id"], "black")
    for path, labels in (
        ("/disclosures", ["类型", "行政相对人", "代码", "决定内容", "决定机关", "决定日期"]),
        ("/lists/black", ["主体", "代码", "名单类别", "认定单位", "列入日期", "有效期至", "详情"]),
    ):
        html = (await client.get(path)).text
        assert '<table class="cards' in html, path
        first_row = html.split("<tbody", 1)[1].split("</tr>", 1)[0]
        assert re.findall(r'data-label="([^"]+)"', first_row) == labels, path
