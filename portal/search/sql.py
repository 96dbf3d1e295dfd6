"""The id queries of name search, per engine: candidates from an index, then the exact test.

Every query returns legal-person ids above a keyset cursor in id order, at most ``n``. The
indexes only narrow the candidates (portal/search/ddl.py); the LIKE tests on the joined row decide,
so a page holds exactly the subjects a scan of all names would find. Only legal persons are
indexed (R-17).
"""

from __future__ import annotations

from portal.search.query import has_latin, like_pattern, subsequence_pattern, term_grams

__all__ = ["name_ids", "counted_name_ids", "count_ids", "former_only_ids", "char_docs", "subsequence_walk"]

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
    """Rarest first (stable: ties keep query order); then, second, the rarest gram whose share
    differs from the first's by more than SAME_PHRASE: pairs of one common phrase (有限责任公司:
    限责, 责任, 任公) are held by the same names, so such a second gram filters nothing."""
    ranked = sorted(dict.fromkeys(grams), key=lambda g: freq.get(g, 0.0))
    first = freq.get(ranked[0], 0.0) if ranked else 0.0
    if first:
        apart = [g for g in ranked[1:] if abs(freq.get(g, 0.0) - first) > SAME_PHRASE * first]
        if apart:
            ranked.remove(apart[0])
            ranked.insert(1, apart[0])
    return ranked


SAME_PHRASE = 0.05


def _current(engine: str, terms: tuple[str, ...], after: int, n: int, freq: dict[str, float]) -> tuple[str, list]:
    test, test_args = _all_like(engine, "s.name", terms)
    if engine != "postgres":
        long = [t for t in terms if len(t) >= 3]
        if long:  # FTS5 trigram answers 3+ characters only; shorter terms have their own index
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


def _pg_walk(
    table: str, ranked: list[str], after: int, n: int, test: str, test_args: list, first: str = "", first_args=()
) -> tuple[str, list]:
    # The subject row test is a subquery per candidate, never a join: as a join the planner may
    # read the pg_trgm index for every name holding the trigrams (10 000 rows for 告有限公司) to
    # return 21 of them, instead of walking the gram lists in id order and stopping. ``first``:
    # a cheaper test on the candidate id, made before the subject row is read.
    second = ranked[1] if len(ranked) > 1 else None
    join = f"JOIN {table} b2 ON b2.gram = {{}} AND b2.subject_id = b.subject_id " if second else ""
    # The tests apply to the ids holding both grams: OFFSET 0 keeps the planner from pushing them
    # below the join onto every holder of the rarest gram (b.subject_id = b2.subject_id lets it).
    sql = (
        f"SELECT c.id FROM (SELECT b.subject_id AS id FROM {table} b {join}WHERE b.gram = {{}} AND b.subject_id > {{}} "
        f"ORDER BY b.subject_id OFFSET 0) c WHERE {first + ' AND ' if first else ''}"
        f"(SELECT {test} FROM subject s WHERE s.id = c.id) ORDER BY c.id LIMIT {{}}"
    )
    return sql, [*([second] if second else []), ranked[0], after, *first_args, *test_args, n]


def _former(
    engine: str, terms: tuple[str, ...], after: int, n: int, freq: dict[str, float], only: bool = False
) -> tuple[str, list]:
    """Subjects one of whose former names (曾用名) holds every term (``only``: and whose current
    name does not)."""
    test, test_args = _all_like(engine, "f.name", terms)
    current, current_args = _all_like(engine, "s.name", terms)
    grams = [g for t in terms for g in term_grams(t)]
    if engine != "postgres":
        # The former names (a small table) are tested before the subject row is read: on the
        # index's rowid, not on s.id, so SQLite checks them in the outer loop.
        exists = f"EXISTS (SELECT 1 FROM subject_former_name f WHERE f.subject_id = g.rowid AND {test})"
        if only:
            exists, test_args = f"{exists} AND NOT ({current})", [*test_args, *current_args]
        sql = (
            "SELECT g.rowid AS id FROM subject_former_gram g JOIN subject s ON s.id = g.rowid "
            f"WHERE g.subject_former_gram MATCH {{}} AND g.rowid > {{}} AND {exists} AND s.kind = 'legal' "
            "ORDER BY g.rowid LIMIT {}"
        )
        return sql, [" AND ".join(_phrase(g) for g in dict.fromkeys(grams)), after, *test_args, n]
    # Former names are renamed current names: the current names' gram figures rank them too. The
    # former names (a small table) are tested before the subject row is read.
    exists = f"EXISTS (SELECT 1 FROM subject_former_name f WHERE f.subject_id = c.id AND {test})"
    row, row_args = ("s.kind = 'legal'", [])
    if only:
        row, row_args = f"s.kind = 'legal' AND NOT ({current})", current_args
    return _pg_walk("subject_former_gram", _ranked(grams, freq), after, n, row, row_args, exists, test_args)


