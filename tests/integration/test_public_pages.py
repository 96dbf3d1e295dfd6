"""Public journey over HTTP: search, profile tabs, 双公示, lists, API (issue 2 §4–7)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from tests import factories as f

pytestmark = pytest.mark.anyio


async def test_home_renders_in_chinese_with_csp(client):
    response = await client.get("/")
    assert response.status_code == 200
    assert "公共信用信息查询" in response.text
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in response.text and " style=" not in response.text


def _plain(response) -> str:
    """The page without the search highlighting (<mark>), as a reader sees the names."""
    return re.sub("</?mark>", "", response.text)


async def test_two_character_search_finds_name_and_pages_by_keyset(client):
    provider = await f.agency()
    token = f.unique()[-2:]  # not used as the search term; keeps names distinct
    names = [f"郑州鑫淼{token}{i}号商贸有限公司" for i in range(25)]
    for name in names:
        await f.legal_subject(name)
    first = await client.get("/search", params={"q": "鑫淼"}, headers={"HX-Request": "true"})
    assert first.status_code == 200
    assert "<html" not in _plain(first)  # a fragment for htmx
    assert _plain(first).count("鑫淼") >= 20
    assert "加载更多" in _plain(first)
    cursor = _plain(first).split("cursor=")[1].split('"')[0]
    second = await client.get("/search", params={"q": "鑫淼", "cursor": cursor}, headers={"HX-Request": "true"})
    shown = {n for n in names if n in _plain(first)} | {n for n in names if n in _plain(second)}
    assert shown == set(names)
    assert provider  # agency created so the data set resembles reality


async def test_three_character_and_uscc_search(client):
    subject = await f.legal_subject(f"河南垚犇{f.unique()}科技有限公司")
    by_name = await client.get("/search", params={"q": "垚犇"})
    assert subject["name"] in _plain(by_name)
    by_code = await client.get("/search", params={"q": subject["uscc"].lower()})
    assert subject["name"] in _plain(by_code)
    longer = await client.get("/search", params={"q": subject["name"][2:7]})
    assert subject["name"] in _plain(longer)
    one_char = await client.get("/search", params={"q": "垚"})
    assert subject["name"] in _plain(one_char)
    punctuation = await client.get("/search", params={"q": "（）"})
    assert "请输入企业名称中的文字" in _plain(punctuation)


async def test_natural_persons_are_not_searchable_by_name(client):
    person = await f.natural_subject(name="闫测犇")
    response = await client.get("/search", params={"q": "闫测犇"})
    assert "闫测犇" not in response.text.split("查询结果")[-1]
    assert person["id_number"] not in response.text


async def test_profile_tabs_full_page_and_fragment(client):
    provider = await f.agency()
    subject = await f.legal_subject()
    await f.record(
        subject["id"],
        provider["id"],
        record_type="penalty",
        category="penalty",
        polarity="negative",
        title="未按规定公示年度报告被罚款",
        publicity_end=date.today() + timedelta(days=300),
        decision_date=date.today() - timedelta(days=30),
        detail={"violation_facts": "逾期未公示", "fine_amount": 1},
    )
    page = await client.get(f"/subjects/{subject['uscc']}")
    assert page.status_code == 200 and subject["name"] in page.text and "基本信息" in page.text
    fragment = await client.get(f"/subjects/{subject['uscc']}/penalty", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text
    assert "未按规定公示年度报告被罚款" in fragment.text and "逾期未公示" in fragment.text
    full = await client.get(f"/subjects/{subject['uscc']}/penalty")
    assert "<html" in full.text and "未按规定公示年度报告被罚款" in full.text
    assert (await client.get("/subjects/91410105MA0000000X")).status_code == 404
    assert (await client.get(f"/subjects/{subject['uscc']}/secret")).status_code == 404


async def test_disclosures_filter_by_type_agency_and_date(client):
    provider, other = await f.agency(), await f.agency()
    subject = await f.legal_subject()
    day = date(2026, 3, 3)
    await f.record(
        subject["id"],
        provider["id"],
        record_type="license",
        category="license",
        polarity="neutral",
        title="食品经营许可证核发",
        decision_date=day,
    )
    await f.record(
        subject["id"],
        other["id"],
        record_type="penalty",
        category="penalty",
        polarity="negative",
        title="违反价格法处罚",
        decision_date=day,
        publicity_end=date.today() + timedelta(days=100),
    )
    r = await client.get(
        "/disclosures", params={"type": "license", "agency": provider["code"], "from": "2026-03-01", "to": "2026-03-05"}
    )
    assert "食品经营许可证核发" in r.text and "违反价格法处罚" not in r.text
    r = await client.get("/disclosures", params={"type": "penalty", "agency": other["code"]})
    assert "违反价格法处罚" in r.text and "食品经营许可证核发" not in r.text
    bad = await client.get("/disclosures", params={"from": "2026-03-05", "to": "2026-03-01"})
    assert bad.status_code == 400 and "起始日期不能晚于截止日期" in bad.text


async def test_publication_windows_hide_expired_penalties_and_old_dishonesty(client):
    provider = await f.agency()
    subject = await f.legal_subject()
    today = date.today()
    await f.record(
        subject["id"],
        provider["id"],
        record_type="penalty",
        category="penalty",
        polarity="negative",
        title="公示期已满的处罚",
        publicity_end=today - timedelta(days=1),
        decision_date=today - timedelta(days=400),
    )
    await f.record(
        subject["id"],
        provider["id"],
        category="tax_violation",
        polarity="negative",
        title="六年前结束的欠税",
        act_end_date=today - timedelta(days=6 * 366),
        decision_date=today - timedelta(days=7 * 366),
    )
    await f.record(
        subject["id"],
        provider["id"],
        category="tax_violation",
        polarity="negative",
        title="四年前结束的欠税",
        act_end_date=today - timedelta(days=4 * 365),
        decision_date=today - timedelta(days=5 * 366),
    )
    penalty = await client.get(f"/subjects/{subject['uscc']}/penalty")
    negative = await client.get(f"/subjects/{subject['uscc']}/negative")
    assert "公示期已满的处罚" not in penalty.text
    assert "六年前结束的欠税" not in negative.text
    assert "四年前结束的欠税" in negative.text


async def test_lists_pages(client):
    provider = await f.agency()
    subject = await f.legal_subject()
    person = await f.natural_subject(name="赵测名")
    # Listed today: the newest come first, so other tests' entries cannot push these off page 1.
    await f.list_entry(subject["id"], provider["id"], "red", list_name="A级纳税人", listed_on=date.today())
    await f.list_entry(person["id"], provider["id"], "black", list_name="失信被执行人", listed_on=date.today())
    red = await client.get("/lists/red")
    assert subject["name"] in red.text
    black = await client.get("/lists/black")
    assert "赵测名" in black.text and person["id_number"] not in black.text
    assert person["id_number"][:4] + "**********" + person["id_number"][-4:] in black.text
    assert (await client.get("/lists/grey")).status_code == 404


async def test_public_api(client):
    provider = await f.agency()
    subject = await f.legal_subject(f"郑州淼鑫{f.unique()}物流有限公司")
    await f.record(
        subject["id"],
        provider["id"],
        record_type="license",
        category="license",
        polarity="neutral",
        title="道路运输经营许可",
        decision_date=date(2026, 5, 5),
    )
    r = await client.get("/api/v1/public/subjects", params={"q": subject["name"]})
    assert r.status_code == 200
    assert r.json()["items"][0]["uscc"] == subject["uscc"]
    detail = (await client.get(f"/api/v1/public/subjects/{subject['uscc']}")).json()
    assert detail["name"] == subject["name"]
    assert any(rec["title"] == "道路运输经营许可" and rec["detail"]["project_name"] for rec in detail["records"])
    feed = (await client.get("/api/v1/public/disclosures", params={"type": "license", "since": "2026-05-05"})).json()
    assert all(item["decision_date"] >= "2026-05-05" for item in feed["items"])
    missing = await client.get("/api/v1/public/subjects/91410105MA0000000X")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    junk = await client.get("/api/v1/public/subjects", params={"q": "（）"})
    assert junk.status_code == 400 and "请输入企业名称中的文字" in junk.json()["error"]["message"]
    schema = await client.get("/schema/openapi.json")
    assert "/api/v1/public/disclosures" in schema.json()["paths"]


async def test_disclosure_paging_merges_types_without_gaps_or_repeats(client):
    from portal.publication.service import disclosures

    provider = await f.agency()
    subject = await f.legal_subject()
    expected = []
    for i in range(13):
        record_type = "license" if i % 3 else "penalty"
        day = date(2026, 1, 1) + timedelta(days=i // 2)  # pairs share a day: the id breaks ties
        rid = await f.record(
            subject["id"],
            provider["id"],
            record_type=record_type,
            category=record_type,
            polarity="neutral" if record_type == "license" else "negative",
            title=f"第{i}号决定",
            decision_date=day,
            publicity_end=date.today() + timedelta(days=30),
        )
        expected.append((day, rid))
    for ascending in (False, True):
        seen, cursor = [], None
        while True:
            page = await disclosures(provider_id=provider["id"], cursor=cursor, limit=3, ascending=ascending)
            seen += [(r["decision_date"], r["id"]) for r in page.items]
            if not page.next_cursor:
                break
            cursor = page.next_cursor
        assert seen == sorted(expected, reverse=not ascending)
    feed, cursor = [], None
    while True:
        body = (
            await client.get(
                "/api/v1/public/disclosures",
                params={"since": "2026-01-01", "limit": 4, **({"cursor": cursor} if cursor else {})},
            )
        ).json()
        feed += [item["id"] for item in body["items"] if item["provider"] == provider["name"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert feed == [rid for _, rid in sorted(expected)]


async def test_filter_form_with_empty_dates_and_bad_dates(client):
    ok = await client.get("/disclosures", params={"type": "penalty", "agency": "", "from": "", "to": ""})
    assert ok.status_code == 200
    bad = await client.get("/disclosures", params={"from": "2026-13-01"})
    assert bad.status_code == 400 and "起始日期格式应为" in bad.text
    unknown = await client.get("/disclosures", params={"agency": "NO-SUCH"})
    assert unknown.status_code == 400 and "未知的部门代码" in unknown.text


async def test_history_restore_gets_the_whole_page(client):
    subject = await f.legal_subject()
    restore = await client.get(
        f"/subjects/{subject['uscc']}/penalty", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restore.text and "信用信息栏目" in restore.text


async def test_host_with_port_is_accepted_and_foreign_host_refused(app):
    from litestar.testing import AsyncTestClient

    async with AsyncTestClient(app=app, base_url="http://127.0.0.1:8000") as local:
        assert (await local.get("/healthz")).status_code == 200
    async with AsyncTestClient(app=app, base_url="http://evil.example:8000") as evil:
        refused = await evil.get("/healthz")
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_host"


async def test_three_character_search_pages_exactly_through_many_matches():
    from portal.search.service import search_subjects

    token = "犇鑫垚"
    names = {f"郑州{token}{f.unique()}实业有限公司" for _ in range(45)}
    for name in names:
        await f.legal_subject(name)
    seen, cursor = [], None
    while True:
        result = await search_subjects(token, cursor, limit=20)
        seen += [r["name"] for r in result.items]
        if not result.next_cursor:
            break
        cursor = result.next_cursor
    assert sorted(seen) == sorted(names) and len(seen) == len(set(seen))
    few = await search_subjects(sorted(names)[0][2:9])  # one match: the sparse path
    contiguous = [r["name"] for r in few.items if r["id"] not in few.fallback_ids]
    assert contiguous == [sorted(names)[0]]  # then names holding its characters in order, if any


@pytest.mark.parametrize("path", ["/", "/disclosures", "/lists/red", "/api/v1/public/disclosures", "/healthz", "/help"])
async def test_head_is_the_get_without_its_body(client, path):
    """Uptime monitors and link checkers send HEAD: the GET's status and headers, no body (RFC 9110)."""
    got = await client.get(path)
    head = await client.head(path)
    assert head.status_code == got.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-security-policy"] == got.headers["content-security-policy"]
    assert (await client.head("/no-such-page")).status_code == 404


async def test_a_malformed_parameter_page_says_which_parameter(client):
    """A hand-edited or truncated link: the 400 page names the parameter, as the API's error does."""
    for params, key in (({"type": "foo"}, "type"), ({"cursor": "!!!"}, "cursor")):
        page = await client.get("/disclosures", params=params)
        assert page.status_code == 400 and f"参数 {key} 有误" in page.text and "<h1" in page.text
