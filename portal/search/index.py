"""Maintaining the name-search indexes (see portal/search/ddl.py for their shape)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from portal.lib.ngrams import short_grams
from portal.subjects.tables import Subject, SubjectFormerName, SubjectKind

__all__ = [
    "index_subject",
    "index_subjects",
    "unindex_subject",
    "rebuild_sqlite",
    "bigram_rows",
    "add_former_name",
    "replace_former_names",
    "former_grams",
]


def _engine():
    return Subject._meta.db


def _gram_text(name: str) -> str:
    """A name's short grams as one space-separated text, as both engines' short-gram writes take it."""
    return " ".join(short_grams(name))


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
    await Subject.raw("INSERT INTO subject_name_bigram(rowid, grams) VALUES ({}, {})", subject_id, _gram_text(name))


async def index_subjects(subjects: list[tuple[int, str]]) -> None:
    """``index_subject`` for many legal persons just created (in this transaction) at once: one
    statement per index, not per subject."""
    if not subjects:
        return
    if _engine().engine_type == "postgres":
        # A subject's grams travel as one text, as in SQLite's short-gram index (thousands of gram
        # rows per batch cost more to encode one by one than to split in the server). New subjects
        # have no entries yet: no ON CONFLICT (a speculative insertion probes the key twice per row),
        # and the rows go in the key's order so that consecutive ones land on the same B-tree pages.
        await Subject.raw(
            "INSERT INTO subject_bigram (gram, subject_id) SELECT DISTINCT g, s.id "
            "FROM unnest({}::integer[], {}::text[]) AS s(id, grams), string_to_table(s.grams, ' ') AS g "
            "ORDER BY 1, 2",
            [subject_id for subject_id, _ in subjects],
            [_gram_text(name) for _, name in subjects],
        )
        return
    values = ", ".join("({}, {})" for _ in subjects)
    await Subject.raw(
        f"INSERT INTO subject_name_trgm(rowid, name) VALUES {values}",
        *[v for subject_id, name in subjects for v in (subject_id, name)],
    )
    await Subject.raw(
        f"INSERT INTO subject_name_bigram(rowid, grams) VALUES {values}",
        *[v for subject_id, name in subjects for v in (subject_id, _gram_text(name))],
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
        _gram_text(old_name),
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
            [(sid, _gram_text(name)) for sid, name in rows],
        )
        last = rows[-1][0]
    rebuild_former_sqlite(connection)


def rebuild_former_sqlite(connection) -> None:
    """Rebuild subject_former_gram from subject_former_name on a plain sqlite3 connection."""
    connection.execute("INSERT INTO subject_former_gram(subject_former_gram) VALUES ('delete-all')")
    names: dict[int, list[str]] = {}
    for subject_id, name in connection.execute("SELECT subject_id, name FROM subject_former_name ORDER BY id"):
        names.setdefault(subject_id, []).append(name)
    connection.executemany(
        "INSERT INTO subject_former_gram(rowid, grams) VALUES (?, ?)",
        [(sid, " ".join(former_grams(n))) for sid, n in names.items()],
    )


def former_grams(names: Iterable[str]) -> list[str]:
    """The short-gram tokens of all of a subject's former names (subject_former_gram)."""
    return list(dict.fromkeys(g for name in names for g in short_grams(name)))


async def add_former_name(subject_id: int, name: str, changed_on: date | None) -> None:
    """Record a former name (曾用名) and index it for search; one transaction."""
    F = SubjectFormerName
    async with Subject._meta.db.transaction():
        old = [r["name"] for r in await F.select(F.name).where(F.subject_id == subject_id)]
        await F.insert(F(subject_id=subject_id, name=name, changed_on=changed_on))
        if _engine().engine_type == "postgres":
            await Subject.raw(
                "INSERT INTO subject_former_gram (gram, subject_id) SELECT unnest({}::varchar[]), {} "
                "ON CONFLICT DO NOTHING",
                short_grams(name),
                subject_id,
            )
            return
        if old:  # a contentless FTS5 row is replaced by deleting exactly what it holds
            await Subject.raw(
                "INSERT INTO subject_former_gram(subject_former_gram, rowid, grams) VALUES ('delete', {}, {})",
                subject_id,
                " ".join(former_grams(old)),
            )
        await Subject.raw(
            "INSERT INTO subject_former_gram(rowid, grams) VALUES ({}, {})",
            subject_id,
            " ".join(former_grams([*old, name])),
        )


async def replace_former_names(rows: list[tuple[int, str, date | None]]) -> None:
    """Bulk load (demo data): every former name becomes ``rows`` (subject_id, name, changed_on),
    with the search index rebuilt to match; one transaction."""
    db = _engine()
    names: dict[int, list[str]] = {}
    for subject_id, name, _ in rows:
        names.setdefault(subject_id, []).append(name)
    async with db.transaction():
        await Subject.raw("DELETE FROM subject_former_name")
        if db.engine_type == "postgres":
            await Subject.raw("DELETE FROM subject_former_gram")
        else:
            await Subject.raw("INSERT INTO subject_former_gram(subject_former_gram) VALUES ('delete-all')")
        for start in range(0, len(rows), 300):
            batch = rows[start : start + 300]
            await SubjectFormerName.insert(
                *[SubjectFormerName(subject_id=s, name=n, changed_on=d) for s, n, d in batch]
            )
        ids = list(names)
        for start in range(0, len(ids), 300):
            batch = [(i, former_grams(names[i])) for i in ids[start : start + 300]]
            if db.engine_type == "postgres":
                pairs = [(g, i) for i, grams in batch for g in grams]
                await Subject.raw(
                    "INSERT INTO subject_former_gram (gram, subject_id) "
                    "SELECT * FROM unnest({}::varchar[], {}::integer[]) ON CONFLICT DO NOTHING",
                    [g for g, _ in pairs],
                    [i for _, i in pairs],
                )
            else:
                values = ", ".join("({}, {})" for _ in batch)
                await Subject.raw(
                    f"INSERT INTO subject_former_gram(rowid, grams) VALUES {values}",
                    *[v for i, grams in batch for v in (i, " ".join(grams))],
                )