def name_ids(engine: str, terms: tuple[str, ...], after: int, n: int, freq: dict[str, float]) -> tuple[str, list]:
    """Legal persons whose name, or one of whose former names, contains every term."""
    current, current_args = _current(engine, terms, after, n, freq)
    former, former_args = _former(engine, terms, after, n, freq)
    sql = f"SELECT id FROM (SELECT id FROM ({current}) a UNION SELECT id FROM ({former}) b) u ORDER BY id LIMIT {{}}"
    return sql, [*current_args, *former_args, n]


def counted_name_ids(engine: str, terms: tuple[str, ...], n: int, cap: int, freq: dict[str, float]) -> tuple[str, list]:
    """``name_ids`` from the start, up to ``cap`` ids, for a first page whose walk is the count
    (PostgreSQL). Once the current names alone reach ``cap`` the count is ``cap`` whatever the
    former names add, so their walk (a ``subject`` row per candidate) stops after ``n``, the page."""
    current, current_args = _current(engine, terms, 0, cap, freq)
    former, former_args = _former(engine, terms, 0, cap, freq)
    sql = (
        f"WITH c AS MATERIALIZED ({current}) SELECT id FROM (SELECT id FROM c UNION SELECT id FROM (SELECT id FROM "
        f"({former}) f0 LIMIT CASE WHEN (SELECT count(*) FROM c) >= {int(cap)} THEN {int(n)} ELSE {int(cap)} END) f) u "
        f"ORDER BY id LIMIT {int(cap)}"
    )
    return sql, [*current_args, *former_args]


def _index_exact(term: str) -> bool:
    """Whether the index alone answers "the name contains ``term``" exactly: a term of Chinese
    characters only (no case to fold, nothing NFKC changes; the LIKE test would add nothing)."""
    return all("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" for ch in term)


DENSE = 0.001
"""A term whose every three characters hold a pair this common (有限公: 1 name in 2) is counted by
the id-order walk: its matches are dense, the walk ends after about a thousand rows, while the
trigram index would read a million-entry list first. (Frequencies are shares of all gram rows,
~18 per name: 0.001 is a pair in ~1.7 % of names, e.g. 程有 in 工程有限公司, whose trigram list of
90 000 names cost 20-35 ms to read against 2-5 ms for the walk; at 1.7M names, 200 3+-character
queries: p95 27 ms at 0.005, 8 ms at 0.001.)"""


def _piece_freq(piece: str, freq: dict[str, float]) -> float:
    return min(freq.get(piece[:2], 0.0), freq.get(piece[1:], 0.0))


def _rarest_piece(term: str, freq: dict[str, float]) -> str:
    """The three consecutive characters of ``term`` whose rarer pair is rarest."""
    return min((term[i : i + 3] for i in range(len(term) - 2)), key=lambda p: _piece_freq(p, freq))


def count_ids(engine: str, terms: tuple[str, ...], n: int, freq: dict[str, float]) -> tuple[str, list] | None:
    """At most ``n`` ids of current names holding every term, for the count, without the id-order
    walk (which reads a subject row per candidate), or None where no such way is exact:
    SQLite, one term of Chinese characters: the FTS5 index alone (trigram for 3+ characters, the
    short-gram index for 1–2; no subject row read); PostgreSQL, one term of 1–2 Chinese characters:
    the short-gram table alone; terms of 3+ characters each: the pg_trgm index, rows rechecked
    by LIKE (a bitmap scan: candidates holding every trigram, unordered)."""
    term = terms[0]
    if engine == "postgres":
        if len(terms) == 1 and len(term) <= 2 and _index_exact(term):
            return "SELECT subject_id AS id FROM subject_bigram WHERE gram = {} LIMIT {}", [term, n]
        if all(len(t) >= 3 for t in terms) and max(_piece_freq(_rarest_piece(t, freq), freq) for t in terms) < DENSE:
            # The index reads the trigram lists of every LIKE it is given; give it each term's
            # rarest three characters (有限公司 lists a million names) and recheck the whole term
            # on the rows alone (``|| ''`` keeps that LIKE out of the index).
            pieces = [_rarest_piece(t, freq) for t in terms]
            index, index_args = _all_like(engine, "name", tuple(pieces))
            test, test_args = _all_like(engine, "(name || '')", terms)
            sql = f"SELECT id FROM subject WHERE kind = 'legal' AND {index} AND {test} LIMIT {{}}"
            return sql, [*index_args, *test_args, n]
        return None
    if len(terms) > 1 or not _index_exact(term):
        return None
    index = "subject_name_trgm" if len(term) >= 3 else "subject_name_bigram"
    return f"SELECT rowid AS id FROM {index} WHERE {index} MATCH {{}} LIMIT {{}}", [_phrase(term), n]


