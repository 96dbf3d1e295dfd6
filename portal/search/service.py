"""Public subject search: exact USCC, or name substring (issue 2 §5).

Paths by query length (STACK.md: FTS5 trigram cannot match fewer than 3 characters):
- an 18-character valid USCC → unique index;
- 3+ characters → SQLite FTS5 trigram / PostgreSQL pg_trgm;
- 1 or 2 characters → the short-gram index (single characters and pairs).
Results come in subject-id order so that paging is a keyset (``id > cursor``), never OFFSET.
Only legal persons are searched (natural persons are not listed by name, R-17).
"""

from __future__ import annotations

from dataclasses import dataclass

from portal.lib import uscc as uscc_rules
from portal.lib.ngrams import normalize_query, search_chars
from portal.subjects.tables import Subject, SubjectKind
from portal.web.paging import decode_id_cursor, encode_cursor

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
        rows = await S.select(*_COLUMNS).where((S.uscc == code) & (S.kind == SubjectKind.LEGAL))
        return SearchResult(query=text, items=rows, mode="uscc")
    chars = search_chars(text)
    if len(chars) < min_chars:
        return SearchResult(query=text, items=[], error="请输入企业名称中的文字，或完整的统一社会信用代码")
    short = len(chars) <= 2
    ids = await (_ids_by_short_gram(chars, after, limit + 1) if short else _ids_by_substring(text, after, limit + 1))
    more = len(ids) > limit
    ids = ids[:limit]
    rows = await S.select(*_COLUMNS).where(S.id.is_in(ids)).order_by(S.id) if ids else []
    return SearchResult(
        query=text,
        items=rows,
        mode="short" if short else "substring",
        next_cursor=encode_cursor(ids[-1]) if more else None,
    )


def _postgres() -> bool:
    return S._meta.db.engine_type == "postgres"


async def _ids_by_short_gram(gram: str, after: int, n: int) -> list[int]:
    if _postgres():
        rows = await S.raw(
            "SELECT subject_id AS id FROM subject_bigram WHERE gram = {} AND subject_id > {} "
            "ORDER BY subject_id LIMIT {}",
            gram,
            after,
            n,
        )
    else:
        rows = await S.raw(
            "SELECT rowid AS id FROM subject_name_bigram WHERE subject_name_bigram MATCH {} "
            "AND rowid > {} ORDER BY rowid LIMIT {}",
            _fts_phrase(gram),
            after,
            n,
        )
    return [r["id"] for r in rows]


# PostgreSQL 3+ characters: the planner cannot tell "有限公司" (a million rows) from "韩旅游"
# (five) and, for ORDER BY id LIMIT n, happily walks the primary key through all 1.4 M names for
# a rare one. So: first walk a bounded window in id order (dense queries end here); if that
# yields fewer than n matches, matches are sparse and the trigram GIN index + sort is cheap.
PG_WINDOW = 2000


async def _ids_by_substring(text: str, after: int, n: int) -> list[int]:
    if not _postgres():
        rows = await S.raw(
            "SELECT rowid AS id FROM subject_name_trgm WHERE subject_name_trgm MATCH {} "
            "AND rowid > {} ORDER BY rowid LIMIT {}",
            _fts_phrase(text),
            after,
            n,
        )
        return [r["id"] for r in rows]
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    # Case only matters for Latin letters, and ILIKE costs twice LIKE per row (C.UTF-8 folding).
    like = "ILIKE" if any("a" <= ch.lower() <= "z" for ch in text) else "LIKE"
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
