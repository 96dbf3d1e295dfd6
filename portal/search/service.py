"""Public subject search: exact USCC, or name substring (issue 2 §5).

Paths by query length (STACK.md: FTS5 trigram cannot match fewer than 3 characters):
- an 18-character valid USCC → unique index;
- 3+ characters → SQLite FTS5 trigram / PostgreSQL pg_trgm;
- 1 or 2 characters → the short-gram index (single characters and pairs).
Results come in subject-id order so that paging is a keyset (``id > cursor``), never OFFSET.
Only legal persons are searched (natural persons are not listed by name, R-17).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from portal.lib import uscc as uscc_rules
from portal.lib.ngrams import bigrams, normalize_query, search_chars
from portal.lib.params import decode_id_cursor, encode_cursor
from portal.subjects.tables import Subject, SubjectKind

__all__ = ["SearchResult", "search_subjects", "MAX_QUERY_CHARS"]

MAX_QUERY_CHARS = 50
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


@dataclass
class SearchResult:
    query: str
    items: list[dict]
    next_cursor: str | None = None
    error: str | None = None
    mode: str = ""


async def search_subjects(
    query: str | None, cursor: str | None = None, limit: int = 20, min_chars: int = 1
) -> SearchResult:
    # Substring search matches the stored spelling (full-width brackets included), so only
    # case is folded; the bigram index is built from NFKC-normalised names on both sides.
    text = (query or "").strip()[:MAX_QUERY_CHARS]
    if not text:
        return SearchResult(query="", items=[])
    after = decode_id_cursor(cursor)
    code = uscc_rules.normalize(normalize_query(text))
    if len(code) == 18 and uscc_rules.is_valid(code):
        rows = await S.raw(
            f"SELECT {_SELECT} FROM subject s WHERE s.uscc = {{}} AND s.kind = {{}}", code, SubjectKind.LEGAL
        )
        return SearchResult(query=text, items=rows, mode="uscc")
    chars = search_chars(text)
    if len(chars) < min_chars:
        return SearchResult(query=text, items=[], error="请输入企业名称中的文字，或完整的统一社会信用代码")
    short = len(chars) <= 2
    id_query = _short_gram_ids(chars, after, limit + 1) if short else await _substring_ids(text, after, limit + 1)
    if id_query is not None:
        # One round trip: the id walk and the result columns together.
        sql, args = id_query
        rows = await S.raw(f"SELECT {_SELECT} FROM ({sql}) q JOIN subject s ON s.id = q.id ORDER BY s.id", *args)
    else:
        ids = await _pg_ids_by_window(text, after, limit + 1)
        rows = await S.select(*_COLUMNS).where(S.id.is_in(ids)).order_by(S.id) if ids else []
    more = len(rows) > limit
    rows = rows[:limit]
    return SearchResult(
        query=text,
        items=rows,
        mode="short" if short else "substring",
        next_cursor=encode_cursor(rows[-1]["id"]) if more else None,
    )


def _postgres() -> bool:
    return S._meta.db.engine_type == "postgres"


def _short_gram_ids(gram: str, after: int, n: int) -> tuple[str, list]:
    if _postgres():
        sql = (
            "SELECT subject_id AS id FROM subject_bigram WHERE gram = {} AND subject_id > {} "
            "ORDER BY subject_id LIMIT {}"
        )
        return sql, [gram, after, n]
    sql = (
        "SELECT rowid AS id FROM subject_name_bigram WHERE subject_name_bigram MATCH {} "
        "AND rowid > {} ORDER BY rowid LIMIT {}"
    )
    return sql, [_fts_phrase(gram), after, n]


# PostgreSQL 3+ characters. The planner cannot tell "有限公司" (a million rows) from "韩旅游" (five)
# and, for ORDER BY id LIMIT n, walks the primary key through every name for a rare one; the
# trigram GIN index has the opposite problem for common substrings (sort of ~10^4 matches).
# So drive from the query's rarest character pair: walk that pair's (gram, subject_id) rows in id
# order, keep those that also hold the second-rarest pair, then check the whole pattern. Rare
# pairs end after a few rows; common ones end after n matches, since matches are then dense.
# Rarity comes from pg_stats (statistics target 10000 on subject_bigram.gram, migration
# 2026-11-22T09:00): a missing or stale figure costs speed, never correctness.
GRAM_FREQ_TTL = 600.0  # seconds; the figures change only with ANALYZE
_gram_freq_cache: tuple[float, dict[str, float]] = (float("-inf"), {})

# Queries without any pair (e.g. "郑 州 市"): walk a bounded window in id order, then the GIN index.
PG_WINDOW = 2000


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


def _like(text: str) -> tuple[str, str]:
    """(operator, pattern) for a literal substring. Case matters only for Latin letters, and
    ILIKE costs twice LIKE per row (C.UTF-8 folding)."""
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return ("ILIKE" if any("a" <= ch.lower() <= "z" for ch in text) else "LIKE"), pattern


async def _substring_ids(text: str, after: int, n: int) -> tuple[str, list] | None:
    """The id query for a 3+ character substring; None: no character pair, use the window path."""
    if not _postgres():
        sql = (
            "SELECT rowid AS id FROM subject_name_trgm WHERE subject_name_trgm MATCH {} "
            "AND rowid > {} ORDER BY rowid LIMIT {}"
        )
        return sql, [_fts_phrase(text), after, n]
    grams = bigrams(text)
    if not grams:
        return None
    freq = await _gram_freq()
    ranked = sorted(grams, key=lambda g: freq.get(g, 0.0))  # stable: ties keep query order
    rarest, second = ranked[0], ranked[min(1, len(ranked) - 1)]
    like, pattern = _like(text)
    sql = (
        "SELECT b.subject_id AS id FROM subject_bigram b "
        "JOIN subject_bigram b2 ON b2.gram = {} AND b2.subject_id = b.subject_id "
        "JOIN subject s ON s.id = b.subject_id "
        f"WHERE b.gram = {{}} AND b.subject_id > {{}} AND s.kind = 'legal' AND s.name {like} {{}} "
        "ORDER BY b.subject_id LIMIT {}"
    )
    return sql, [second, rarest, after, pattern, n]


async def _pg_ids_by_window(text: str, after: int, n: int) -> list[int]:
    like, pattern = _like(text)
    rows = await S.raw(
        "SELECT id FROM (SELECT id, name FROM subject WHERE kind = 'legal' AND id > {} ORDER BY id LIMIT {}) head "
        f"WHERE name {like} {{}} ORDER BY id LIMIT {{}}",
        after,
        PG_WINDOW,
        pattern,
        n,
    )
    if len(rows) == n:
        return [r["id"] for r in rows]
    async with S._meta.db.transaction():
        # Never the primary-key walk (or a full scan) here; one round trip for both settings.
        await S.raw("SELECT set_config('enable_indexscan', 'off', true), set_config('enable_seqscan', 'off', true)")
        rows = await S.raw(
            f"SELECT id FROM subject WHERE kind = 'legal' AND name {like} {{}} AND id > {{}} ORDER BY id LIMIT {{}}",
            pattern,
            after,
            n,
        )
    return [r["id"] for r in rows]


def _fts_phrase(text: str) -> str:
    """Quote the whole query as one FTS5 phrase so no character is read as query syntax."""
    return '"' + text.replace('"', '""') + '"'
