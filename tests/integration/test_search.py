"""Name search returns exactly the legal persons whose name (or a former name) holds every term of
the query, then those holding a 4+ character term's characters in order, on both engines (R-17:
never a natural person).

The PostgreSQL path for 3+ characters walks the query's rarest character pair (search/service.py),
so these tests compare every page against a brute-force scan of the same table: nothing missing,
nothing extra, no repeats, in keyset order, whatever pg_stats currently says about the pairs.
"""

from __future__ import annotations

import random
from datetime import date

import pytest

from portal.lib.ngrams import search_chars
from portal.search import service
from portal.search.index import add_former_name
from portal.search.query import parse
from portal.subjects.tables import Subject, SubjectFormerName, SubjectKind
from tests import factories as f

pytestmark = pytest.mark.anyio

# A small alphabet so that names share many pairs: common pairs, rare pairs and rare combinations
# of common pairs all occur.
_ALPHABET = "燚骉羴鱻毳掱"


def _fold(text: str) -> str:
    return "".join(ch.lower() if ch.isascii() else ch for ch in text)  # both engines fold ASCII case only


def _in_order(chars: list[str], name: str) -> bool:
    it = iter(name)
    return all(ch in it for ch in chars)


async def _brute_force(query: str) -> list[int]:
    """A scan of every legal person: names (current or former) holding every term, in id order;
    then, for one term of 4+ letters/digits, the names holding its characters in order."""
    rows = await Subject.select(Subject.id, Subject.name).where(Subject.kind == SubjectKind.LEGAL).order_by(Subject.id)
    formers: dict[int, list[str]] = {}
    for r in await SubjectFormerName.select(SubjectFormerName.subject_id, SubjectFormerName.name):
        formers.setdefault(r["subject_id"], []).append(_fold(r["name"]))
    # The terms as the entry is read (spaces and typed punctuation separate them: test_search_query);
    # what is checked here is that the indexes find exactly the names holding them.
    terms = [_fold(t) for t in parse(query).terms]

    def holds(name: str) -> bool:
        return all(t in name for t in terms)

    contiguous = [r["id"] for r in rows if holds(_fold(r["name"])) or any(map(holds, formers.get(r["id"], [])))]
    if len(terms) != 1 or len(search_chars(terms[0])) < 4:
        return contiguous
    taken = set(contiguous)
    chars = list(terms[0])
    return contiguous + [r["id"] for r in rows if r["id"] not in taken and _in_order(chars, _fold(r["name"]))]


async def _all_pages(query: str, limit: int) -> list[int]:
    seen, cursor = [], None
    for _ in range(5000):  # the suite's other tests leave thousands of "有限公司" behind
        result = await service.search_subjects(query, cursor, limit=limit)
        assert result.error is None
        assert len(result.items) <= limit
        seen += [r["id"] for r in result.items]
        if not result.next_cursor:
            return seen
        cursor = result.next_cursor
    raise AssertionError("paging did not end")


@pytest.fixture(scope="module")
async def corpus(db):
    rng = random.Random(20261122)
    tag = f.unique()
    names = []
    for i in range(120):
        core = "".join(rng.choice(_ALPHABET) for _ in range(rng.randrange(3, 7)))
        names.append(f"郑州{core}{tag}商贸有限公司" if i % 3 else f"河南{core}（{tag}）ABC科技有限公司")
    names += [f"郑州XyZ{tag}信息技术有限公司", f"郑州xyz{tag}网络科技有限公司"]
    formers = []
    for i, name in enumerate(names):
        subject = await f.legal_subject(name)
        if i % 8 == 0:  # 曾用名: found like current names
            core = "".join(rng.choice(_ALPHABET) for _ in range(3))
            formers.append(f"开封{core}{tag}旧名实业公司")
            await add_former_name(subject["id"], formers[-1], date(2020, 1, 1 + i % 28))
    await f.natural_subject(f"燚骉羴{tag}")  # natural persons are never found by name
    if Subject._meta.db.engine_type == "postgres":
        await Subject.raw("ANALYZE subject_bigram")
    return {"tag": tag, "names": names, "formers": formers}


