"""Maintaining the name-search indexes (see portal/search/ddl.py for their shape)."""

from __future__ import annotations

from collections.abc import Iterable

from portal.lib.ngrams import short_grams
from portal.subjects.tables import Subject, SubjectKind

__all__ = ["index_subject", "index_subjects", "unindex_subject", "rebuild_sqlite", "bigram_rows"]


def _engine():
    return Subject._meta.db


def bigram_rows(subjects: Iterable[tuple[int, str]]) -> Iterable[tuple[str, int]]:
    """(gram, subject_id) pairs for the PostgreSQL short-gram table (1- and 2-character grams)."""
    for subject_id, name in subjects:
        for gram in short_grams(name):
            yield gram, subject_id


async def index_subject(subject_id: int, name: str, kind: str) -> None:
    """Add one subject to the search indexes (call inside the transaction that wrote it)."""
    if kind != SubjectKind.LEGAL:
        return  # natural persons are not listed by name
    db = _engine()
    if db.engine_type == "postgres":
        # One statement for all grams: one round trip, not one per character.
        await Subject.raw(
            "INSERT INTO subject_bigram (gram, subject_id) SELECT unnest({}::varchar[]), {} ON CONFLICT DO NOTHING",
            short_grams(name),
            subject_id,
        )
        return
    await Subject.raw("INSERT INTO subject_name_trgm(rowid, name) VALUES ({}, {})", subject_id, name)
    await Subject.raw(
        "INSERT INTO subject_name_bigram(rowid, grams) VALUES ({}, {})", subject_id, " ".join(short_grams(name))
    )


async def index_subjects(subjects: list[tuple[int, str]]) -> None:
    """``index_subject`` for many legal persons at once: one statement per index, not per subject."""
    if not subjects:
        return
    if _engine().engine_type == "postgres":
        pairs = list(bigram_rows(subjects))
        await Subject.raw(
            "INSERT INTO subject_bigram (gram, subject_id) SELECT * FROM unnest({}::varchar[], {}::integer[]) "
            "ON CONFLICT DO NOTHING",
            [g for g, _ in pairs],
            [i for _, i in pairs],
        )
        return
    values = ", ".join("({}, {})" for _ in subjects)
    await Subject.raw(
        f"INSERT INTO subject_name_trgm(rowid, name) VALUES {values}",
        *[v for subject_id, name in subjects for v in (subject_id, name)],
    )
    await Subject.raw(
        f"INSERT INTO subject_name_bigram(rowid, grams) VALUES {values}",
        *[v for subject_id, name in subjects for v in (subject_id, " ".join(short_grams(name)))],
    )


async def unindex_subject(subject_id: int, old_name: str, kind: str) -> None:
    """Remove a subject's entries (before a rename or deletion)."""
    if kind != SubjectKind.LEGAL:
        return
    db = _engine()
    if db.engine_type == "postgres":
        await Subject.raw("DELETE FROM subject_bigram WHERE subject_id = {}", subject_id)
        return
    await Subject.raw(
        "INSERT INTO subject_name_trgm(subject_name_trgm, rowid, name) VALUES ('delete', {}, {})",
        subject_id,
        old_name,
    )
    await Subject.raw(
        "INSERT INTO subject_name_bigram(subject_name_bigram, rowid, grams) VALUES ('delete', {}, {})",
        subject_id,
        " ".join(short_grams(old_name)),
    )


def rebuild_sqlite(connection) -> None:
    """Rebuild both FTS5 tables from ``subject`` on a plain sqlite3 connection (bulk loads)."""
    connection.execute("INSERT INTO subject_name_trgm(subject_name_trgm) VALUES ('delete-all')")
    connection.execute("INSERT INTO subject_name_bigram(subject_name_bigram) VALUES ('delete-all')")
    connection.execute("INSERT INTO subject_name_trgm(rowid, name) SELECT id, name FROM subject WHERE kind = 'legal'")
    last = 0
    while rows := connection.execute(
        "SELECT id, name FROM subject WHERE kind = 'legal' AND id > ? ORDER BY id LIMIT 50000", (last,)
    ).fetchall():
        connection.executemany(
            "INSERT INTO subject_name_bigram(rowid, grams) VALUES (?, ?)",
            [(sid, " ".join(short_grams(name))) for sid, name in rows],
        )
        last = rows[-1][0]