def former_only_ids(engine: str, terms: tuple[str, ...], n: int, freq: dict[str, float]) -> tuple[str, list]:
    """At most ``n`` ids of subjects only a former name of which holds every term (added to
    ``count_ids`` for the count)."""
    return _former(engine, terms, 0, n, freq, only=True)


def char_docs(chars: list[str], cap: int) -> tuple[str, list]:
    """SQLite: per character (``k``, its position in ``chars``), how many names hold it, counted
    up to ``cap`` from the short-gram index alone (what ranks the in-order walk's characters)."""
    inner = "SELECT rowid FROM subject_name_bigram WHERE subject_name_bigram MATCH {} LIMIT {}"
    sql = " UNION ALL ".join(f"SELECT {k} AS k, count(*) AS n FROM ({inner}) r{k}" for k in range(len(chars)))
    return sql, [v for ch in chars for v in (_phrase(ch), cap)]


def _subsequence_test(engine: str, term: str) -> tuple[str, list]:
    op = _op(engine, term)
    contiguous = like_pattern(term)  # those are listed before, with the contiguous matches
    sql = (
        f"s.kind = 'legal' AND s.name {op} {{}} {ESC} AND NOT (s.name {op} {{}} {ESC}) AND NOT EXISTS (SELECT 1 "
        f"FROM subject_former_name f WHERE f.subject_id = s.id AND f.name {op} {{}} {ESC})"
    )
    return sql, [subsequence_pattern(term), contiguous, contiguous]


def subsequence_walk(engine: str, term: str, rare: list[str], after: int, budget: int, n: int) -> tuple[str, list]:
    """One row: ``ids``, at most ``n`` names holding the term's characters in order but not the
    term itself (comma-separated), found among the first ``budget`` candidates after ``after``;
    ``n_read``, how many candidates there were, and ``last``, the last of them. Candidates hold the
    term's rarest character (``rare``: its distinct characters, rarest first), from the short-gram
    index alone: one list, never one most names hold (有, 公); the LIKE test on the name decides.
    PostgreSQL first looks each candidate up under the next two rarest characters (an index probe
    costs a fraction of reading the subject row); SQLite's FTS5 has no cheap probe and reads
    every list it intersects whole, slower than testing the rows."""
    test, test_args = _subsequence_test(engine, term)
    if engine == "postgres":
        cand = "SELECT subject_id AS id FROM subject_bigram WHERE gram = {} AND subject_id > {}"
        # Scalar subqueries, so each stays a probe per candidate (see _pg_walk).
        probes = "".join(
            f"(SELECT 1 FROM subject_bigram b{i} WHERE b{i}.gram = {{}} AND b{i}.subject_id = c.id) = 1 AND "
            for i in range(1, len(rare[:3]))
        )
        found = f"SELECT c.id FROM c WHERE {probes}(SELECT {test} FROM subject s WHERE s.id = c.id)"
        agg, key, probe_args = "string_agg(id::text, ',' ORDER BY id)", rare[0], rare[1:3]
    else:
        cand = "SELECT rowid AS id FROM subject_name_bigram WHERE subject_name_bigram MATCH {} AND rowid > {}"
        found = f"SELECT c.id FROM c JOIN subject s ON s.id = c.id WHERE {test}"
        agg, key, probe_args = "group_concat(id)", _phrase(rare[0]), []
    sql = (
        f"WITH c AS MATERIALIZED ({cand} ORDER BY 1 LIMIT {{}}) "
        f"SELECT (SELECT {agg} FROM ({found} ORDER BY c.id LIMIT {{}}) m) AS ids, "
        "(SELECT count(*) FROM c) AS n_read, (SELECT max(id) FROM c) AS last"
    )
    return sql, [key, after, budget, *probe_args, *test_args, n]
