"""The id queries of name search, per engine: candidates from an index, then the exact test.

Every query returns legal-person ids above a keyset cursor in id order, at most ``n``. The
indexes only narrow the candidates (portal/search/ddl.py); the LIKE tests on the joined row decide,
so a page holds exactly the subjects a scan of all names would find. Only legal persons are
indexed (R-17).
"""

from __future__ import annotations

from portal.lib.ngrams import search_chars
from portal.search.query import has_latin, like_pattern, subsequence_pattern, term_grams

__all__ = ["name_ids", "subsequence_ids", "subsequence_extent"]

ESC = "ESCAPE '\\'"


def _op(engine: str, text: str) -> str:
    # PostgreSQL LIKE is case-sensitive and ILIKE costs twice as much per row (C.UTF-8 folding);
    # SQLite LIKE already folds ASCII case.
    return "ILIKE" if engine == "postgres" and has_latin(text) else "LIKE"


def _all_like(engine: str, column: str, terms: tuple[str, ...]) -> tuple[str, list]:
    sql = " AND ".join(f"{column} {_op(engine, t)} {{}} {ESC}" for t in terms)
    return sql, [like_pattern(t) for t in terms]


def _phrase(text: str) -> str:
    """One FTS5 phrase, so no character is read as query syntax."""
    return '"' + text.replace('"', '""') + '"'


def _ranked(grams: list[str], freq: dict[str, float]) -> list[str]:
    return sorted(dict.fromkeys(grams), key=lambda g: freq.get(g, 0.0))  # stable: ties keep query order


def _current(engine: str, terms: tuple[str, ...], after: int, n: int, freq: dict[str, float]) -> tuple[str, list]:
    test, test_args = _all_like(engine, "s.name", terms)
    if engine != "postgres":
        long = [t for t in terms if len(t) >= 3]
        if long:  # FTS5 trigram answers 3+ characters only (STACK.md)
            index, match = "subject_name_trgm", " AND ".join(_phrase(t) for t in long)
        else:
            index, match = "subject_name_bigram", " AND ".join(_phrase(g) for t in terms for g in term_grams(t))
        sql = (
            f"SELECT t.rowid AS id FROM {index} t JOIN subject s ON s.id = t.rowid "
            f"WHERE t.{index} MATCH {{}} AND t.rowid > {{}} AND {test} ORDER BY t.rowid LIMIT {{}}"
        )
        return sql, [match, after, *test_args, n]
    # PostgreSQL: the planner cannot tell "有限公司" (a million rows) from "韩旅游" (five) and, for
    # ORDER BY id LIMIT n, walks the primary key through every name for a rare one. So drive from
    # the rarest gram (pg_stats, see service._gram_freq), keep those that also hold the second
    # rarest, then test the names. Rare grams end after a few rows; common ones after n matches.
    ranked = _ranked([g for t in terms for g in term_grams(t)], freq)
    return _pg_walk("subject_bigram", ranked, after, n, f"s.kind = 'legal' AND {test}", test_args)


def _pg_walk(table: str, ranked: list[str], after: int, n: int, test: str, test_args: list) -> tuple[str, list]:
    second = ranked[1] if len(ranked) > 1 else None
    join = f"JOIN {table} b2 ON b2.gram = {{}} AND b2.subject_id = b.subject_id " if second else ""
    sql = (
        f"SELECT b.subject_id AS id FROM {table} b {join}JOIN subject s ON s.id = b.subject_id "
        f"WHERE b.gram = {{}} AND b.subject_id > {{}} AND {test} ORDER BY b.subject_id LIMIT {{}}"
    )
    return sql, [*([second] if second else []), ranked[0], after, *test_args, n]


