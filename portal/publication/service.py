"""The public read path: class-A records and list entries only (R-15, R-17, R-20; DESIGN rule 1).

Every public page and the public API call these functions; nothing else in public code reads
CreditRecord or ListEntry. Rows leave here as plain dicts holding only publishable fields: a natural
person's record only in a category the indicator catalogue opens to class A, with the items it
masks hidden (R-17).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from portal.catalogue import service as catalogue
from portal.lib.dates import to_china, today_cn
from portal.lib.params import InputError, decode_date_id_cursor, encode_cursor
from portal.objections.views import correction_notices, pending_record_ids
from portal.publication.lists import list_entries, subject_list_entries
from portal.publication.rules import public
from portal.records.tables import CreditRecord, DisclosureClass, LicenseDetail, PenaltyDetail, RecordType
from portal.search.service import legal_ids_by_name
from portal.subjects.tables import SubjectKind

__all__ = [
    "Page",
    "subject_records",
    "disclosures",
    "list_entries",
    "subject_list_entries",
    "TABS",
    "latest_disclosures",
    "disclosures_updated_at",
    "count_disclosures",
    "MAX_DOC_NUMBER",
    "mark_pending",
    "correction_notices",
]

R = CreditRecord

# Profile tabs (issue 2 §6) → which public records each one shows.
TABS = {
    "license": R.record_type == RecordType.LICENSE,
    "penalty": R.record_type == RecordType.PENALTY,
    "positive": (R.polarity == "positive") & (R.record_type == RecordType.GENERAL),
    "negative": (R.polarity == "negative") & (R.record_type == RecordType.GENERAL),
    "basic": (R.polarity == "neutral") & (R.record_type == RecordType.GENERAL),
}

_RECORD_COLUMNS = (
    R.id,
    R.record_type,
    R.category,
    R.polarity,
    R.title,
    R.content,
    R.doc_number,
    R.decision_date,
    R.publicity_end,
    R.provider.name.as_alias("provider_name"),
)
_SUBJECT_COLUMNS = (
    R.subject.id.as_alias("subject_id"),
    R.subject.kind.as_alias("subject_kind"),
    R.subject.name.as_alias("subject_name"),
    R.subject.uscc.as_alias("subject_uscc"),
    R.subject.id_number_masked.as_alias("subject_id_masked"),
)
_DETAIL_EXCLUDE = {"id", "record"}
MAX_DOC_NUMBER = 100  # the column's length
# The year in a 决定书文号 is written between any of these pairs (〔2026〕 on the document; a keyboard
# gives [2026] or (2026)): a number typed with one pair finds the number filed with another.
_DOC_BRACKETS = ("〔〕", "[]", "()", "（）", "【】", "［］", "﹝﹞", "{}", "｛｝")


def doc_number_forms(typed: str) -> list[str]:
    """The 决定书文号 as typed and with its one bracket pair written each usual way (an indexed IN)."""
    typed = typed.strip()
    bare = "".join(typed.split())
    pairs = [(o, c) for o, c in _DOC_BRACKETS if bare.count(o) == 1 and bare.count(c) == 1]
    if len(pairs) != 1 or bare.index(pairs[0][0]) > bare.index(pairs[0][1]):
        return [typed]
    o, c = pairs[0]
    return list(dict.fromkeys([typed] + [bare.replace(o, a).replace(c, b) for a, b in _DOC_BRACKETS]))


NAME_CAP = 1000
"""Most subjects a 双公示 name filter may stand for; a name matching more is too broad to filter by."""


async def _catalogue_rule():
    """R-17: a natural person appears in class A only in the categories the catalogue allows."""
    codes = await catalogue.natural_public_codes()
    others = R.subject.kind != SubjectKind.NATURAL
    return (others | R.category.is_in(codes)) if codes else others


@dataclass
class Page:
    items: list[dict]
    next_cursor: str | None = None
    extra: dict = field(default_factory=dict)


def _after(cursor: str | None, date_col, id_col):
    key = decode_date_id_cursor(cursor)
    if key is None:
        return None
    day, last_id = key
    return (date_col < day) | ((date_col == day) & (id_col < last_id))


def _page(rows: list[dict], limit: int, date_key: str) -> Page:
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = encode_cursor(rows[-1][date_key], rows[-1]["id"]) if more and rows else None
    return Page(items=rows, next_cursor=cursor)


async def subject_records(
    subject_id: int,
    tab: str,
    cursor: str | None = None,
    limit: int = 20,
    today: date | None = None,
    *,
    mark: bool = True,
) -> Page:
    """One tab of a profile; ``mark=False`` leaves the 异议处理中 marks to a caller that reads several
    tabs and marks them all with one query (``mark_pending``)."""
    today = today or today_cn()
    where = public(today) & (R.subject == subject_id) & TABS[tab] & await _catalogue_rule()
    if (after := _after(cursor, R.decision_date, R.id)) is not None:
        where &= after
    rows = (
        await R.select(*_RECORD_COLUMNS, R.subject.kind.as_alias("subject_kind"))
        .where(where)
        .order_by(R.decision_date, R.id, ascending=False)
        .limit(limit + 1)
    )
    page = _page(rows, limit, "decision_date")
    await _attach_details(page.items)
    await catalogue.mask_natural(page.items)
    if mark:
        await mark_pending(page.items)
    return page


async def disclosures(
    record_type: str | None = None,
    provider_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    cursor: str | None = None,
    limit: int = 20,
    today: date | None = None,
    ascending: bool = False,
    *,
    name: str = "",
    doc_number: str = "",
) -> Page:
    """双公示: public licence and penalty decisions, newest first (or oldest first for feeds).

    ``name``: legal persons whose name holds it (the name index gives their ids; natural persons
    are never found by name, R-17); ``doc_number``: the 决定书文号, its year in any usual brackets (its own index)."""
    where = await _filtered(today or today_cn(), provider_id, date_from, date_to, name, doc_number)
    if where is None:
        return Page([])
    key = decode_date_id_cursor(cursor)
    if key is not None:
        day, last_id = key
        if ascending:
            where &= (R.decision_date > day) | ((R.decision_date == day) & (R.id > last_id))
        else:
            where &= (R.decision_date < day) | ((R.decision_date == day) & (R.id < last_id))
    # One query per type, each walking its (record_type, decision_date, id) index in order, then a
    # merge: "record_type IN (...)" would make the database sort every matching row instead.
    rows: list[dict] = []
    for one_type in [record_type] if record_type else [RecordType.LICENSE, RecordType.PENALTY]:
        rows += (
            await R.select(*_RECORD_COLUMNS, *_SUBJECT_COLUMNS)
            .where(where & (R.record_type == one_type))
            .order_by(R.decision_date, R.id, ascending=ascending)
            .limit(limit + 1)
        )
    rows.sort(key=lambda r: (r["decision_date"], r["id"]), reverse=not ascending)
    rows = rows[: limit + 1]
    page = _page(rows, limit, "decision_date")
    for row in page.items:
        _public_subject_code(row)
    await _attach_details(page.items)
    await catalogue.mask_natural(page.items)
    await mark_pending(page.items)
    return page


async def _filtered(today, provider_id, date_from, date_to, name: str, doc_number: str):
    """The 双公示 conditions for these filters, or None when nothing can match."""
    where = public(today) & await _catalogue_rule()
    if name:
        ids = await legal_ids_by_name(name, NAME_CAP)
        if ids is None:
            raise InputError("name", f"名称过于宽泛：超过 {NAME_CAP} 个主体的名称含有这些字，请输入更完整的名称")
        if not ids:
            return None
        where &= R.subject.is_in(ids)
    if doc_number:
        where &= R.doc_number.is_in(doc_number_forms(doc_number))
    if provider_id:
        where &= R.provider == provider_id
    if date_from:
        where &= R.decision_date >= date_from
    if date_to:
        where &= R.decision_date <= date_to
    return where


async def count_disclosures(
    record_type: str | None,
    provider_id: int | None,
    date_from: date | None,
    date_to: date | None,
    *,
    name: str = "",
    doc_number: str = "",
    cap: int,
) -> int:
    """How many rows ``disclosures`` would give for these filters, counted up to ``cap + 1`` only
    (the export's row cap: never a count of everything)."""
    where = await _filtered(today_cn(), provider_id, date_from, date_to, name, doc_number)
    if where is None:
        return 0
    total = 0
    for one_type in [record_type] if record_type else [RecordType.LICENSE, RecordType.PENALTY]:
        total += len(await R.select(R.id).where(where & (R.record_type == one_type)).limit(cap + 1 - total))
        if total > cap:
            break
    return total


async def latest_disclosures(limit: int = 8) -> list[dict]:
    return (await disclosures(limit=limit)).items


async def disclosures_updated_at() -> datetime | None:
    """数据更新时间 of 双公示: the newest change of a class-A licence or penalty record, walking the
    updated_at index from its newest end (an index with the type and class first would draw the
    planner off the page's own walk)."""
    mine = R.record_type.is_in([RecordType.LICENSE, RecordType.PENALTY]) & (R.disclosure_class == DisclosureClass.A)
    row = await R.select(R.updated_at).where(mine).order_by(R.updated_at, ascending=False).first()
    return to_china(row["updated_at"]) if row and row["updated_at"] else None


def _public_subject_code(row: dict) -> None:
    """USCC for legal persons, the masked ID number for natural persons (R-17)."""
    row["subject_code"] = row.pop("subject_uscc") or row.pop("subject_id_masked", None) or ""
    row.pop("subject_id_masked", None)


async def _attach_details(rows: list[dict]) -> None:
    """Add the 双公示 standard items to licence and penalty rows (two queries, no N+1)."""
    for record_type, table in ((RecordType.LICENSE, LicenseDetail), (RecordType.PENALTY, PenaltyDetail)):
        ids = [r["id"] for r in rows if r["record_type"] == record_type]
        if not ids:
            continue
        details = await table.select().where(table.record.is_in(ids))
        by_record = {d["record"]: {k: v for k, v in d.items() if k not in _DETAIL_EXCLUDE} for d in details}
        for row in rows:
            if row["id"] in by_record:
                row["detail"] = by_record[row["id"]]


async def mark_pending(rows: list[dict]) -> None:
    """R-24: a record under objection stays published and in force, marked 异议处理中.
    One query for the whole page, never one per row."""
    pending = await pending_record_ids(r["id"] for r in rows)
    for row in rows:
        row["objection_pending"] = row["id"] in pending
