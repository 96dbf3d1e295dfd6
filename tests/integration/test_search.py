"""Name search returns exactly the legal persons whose name contains the query, on both engines.

The PostgreSQL path for 3+ characters walks the query's rarest character pair (search/service.py),
so these tests compare every page against a brute-force scan of the same table: nothing missing,
nothing extra, no repeats, in keyset order, whatever pg_stats currently says about the pairs.
"""

from __future__ import annotations

import random

import pytest

from portal.search import service
from portal.subjects.tables import Subject, SubjectKind
from tests import factories as f

pytestmark = pytest.mark.anyio

# A small alphabet so that names share many pairs: common pairs, rare pairs and rare combinations
# of common pairs all occur.
_ALPHABET = "燚骉羴鱻毳掱"


async def _brute_force(query: str) -> list[int]:
    rows = await Subject.select(Subject.id, Subject.name).where(Subject.kind == SubjectKind.LEGAL).order_by(Subject.id)
    needle = query.lower()
    return [r["id"] for r in rows if needle in r["name"].lower()]


async def _all_pages(query: str, limit: int) -> list[int]:
    seen, cursor = [], None
    for _ in range(200):
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
    for name in names:
        await f.legal_subject(name)
    await f.natural_subject(f"燚骉羴{tag}")  # natural persons are never found by name
    if Subject._meta.db.engine_type == "postgres":
        await Subject.raw("ANALYZE subject_bigram")
    return {"tag": tag, "names": names}


def _queries(corpus) -> list[str]:
    rng = random.Random(7)
    picked = {"燚骉羴", "毳毳毳", "骉燚有限", "abc科技", "ABC科", "xyz", "XYZ" + corpus["tag"][:2], "有限公司"}
    for name in rng.sample(corpus["names"], 25):
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
        assert real.get("有限", 0) > max(0.01, real.get("燚骉", 0))
    fresh = {q: await _all_pages(q, limit=5) for q in queries}
    for fake in ({}, {"有限": 0.9, "公司": 0.9, "燚骉": 0.0001}):
        monkeypatch.setattr(service, "_gram_freq_cache", (float("inf"), fake))
        for query in queries:
            assert await _all_pages(query, limit=5) == fresh[query], (query, fake)


async def test_queries_without_pairs_use_the_window_path(corpus):
    # "燚 骉 羴" has no adjacent pair; it is a substring of no name, so nothing is found.
    assert await _all_pages("燚 骉 羴", limit=5) == await _brute_force("燚 骉 羴") == []
