"""Search people can use: in-order fallback, USCC prefixes, check-character errors, the bounded
count, highlighting, the R-17 notice and former names (曾用名), over HTTP and on both engines.
Name-term equivalence with a brute-force scan is in test_search.py."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest

from portal.lib import id_number
from portal.lib import uscc as uscc_rules
from portal.search import service
from portal.search.index import add_former_name, index_subjects
from portal.search.query import parse
from portal.subjects.tables import Subject, SubjectKind
from tests import factories as f

pytestmark = pytest.mark.anyio
HX = {"HX-Request": "true"}


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


async def test_four_characters_fall_back_to_their_characters_in_order_after_contiguous_matches(client):
    tag = f.unique()
    spread = await f.legal_subject(f"郑州市金水区韵宇{tag}科技有限公司")
    contiguous = await f.legal_subject(f"郑州韵宇{tag}网络有限公司")  # a larger id, still listed first
    result = await service.search_subjects(f"郑州韵宇{tag}")
    assert [r["id"] for r in result.items] == [contiguous["id"], spread["id"]]  # contiguous first
    assert result.fallback_ids == {spread["id"]} and result.total == 2
    counted = await client.get("/search", params={"q": f"郑州韵宇{tag}"}, headers=HX)
    assert "共找到 2 个主体（含按字序匹配的结果，排在完整匹配之后）" in _text(counted.text)
    result = await service.search_subjects("郑州韵宇")
    ids = [r["id"] for r in result.items]
    assert contiguous["id"] in ids and spread["id"] in ids
    assert ids.index(contiguous["id"]) < ids.index(spread["id"])
    assert spread["id"] in result.fallback_ids and contiguous["id"] not in result.fallback_ids
    page = await client.get("/search", params={"q": "金水韵宇"}, headers=HX)
    assert spread["name"] in _text(page.text)
    assert "<mark>金水</mark>区<mark>韵宇</mark>" in page.text  # the matched characters, in order
    # Three characters never fall back (too loose); a query of unrelated characters finds nothing.
    assert spread["id"] not in [r["id"] for r in (await service.search_subjects("郑韵宇")).items]
    assert (await service.search_subjects(f"宇韵州郑{tag}")).items == []


async def _walk(query: str, limit: int) -> list[dict]:
    seen, cursor = [], None
    for _ in range(500):
        result = await service.search_subjects(query, cursor, limit=limit)
        assert result.error is None
        seen += result.items
        if not result.next_cursor:
            return seen
        cursor = result.next_cursor
    raise AssertionError("paging did not end")


async def test_a_uscc_prefix_of_six_or_more_characters_lists_the_codes_starting_with_it():
    subjects = [await f.legal_subject() for _ in range(5)]
    await f.natural_subject()
    rows = await Subject.select(Subject.uscc).where(Subject.kind == SubjectKind.LEGAL)
    for prefix in (subjects[0]["uscc"][:6], subjects[1]["uscc"][:10], subjects[2]["uscc"][:17].lower()):
        expected = sorted(r["uscc"] for r in rows if r["uscc"].startswith(prefix.upper()))
        got = await _walk(prefix, limit=7)
        assert [r["uscc"] for r in got] == expected, prefix
        first = await service.search_subjects(prefix)
        assert first.mode == "uscc_prefix"
        assert first.total == min(len(expected), 1001)
    assert (await service.search_subjects(subjects[0]["uscc"][:5])).mode != "uscc_prefix"  # too short


async def test_a_full_code_with_a_wrong_check_character_says_so(client):
    subject = await f.legal_subject()
    code = subject["uscc"]
    wrong = code[:17] + next(c for c in uscc_rules.CHARSET if c != code[17])
    result = await service.search_subjects(wrong)
    assert result.error and "校验位错误" in result.error and not result.items
    page = await client.get("/search", params={"q": wrong.lower()})
    assert page.status_code == 400 and "校验位错误" in page.text and "未找到" not in page.text
    # The message sits under the search field and is linked to it (WCAG 3.3.1)
    assert 'aria-invalid="true" aria-describedby="q-error"' in page.text and '<p id="q-error"' in page.text
    htmx = await client.get(
        "/search", params={"q": wrong}, headers={"HX-Request": "true", "HX-Current-URL": "http://testserver.local/"}
    )
    assert htmx.status_code == 400 and htmx.headers["HX-Inline-Error"] == "1"
    assert '<div id="q-field" class="min-w-0 flex-1" hx-swap-oob="true">' in htmx.text and "py-3 text-lg" in htmx.text
    api = await client.get("/api/v1/public/subjects", params={"q": wrong})
    assert api.status_code == 400 and "校验位错误" in api.text
    assert (await service.search_subjects(code)).items[0]["id"] == subject["id"]


async def test_the_count_is_exact_up_to_1000_then_1000_plus(client):
    tag = f.unique()
    now = datetime.now(timezone.utc)
    rows = [
        Subject(
            kind="legal",
            subject_type="enterprise",
            name=f"洛阳{tag}龘靐{i}商行",
            uscc=f.new_uscc(),
            created_at=now,
            updated_at=now,
        )
        for i in range(1001)
    ]
    await Subject.insert(*rows)
    made = await Subject.select(Subject.id, Subject.name).where(Subject.name.like(f"洛阳{tag}%"))
    await index_subjects([(r["id"], r["name"]) for r in made])
    many = await client.get("/search", params={"q": f"{tag}龘靐"}, headers=HX)
    assert "共找到 1,000+ 个主体" in many.text
    # Two terms: no in-order fallback, so the count is the contiguous matches alone.
    exact = await client.get("/search", params={"q": f"{tag}龘靐99 商行"}, headers=HX)  # 99, 990–999
    assert "共找到 11 个主体" in exact.text
    result = await service.search_subjects(f"{tag}龘靐1 商行")  # 1, 10–19, 100–199, 1000
    assert result.total == 112 and not result.total_more


async def test_matched_characters_are_highlighted_and_names_escaped(client):
    tag = f.unique()
    subject = await f.legal_subject(f"<script>alert({tag})</script>燚骉有限公司")
    page = await client.get("/search", params={"q": f"alert({tag})"}, headers=HX)
    # Brackets separate terms (half-width ones are typed for the registered full-width): each marked.
    assert f"&lt;script&gt;<mark>alert</mark>(<mark>{tag}</mark>)&lt;/script&gt;" in page.text
    assert "<script>" not in page.text
    assert subject["uscc"] in page.text


async def test_names_and_id_numbers_of_people_explain_r17_and_never_list_a_person(client):
    person = await f.natural_subject(name="韩燚骉")
    page = await client.get("/search", params={"q": "韩燚骉"})
    assert "不按姓名或身份证号码公开查询自然人" in page.text
    assert person["id"] not in [r["id"] for r in (await service.search_subjects("韩燚骉")).items]
    assert "韩燚骉" not in page.text.split("查询结果")[-1]
    by_number = await client.get("/search", params={"q": person["id_number"]}, headers=HX)
    assert "不按姓名或身份证号码公开查询自然人" in by_number.text
    assert person["id_number"] not in by_number.text  # never shown back
    whole_page = await client.get("/search", params={"q": person["id_number"]})  # nor by the page's forms
    assert "不按姓名或身份证号码公开查询自然人" in whole_page.text and person["id_number"] not in whole_page.text
    # 18 digits that are a valid ID number and, by chance, a valid USCC nobody has: still a person's.
    both = next(
        n
        for n in (id_number.make("410105", date(1980, 1, 1), f"{i:03d}") for i in range(1000))
        if uscc_rules.is_valid(n)
    )
    answer = await client.get("/search", params={"q": both}, headers=HX)
    assert "不按姓名或身份证号码公开查询自然人" in answer.text and both not in answer.text
    company = await service.search_subjects("韩燚骉科技有限公司")
    assert company.notice is None


async def test_former_names_are_searchable_and_shown(client):
    tag = f.unique()
    subject = await f.legal_subject(f"郑州新名{tag}科技有限公司")
    await add_former_name(subject["id"], f"郑州旧称{tag}商贸有限公司", date(2019, 5, 6))
    await add_former_name(subject["id"], f"河南老号{tag}实业", date(2021, 3, 1))
    for query in (f"旧称{tag}", f"老号{tag}", f"老号 {tag}", "旧称", f"新名{tag}"):
        assert subject["id"] in [r["id"] for r in await _walk(query, limit=50)], query
    page = await client.get("/search", params={"q": f"旧称{tag}"}, headers=HX)
    assert f"曾用名：郑州<mark>旧称{tag}</mark>商贸有限公司、河南老号{tag}实业" in page.text
    profile = await client.get(f"/subjects/{subject['uscc']}")
    assert f"郑州旧称{tag}商贸有限公司（2019-05-06 变更）" in profile.text
    # Both words of one query must sit in the same name, current or former.
    assert subject["id"] not in [r["id"] for r in await _walk(f"新名 老号{tag}", limit=50)]


async def test_a_name_typed_with_other_brackets_or_quotes_is_found(client):
    tag = f.unique()[-5:]
    subject = await f.legal_subject(f"河南麟庆{tag}服饰合伙企业（有限合伙）")
    for typed in (f"河南麟庆{tag}服饰合伙企业(有限合伙)", f"“麟庆{tag}”", f"麟庆{tag}。"):
        page = await client.get("/search", params={"q": typed}, headers=HX)
        assert subject["uscc"] in page.text, typed


async def test_a_count_the_in_order_walk_left_open_says_so(client, monkeypatch):
    """Where the walk's budget ends, the count is what was found so far and the words say the pages
    go on — not "8+" over pages of 8, 4, 7 rows."""
    tag = f.unique()[-5:]
    for i in range(6):
        await f.legal_subject(f"郑州{i}市金水区韵宇{tag}科技有限公司")
    monkeypatch.setattr(service, "SUBSEQUENCE_BUDGET", 2)  # the six names' rarest character: six holders
    result = await service.search_subjects(f"金水韵宇{tag}")
    assert result.in_order_uncounted and result.total < 6 and result.next_cursor
    page = await client.get("/search", params={"q": f"金水韵宇{tag}"}, headers=HX)
    assert f"已找到 {result.total} 个主体（含按字序匹配的结果），点击“加载更多”继续查找" in _text(page.text)


async def test_the_person_notice_is_not_shown_above_a_page_of_organisations(client):
    """金水 reads like a surname and a given name, and is a district: over a page of organisations
    holding it, the R-17 notice would only mislead. A name few or no organisations hold keeps it."""
    tag = f.unique()[-4:]
    surname_like = "韩燚"  # a surname first, no organisation word: looks like a person
    for i in range(21):
        await f.legal_subject(f"郑州{surname_like}{tag}第{i}商贸有限公司")
    assert parse(surname_like).person_like
    many = await client.get("/search", params={"q": surname_like}, headers=HX)
    assert "不按姓名或身份证号码公开查询自然人" not in many.text and "加载更多" in many.text
    few = await client.get("/search", params={"q": "韩燚骉"}, headers=HX)
    assert "不按姓名或身份证号码公开查询自然人" in few.text
