"""Public subject search (R-17: legal persons only): a USCC, a USCC prefix, or name terms.

- an 18-character valid USCC → unique index; 18 code characters with a wrong check character →
  say so; a 6+ character code prefix → range scan of the unique index, in code order;
- name terms (split at spaces, full-width too) must all occur in the name or in one former name
  (曾用名); candidates come from the trigram/short-gram indexes (portal/search/sql.py);
- a single term of 4+ characters also finds names holding its characters in order (郑州韵宇 →
  郑州市金水区韵宇…), listed after every contiguous match.
Results come in subject-id order so that paging is a keyset (``id > cursor``), never OFFSET.
The count is exact up to COUNT_CAP and bounded, never a scan of all matches; it comes from the
index alone where the index is exact (portal/search/sql.count_ids). After a full page of contiguous
matches the in-order ones are not counted (shown "N+"); the in-order walk only fills short pages.
Only legal persons are searched (natural persons are not listed by name, R-17).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from portal.lib import id_number
from portal.lib.params import InputError, decode_tagged_id_cursor, encode_cursor
from portal.search import query as q
from portal.search import sql
from portal.search.query import MAX_QUERY_CHARS
from portal.search.reads import fetch
from portal.subjects.tables import Subject, SubjectFormerName, SubjectKind

__all__ = ["SearchResult", "search_subjects", "legal_ids_by_name", "former_names", "MAX_QUERY_CHARS", "COUNT_CAP"]

S = Subject
_COLUMNS = (
    S.id,
    S.name,
    S.uscc,
    S.subject_type,
    S.legal_representative,
    S.registration_status,
    S.established_on,
    S.address,
)
_SELECT = ", ".join(f"s.{column._meta.db_column_name}" for column in _COLUMNS)
COUNT_CAP = 1000
SUBSEQUENCE_BUDGET = 400
"""How far one request's in-order walk goes: its first 400 candidates (names holding the term's
rarest character, from the index); a longer walk continues on the next page (the cursor
remembers where it stopped)."""
_FALLBACK = "f"
_PREFIX = "u"


@dataclass
class SearchResult:
    query: str
    items: list[dict]
    next_cursor: str | None = None
    error: str | None = None
    notice: str | None = None
    mode: str = ""
    terms: tuple[str, ...] = ()
    total: int | None = None
    """Matches counted on the first page, at most COUNT_CAP + 1 (shown as "1,000+")."""
    total_more: bool = False
    """The count stopped early (over COUNT_CAP, or the in-order walk's budget)."""
    fallback_ids: set[int] = field(default_factory=set)
    """Items found by their characters in order, not as one piece."""
    in_order_uncounted: bool = False
    """In-order matches may follow that the count does not hold: after a full first page of
    contiguous ones (only those are counted; whether any follow is not known until the pages get
    there), or where the walk's budget ended (the pages go on)."""


def _engine() -> str:
    return S._meta.db.engine_type


async def search_subjects(
    query: str | None, cursor: str | None = None, limit: int = 20, min_chars: int = 1
) -> SearchResult:
    parsed = q.parse(query)
    tag, after = decode_tagged_id_cursor(cursor, (_FALLBACK, _PREFIX))
    result = SearchResult(query=parsed.text, items=[], terms=parsed.terms)
    if parsed.kind == "empty":
        return result
    if parsed.kind == "uscc":
        result.items = await fetch(
            f"SELECT {_SELECT} FROM subject s WHERE s.uscc = {{}} AND s.kind = {{}}", parsed.code, SubjectKind.LEGAL
        )
        result.mode, result.total = "uscc", len(result.items)
        if not result.items and id_number.is_valid(parsed.code):
            parsed = q.Query(text=parsed.text, kind="id_number")  # 18 digits valid as both: a person's
        else:
            return result
    if parsed.kind == "id_number":
        result.notice = q.PERSON_NOTICE  # never a look-up by ID number in public
        result.query = ""  # and never shown back
        return result
    if parsed.kind == "bad_check":
        result.error = q.CHECK_CHAR_ERROR
        return result
    if parsed.kind == "uscc_prefix" and (tag == _PREFIX or (not cursor and await _prefix_exists(parsed.code))):
        return await _by_prefix(result, parsed.code, after, limit, first=not cursor)
    if tag == _PREFIX:
        raise InputError("cursor", "翻页参数无效，请重新查询")
    if len(q.search_chars(parsed.text)) < min_chars or not any(q.term_grams(t) for t in parsed.terms):
        result.error = q.NO_TEXT_ERROR
        return result
    await _by_name(result, parsed, tag, after, limit, first=not cursor)
    # a name that looks like a person's is told why no person is listed (legal persons with
    # it still are) — not above a page and more of organisations (金水, 高新: places and brands).
    if parsed.person_like and not (result.total and result.total > limit):
        result.notice = q.PERSON_NOTICE
    return result


async def legal_ids_by_name(text: str, cap: int = COUNT_CAP) -> list[int] | None:
    """Ids of the legal persons whose name or a former name holds every term of ``text``, found
    through the name indexes as the search page finds them; None when more than ``cap`` match (a
    filter that broad is no filter). Natural persons are never found by name (R-17)."""
    terms = q.parse(text).terms  # as the search box reads them (typed punctuation separates)
    if not terms or not any(q.term_grams(t) for t in terms):
        return []
    engine = _engine()
    freq = await _gram_freq() if engine == "postgres" else {}
    ids = await _ids(sql.name_ids(engine, terms, 0, cap + 1, freq))
    return None if len(ids) > cap else ids


async def _prefix_exists(code: str) -> bool:
    return bool(await fetch("SELECT 1 FROM subject WHERE uscc >= {} AND uscc < {} LIMIT 1", code, code + "~"))


async def _by_prefix(result: SearchResult, code: str, after: int, limit: int, first: bool) -> SearchResult:
    # Codes use 0-9 and A-Y only, so [code, code + "~") is exactly "starts with code" in any collation
    # that orders ASCII by code point, and the unique index on uscc answers it as a range scan.
    start = "(SELECT uscc FROM subject WHERE id = {})" if after else "{}"
    rows = await fetch(
        f"SELECT {_SELECT} FROM subject s WHERE s.uscc >= {{}} AND s.uscc > {start} AND s.uscc < {{}} "
        "AND s.kind = 'legal' ORDER BY s.uscc LIMIT {}",
        code,
        after if after else "",
        code + "~",
        limit + 1,
    )
    if first:
        counted = await fetch(
            "SELECT count(*) AS n FROM (SELECT 1 FROM subject WHERE uscc >= {} AND uscc < {} LIMIT {}) c",
            code,
            code + "~",
            COUNT_CAP + 1,
        )
        result.total = counted[0]["n"]
        result.total_more = result.total > COUNT_CAP
    result.mode, result.items = "uscc_prefix", rows[:limit]
    if len(rows) > limit:
        result.next_cursor = encode_cursor(_PREFIX, rows[limit - 1]["id"])
    return result


async def _ids(sql_args: tuple[str, list]) -> list[int]:
    # One row with all ids (up to COUNT_CAP + 1 of them for the count): a thousand result rows
    # would cost more to hand over than the index walk itself.
    text, args = sql_args
    agg = "string_agg(id::text, ',' ORDER BY id)" if _engine() == "postgres" else "group_concat(id)"
    rows = await fetch(f"SELECT {agg} AS ids FROM ({text}) x", *args)
    return _joined_ids(rows[0]["ids"] if rows else None)


def _joined_ids(joined: str | None) -> list[int]:
    """Ids aggregated into one comma-separated value, in id order."""
    return sorted(int(i) for i in joined.split(",")) if joined else []


async def _by_name(result: SearchResult, parsed: q.Query, tag: str, after: int, limit: int, first: bool) -> None:
    engine = _engine()
    freq = await _gram_freq() if engine == "postgres" else {}
    cap = COUNT_CAP + 1
    found: list[tuple[int, bool]] = []  # (id, by the in-order fallback)
    rows: dict[int, dict] = {}
    counted = more_scan = later = None
    index_count = sql.count_ids(engine, parsed.terms, cap, freq)
    # Where no index counts exactly (PostgreSQL, common pairs: matches are dense), the first page's
    # walk goes on to COUNT_CAP + 1 matches and is the count: one walk, not two.
    walk_counts = first and engine == "postgres" and index_count is None
    if tag != _FALLBACK:
        if walk_counts:
            ids = sql.counted_name_ids(engine, parsed.terms, limit + 1, cap, freq)
        else:
            ids = sql.name_ids(engine, parsed.terms, after, limit + 1, freq)
        # One statement: the page's rows, and the count where it is cheap (the walk itself, or the
        # index alone: it only matters when the page is full).
        count = None
        if first and index_count is not None:
            count = _index_count(engine, index_count, sql.former_only_ids(engine, parsed.terms, cap, freq), cap)
        # SQLite: no round trip to save, and the count in the same statement cost more than alone.
        later, count = (count, None) if engine != "postgres" else (None, count)
        page_rows, counted = await _fetch_rows(*_page(engine, ids, limit + 1, walk_counts, count))
        rows = {r["id"]: r for r in page_rows}
        found = [(i, False) for i in rows]
        after = 0
    full = len(found) > limit
    # The in-order walk only fills a page the contiguous matches leave short (on the first page it
    # also counts its matches, within its budget).
    if parsed.subsequence and not full:
        want = (cap if first else limit + 1) - len(found)
        ids, more_scan = await _subsequence(engine, parsed.terms[0], after, want)
        found += [(i, True) for i in ids]
    if first and full:
        if later is not None:
            counted = (await fetch(f"SELECT ({later[0]}) AS n", *later[1]))[0]["n"]
        elif counted is None:
            counted = await _count_one(engine, sql.name_ids(engine, parsed.terms, 0, cap, freq))
        result.total = min(counted, cap)
        # In-order matches follow the contiguous ones but are not counted here: "N+".
        result.total_more = result.total > COUNT_CAP or parsed.subsequence
        result.in_order_uncounted = parsed.subsequence
    elif first:  # every contiguous match is on this page
        result.total = min(len(found), cap)
        result.total_more = len(found) > COUNT_CAP or more_scan is not None
        result.in_order_uncounted = more_scan is not None
    page = found[:limit]
    missing = [i for i, _ in page if i not in rows]
    if missing:
        more_rows, _ = await _fetch_rows(*_page(engine, _id_list(engine, missing), len(missing)))
        rows |= {r["id"]: r for r in more_rows}
    result.items = [rows[i] for i, _ in page if i in rows]
    result.fallback_ids = {i for i, by_order in page if by_order}
    result.mode = "short" if all(len(t) <= 2 for t in parsed.terms) else "substring"
    if len(found) > limit:
        last, by_order = page[-1]
        result.next_cursor = encode_cursor(_FALLBACK, last) if by_order else encode_cursor(last)
    elif more_scan is not None:
        result.next_cursor = encode_cursor(_FALLBACK, more_scan)


async def _subsequence(engine: str, term: str, after: int, want: int) -> tuple[list[int], int | None]:
    """Up to ``want`` in-order matches after ``after``, and, if the walk stopped at its budget
    rather than at the end, the id where the next walk resumes."""
    rare = await _by_rarity(engine, list(dict.fromkeys(q.search_chars(term))))
    sql_text, args = sql.subsequence_walk(engine, term, rare, after, SUBSEQUENCE_BUDGET, want)
    row = (await fetch(sql_text, *args))[0]
    ids = _joined_ids(row["ids"])
    stopped = row["n_read"] >= SUBSEQUENCE_BUDGET and len(ids) < want
    return ids, (row["last"] if stopped else None)


async def _by_rarity(engine: str, chars: list[str]) -> list[str]:
    """The characters, those fewest names hold first (ties keep the term's order): PostgreSQL from
    pg_stats, SQLite from counts of the short-gram index kept per process (_char_docs)."""
    rarity = await _gram_freq() if engine == "postgres" else await _char_docs(chars)
    return sorted(chars, key=lambda ch: rarity.get(ch, 0))


def _index_count(engine: str, current: tuple[str, list], former_only: tuple[str, list], cap: int) -> tuple[str, list]:
    """Contiguous matches, at most ``cap``: current names from the index alone, plus subjects
    matched by a former name only (looked at only under the cap, where they change the answer)."""
    least = "least" if engine == "postgres" else "min"
    sql_text = (
        f"SELECT {least}({cap}, c.n + CASE WHEN c.n < {cap} "
        f"THEN (SELECT count(*) FROM ({former_only[0]}) f) ELSE 0 END) "
        f"FROM (SELECT count(*) AS n FROM ({current[0]}) x) c"
    )
    return sql_text, [*former_only[1], *current[1]]


def _formers_column() -> str:
    if _engine() == "postgres":
        formers = "string_agg(f.name, chr(31) ORDER BY f.changed_on, f.id)"
    else:
        formers = "group_concat(f.name, char(31))"  # rows arrive in id order, the order of change
    return f"(SELECT {formers} FROM subject_former_name f WHERE f.subject_id = s.id) AS formers"


def _page(
    engine: str, ids: tuple[str, list], n: int, walk: bool = False, count: tuple[str, list] | None = None
) -> tuple[str, list]:
    """The shown columns and former names (曾用名) of the first ``n`` of ``ids`` in id order, with
    ``total``: the number of ``ids`` (``walk``), or, when there are ``n``, ``count``'s answer (a
    short page is its own count), else null."""
    join = "CROSS JOIN" if engine != "postgres" else "JOIN"  # SQLite: the ids drive, the rows follow
    columns = f"{_SELECT}, {_formers_column()}"
    if not walk and not count:
        sql_text = f"SELECT {columns}, NULL AS total FROM ({ids[0]}) p {join} subject s ON s.id = p.id ORDER BY p.id"
        return sql_text, ids[1]
    if walk:
        total, total_args = "(SELECT count(*) FROM w)", []
    else:
        total, total_args = f"CASE WHEN (SELECT count(*) FROM w) >= {int(n)} THEN ({count[0]}) END", count[1]
    # A CTE read twice is computed once.
    return (
        f"WITH w AS MATERIALIZED ({ids[0]}) SELECT {columns}, {total} AS total "
        f"FROM (SELECT id FROM w ORDER BY id LIMIT {int(n)}) p {join} subject s ON s.id = p.id ORDER BY p.id",
        [*ids[1], *total_args],
    )


def _id_list(engine: str, ids: list[int]) -> tuple[str, list]:
    if engine == "postgres":
        return "SELECT unnest({}::integer[]) AS id", [list(ids)]
    return " UNION ALL ".join("SELECT {} AS id" for _ in ids), list(ids)


async def _fetch_rows(sql_text: str, args: list) -> tuple[list[dict], int | None]:
    """The rows, and their ``total`` column (null where none was asked for)."""
    rows = await fetch(sql_text, *args)
    total = rows[0]["total"] if rows else 0
    for item in rows:
        del item["total"]
        names = item.pop("formers")
        item["former_names"] = [{"name": n} for n in names.split("\x1f")] if names else []
    return rows, total


async def _count_one(engine: str, sql_args: tuple[str, list]) -> int:
    return (await fetch(f"SELECT count(*) AS n FROM ({sql_args[0]}) c", *sql_args[1]))[0]["n"]


async def former_names(subject_ids: list[int]) -> dict[int, list[dict]]:
    """Former names (曾用名) per subject, oldest change first."""
    F = SubjectFormerName
    rows = (
        await F.select(F.subject_id, F.name, F.changed_on).where(F.subject_id.is_in(subject_ids)).order_by(F.changed_on)
    )
    out: dict[int, list[dict]] = {}
    for r in rows:
        out.setdefault(r["subject_id"], []).append(r)
    return out


# PostgreSQL drives each walk from the query's rarest gram (portal/search/sql.py). Rarity comes from
# pg_stats (statistics target 10000 on subject_bigram.gram, migration 2026-11-22T09:00): a missing
# or stale figure costs speed, never correctness.
GRAM_FREQ_TTL = 600.0  # seconds; the figures change only with ANALYZE
_gram_freq_cache: tuple[float, dict[str, float]] = (float("-inf"), {})


async def _gram_freq() -> dict[str, float]:
    global _gram_freq_cache
    loaded_at, freq = _gram_freq_cache
    if time.monotonic() - loaded_at > GRAM_FREQ_TTL:
        rows = await S.raw(
            "SELECT most_common_vals::text::text[] AS v, most_common_freqs AS f FROM pg_stats "
            "WHERE tablename = 'subject_bigram' AND attname = 'gram'"
        )
        freq = dict(zip(rows[0]["v"], rows[0]["f"])) if rows and rows[0]["v"] else {}
        _gram_freq_cache = (time.monotonic(), freq)
    return freq


# SQLite: how many names hold a character, counted from the short-gram index up to CHAR_DOCS_CAP
# (有 is held by ~800 000 names: past the cap only order among rare characters matters). Kept per
# process for GRAM_FREQ_TTL: the figures steer speed, never an answer.
CHAR_DOCS_CAP = 50_000
_char_docs_cache: dict[str, tuple[float, int]] = {}


async def _char_docs(chars: list[str]) -> dict[str, int]:
    now = time.monotonic()
    stale = [ch for ch in chars if now - _char_docs_cache.get(ch, (float("-inf"), 0))[0] > GRAM_FREQ_TTL]
    if stale:
        text, args = sql.char_docs(stale, CHAR_DOCS_CAP)
        rows = await fetch(text, *args)
        if len(_char_docs_cache) > 20_000:  # a bound, not an expected size (names use a few thousand)
            _char_docs_cache.clear()
        _char_docs_cache.update({stale[r["k"]]: (now, r["n"]) for r in rows})
    return {ch: _char_docs_cache[ch][1] for ch in chars if ch in _char_docs_cache}