def _queries(corpus) -> list[str]:
    rng = random.Random(7)
    picked = {"燚骉羴", "毳毳毳", "骉燚有限", "abc科技", "ABC科", "xyz", "XYZ" + corpus["tag"][:2], "有限公司"}
    picked |= {
        "燚羴公司",
        "郑骉鱻商",
        "河南燚ABC",
        "燚骉 羴毳",
        "毳\u3000ABC",
        "掱_%司",
    }  # in order; terms; LIKE syntax
    for name in rng.sample(corpus["names"], 25) + corpus["formers"][:5]:
        start = rng.randrange(0, len(name) - 3)
        picked.add(name[start : start + rng.randrange(3, 8)])
    return sorted(picked)


async def test_every_page_matches_a_brute_force_scan(corpus):
    for query in _queries(corpus):
        expected = await _brute_force(query)
        got = await _all_pages(query, limit=7)
        assert got == expected, query


async def test_results_do_not_depend_on_pair_statistics(corpus, monkeypatch):
    """Stale or missing statistics (a new database, an ANALYZE not yet run) change the pair the
    PostgreSQL walk starts from, never the answer."""
    queries = _queries(corpus)[:12]
    if Subject._meta.db.engine_type == "postgres":
        service._gram_freq_cache = (float("-inf"), {})
        real = await service._gram_freq()  # pg_stats after the fixture's ANALYZE
        assert real.get("有限", 0) > max(0.001, real.get("燚骉", 0))  # a common pair, whatever ran before
    fresh = {q: await _all_pages(q, limit=5) for q in queries}
    for fake in ({}, {"有限": 0.9, "公司": 0.9, "燚骉": 0.0001}):
        monkeypatch.setattr(service, "_gram_freq_cache", (float("inf"), fake))
        for query in queries:
            assert await _all_pages(query, limit=5) == fresh[query], (query, fake)


async def test_terms_separated_by_spaces_must_all_match(corpus):
    # Also single characters without any pair between them, and the full-width space U+3000.
    for query in (
        "燚 骉 羴",
        "燚\u3000毳",
        f"郑州 {corpus['tag']}",
        "abc 燚",
        f"开封 {corpus['tag']}",
        "旧名 燚",
        "有限 燚",
        "鱻 掱 毳 燚",
    ):
        expected = await _brute_force(query)
        assert expected, query  # the corpus holds matches for each
        assert await _all_pages(query, limit=5) == expected, query
    assert await _all_pages(f"燚骉 {corpus['tag']}不存在", limit=5) == []


async def test_the_first_page_counts_what_the_pages_list(corpus):
    """The count (from the index alone where it is exact) is the number of rows every page lists;
    "N+" only where the in-order matches after a full page of contiguous ones are not counted."""
    for query in _queries(corpus) + ["有限", "公司", "商贸有限", "旧名"]:
        expected = await _brute_force(query)
        first = await service.search_subjects(query, limit=5)
        if first.in_order_uncounted and len(first.items) < 5:  # the walk's budget ended: pages go on
            assert first.total == len(first.items) <= len(expected) and first.next_cursor, query
        elif first.total_more:
            assert first.total <= len(expected) and len(first.items) == 5, query
        else:
            assert first.total == min(len(expected), 1001), query


async def test_the_in_order_walk_resumes_where_its_budget_ends(corpus, monkeypatch):
    """A walk that stops at its budget (the rarest character's n-th holder) continues on the next
    page: all pages together are still the brute-force answer. The corpus is too small to reach
    the real budget, so it is made tiny here."""
    monkeypatch.setattr(service, "SUBSEQUENCE_BUDGET", 2)
    queries = [q for q in _queries(corpus) if len(q.split()) == 1 and len(search_chars(q)) >= 4]
    assert len(queries) > 10
    for query in queries:
        assert await _all_pages(query, limit=4) == await _brute_force(query), query