def _former(engine: str, terms: tuple[str, ...], after: int, n: int) -> tuple[str, list]:
    """Subjects one of whose former names (曾用名) holds every term."""
    test, test_args = _all_like(engine, "f.name", terms)
    exists = f"EXISTS (SELECT 1 FROM subject_former_name f WHERE f.subject_id = s.id AND {test})"
    grams = [g for t in terms for g in term_grams(t)]
    if engine != "postgres":
        sql = (
            "SELECT g.rowid AS id FROM subject_former_gram g JOIN subject s ON s.id = g.rowid "
            f"WHERE g.subject_former_gram MATCH {{}} AND g.rowid > {{}} AND s.kind = 'legal' AND {exists} "
            "ORDER BY g.rowid LIMIT {}"
        )
        return sql, [" AND ".join(_phrase(g) for g in dict.fromkeys(grams)), after, *test_args, n]
    # Former names are few: the first and last gram of the longest term narrow enough.
    own = term_grams(max((t for t in terms if term_grams(t)), key=len))
    ranked = list(dict.fromkeys([own[0], own[-1]] + grams))
    return _pg_walk("subject_former_gram", ranked, after, n, f"s.kind = 'legal' AND {exists}", test_args)


def name_ids(engine: str, terms: tuple[str, ...], after: int, n: int, freq: dict[str, float]) -> tuple[str, list]:
    """Legal persons whose name, or one of whose former names, contains every term."""
    current, current_args = _current(engine, terms, after, n, freq)
    former, former_args = _former(engine, terms, after, n)
    sql = f"SELECT id FROM (SELECT id FROM ({current}) a UNION SELECT id FROM ({former}) b) u ORDER BY id LIMIT {{}}"
    return sql, [*current_args, *former_args, n]


def _candidates(engine: str, term: str, after: int, budget: int, freq: dict[str, float]) -> tuple[str, list]:
    """At most ``budget`` ids of names holding every character of ``term`` (the short-gram index)."""
    chars = list(dict.fromkeys(search_chars(term)))
    if engine != "postgres":
        sql = (
            "SELECT rowid AS id FROM subject_name_bigram WHERE subject_name_bigram MATCH {} AND rowid > {} "
            "ORDER BY rowid LIMIT {}"
        )
        return sql, [" AND ".join(_phrase(c) for c in chars), after, budget]
    ranked = _ranked(chars, freq)
    second = ranked[1] if len(ranked) > 1 else None
    join = "JOIN subject_bigram b2 ON b2.gram = {} AND b2.subject_id = b.subject_id " if second else ""
    sql = (
        f"SELECT b.subject_id AS id FROM subject_bigram b {join}"
        "WHERE b.gram = {} AND b.subject_id > {} ORDER BY b.subject_id LIMIT {}"
    )
    return sql, [*([second] if second else []), ranked[0], after, budget]


def subsequence_ids(
    engine: str, term: str, after: int, n: int, budget: int, freq: dict[str, float]
) -> tuple[str, list]:
    """Names holding the term's characters in order but not the term itself, among the next
    ``budget`` candidates (so one request never walks a whole common character's list)."""
    cand, cand_args = _candidates(engine, term, after, budget, freq)
    op = _op(engine, term)
    sql = (
        f"SELECT c.id FROM ({cand}) c JOIN subject s ON s.id = c.id WHERE s.kind = 'legal' "
        f"AND s.name {op} {{}} {ESC} AND NOT (s.name {op} {{}} {ESC}) AND NOT EXISTS (SELECT 1 FROM "
        f"subject_former_name f WHERE f.subject_id = s.id AND f.name {op} {{}} {ESC}) ORDER BY c.id LIMIT {{}}"
    )
    contiguous = like_pattern(term)  # those are listed before, with the contiguous matches
    return sql, [*cand_args, subsequence_pattern(term), contiguous, contiguous, n]


def subsequence_extent(engine: str, term: str, after: int, budget: int, freq: dict[str, float]) -> tuple[str, list]:
    """How many candidates the walk above covers, and the last one (where the next walk resumes)."""
    cand, cand_args = _candidates(engine, term, after, budget, freq)
    return f"SELECT count(*) AS n, max(id) AS last FROM ({cand}) c", cand_args
