"""The public read path of 红名单 / 黑名单 (R-P5, R-15, R-17): entries the rule
``public_list_entry`` lets through, and nothing else.

The list tables are small (tens of thousands of entries, not millions): the category filter is an
equality tested along the listing index's walk. A name found in the subject name index (as the
search page finds it, former names too) stands for its few subjects; a name too common for that
is a LIKE on the joined subject name along the same walk, where matches are dense. Measured at
1.7M subjects, 56k entries: a LIKE for a name that matches nothing read a whole list in ~145 ms
of CPU; the index answers it at once.
"""

from __future__ import annotations

from datetime import date, datetime

from portal.lib.dates import to_china, today_cn
from portal.lib.params import InputError
from portal.lists.tables import ListChange, ListEntry
from portal.publication.rules import public_list_entry
from portal.records.tables import DisclosureClass
from portal.search.query import parse as parse_query
from portal.search.service import legal_ids_by_name
from portal.subjects.tables import SubjectKind

__all__ = ["list_entries", "list_entry", "list_names", "subject_list_entries", "lists_updated_at", "MAX_NAME"]

L = ListEntry
NAME_IDS = 200
"""Subjects a name may stand for before the search falls back to LIKE along the listing walk."""
MAX_NAME = 50
"""Longest name a visitor may search the lists for (a subject name is at most 200, but nobody
types more than a company name's distinctive part)."""

_COLUMNS = (
    L.id,
    L.list_type,
    L.list_name,
    L.reason,
    L.doc_number,
    L.listed_on,
    L.expires_on,
    L.decided_by.name.as_alias("authority"),
    L.subject.id.as_alias("subject_id"),
    L.subject.kind.as_alias("subject_kind"),
    L.subject.name.as_alias("subject_name"),
    L.subject.uscc.as_alias("subject_uscc"),
    L.subject.id_number_masked.as_alias("subject_id_masked"),
)


def clean_name(raw: str | None) -> str:
    """The searched name, trimmed; too long → InputError beside the field."""
    text = (raw or "").strip()
    if len(text) > MAX_NAME:
        raise InputError("name", f"名称最多 {MAX_NAME} 个字")
    return text


async def list_names(list_type: str, today: date | None = None) -> list[str]:
    """The categories (名单类别, e.g. 重大税收违法失信主体) of the entries shown on a list."""
    rows = await (
        L.select(L.list_name)
        .where(public_list_entry(today or today_cn()) & (L.list_type == list_type))
        .distinct()
        .order_by(L.list_name)
    )
    return [r["list_name"] for r in rows]


async def list_entries(
    list_type: str,
    cursor: str | None = None,
    limit: int = 20,
    today: date | None = None,
    *,
    name: str = "",
    list_name: str = "",
):
    """红名单 / 黑名单 entries in force, newest first; ``name`` matches legal persons' names only
    (natural persons are never found by name, R-17), ``list_name`` one category exactly."""
    from portal.publication.service import Page, _after, _page, _public_subject_code

    today = today or today_cn()
    where = public_list_entry(today) & (L.list_type == list_type)
    if name:
        # A rare name: its few subjects from the name index (a name no one has answers at once).
        # A common one: the LIKE along the listing walk fills a page quickly.
        ids = await legal_ids_by_name(name, NAME_IDS)
        if ids is None:
            # Each term as the search box reads them (typed punctuation separates). No ESCAPE
            # clause here (SQLite has no default escape character): the wildcards go.
            where &= L.subject.kind == SubjectKind.LEGAL
            for term in parse_query(name).terms:
                where &= L.subject.name.like("%" + term.replace("%", "").replace("_", "") + "%")
        elif not ids:
            return Page([])
        else:
            where &= L.subject.is_in(ids)
    if list_name:
        where &= L.list_name == list_name
    if (after := _after(cursor, L.listed_on, L.id)) is not None:
        where &= after
    rows = await L.select(*_COLUMNS).where(where).order_by(L.listed_on, L.id, ascending=False).limit(limit + 1)
    page = _page(rows, limit, "listed_on")
    for row in page.items:
        _public_subject_code(row)
    return page


async def list_entry(list_type: str, entry_id: int, today: date | None = None) -> dict | None:
    """One entry with its measures, or None when it is not public (removed, expired, not class A)."""
    from portal.publication.service import _public_subject_code

    where = public_list_entry(today or today_cn()) & (L.list_type == list_type) & (L.id == entry_id)
    row = await L.select(*_COLUMNS, L.measures, L.status).where(where).first()
    if row is not None:
        _public_subject_code(row)
        row["measure_lines"] = [m.strip() for m in (row.pop("measures") or "").splitlines() if m.strip()]
    return row


async def subject_list_entries(subject_id: int, list_type: str, today: date | None = None) -> list[dict]:
    today = today or today_cn()
    return (
        await L.select(
            L.id,
            L.list_name,
            L.reason,
            L.doc_number,
            L.listed_on,
            L.expires_on,
            L.decided_by.name.as_alias("authority"),
        )
        .where(public_list_entry(today) & (L.subject == subject_id) & (L.list_type == list_type))
        .order_by(L.listed_on, ascending=False)
        .limit(50)
    )


async def lists_updated_at(list_type: str) -> datetime | None:
    """数据更新时间 of a list: its newest listing, amendment or removal among class-A entries
    (entries loaded in bulk have no ListChange row: their created_at counts)."""
    mine = (L.list_type == list_type) & (L.disclosure_class == DisclosureClass.A)
    found = []
    for column in (L.created_at, L.removed_at):
        row = await L.select(column).where(mine & column.is_not_null()).order_by(column, ascending=False).first()
        found.append(row and row[column._meta.name])
    C = ListChange
    row = (
        await C.select(C.changed_at)
        .where(C.entry.is_in(L.select(L.id).where(mine)))
        .order_by(C.changed_at, ascending=False)
        .first()
    )
    found.append(row and row["changed_at"])
    found = [to_china(v) for v in found if v]
    return max(found) if found else None
