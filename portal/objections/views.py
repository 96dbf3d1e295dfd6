"""Reading objections (R-22 … R-24): the 异议处理中 marker, the applicant's list, the centre's
queue, the agency desk, and one objection with its steps. Due dates are counted here, from the
stored step dates, on the working-day calendar (SPEC §6)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date

from portal.calendar.service import load_calendar
from portal.lib.dates import to_china, today_cn
from portal.lib.workdays import WorkdayCalendar
from portal.objections.stages import OPEN_STAGES, Stage, due_of
from portal.objections.tables import CorrectionNotice, Objection, ObjectionDocument, ObjectionStep
from portal.records.tables import CreditRecord, RecordChange

__all__ = [
    "pending_record_ids",
    "for_subject",
    "detail",
    "queue",
    "correction_notices",
    "documents",
    "LIST_LIMIT",
]

OB = Objection
LIST_LIMIT = 200
_LIST_COLUMNS = (
    OB.id,
    OB.number,
    OB.subject,
    OB.record,
    OB.agency,
    OB.agency.name.as_alias("agency_name"),
    OB.record.title.as_alias("record_title"),
    OB.record.disclosure_class.as_alias("record_class"),
    OB.subject.name.as_alias("subject_name"),
    OB.channel,
    OB.applicant_name,
    OB.received_on,
    OB.stage,
    OB.forwarded_on,
    OB.answered_on,
    OB.closed_on,
    OB.outcome,
)


async def pending_record_ids(record_ids: Iterable[int]) -> set[int]:
    """Which of these records have an open objection (R-24: shown as 异议处理中)."""
    ids = sorted(set(record_ids))
    if not ids:
        return set()
    rows = await OB.select(OB.record).where(OB.record.is_in(ids) & OB.stage.is_in(list(OPEN_STAGES)))
    return {r["record"] for r in rows}


def _with_due(rows: list[dict], calendar: WorkdayCalendar, today: date) -> list[dict]:
    for row in rows:
        row["due"] = due_of(row, calendar, today)
    return rows


async def for_subject(subject_id: int) -> list[dict]:
    rows = (
        await OB.select(*_LIST_COLUMNS)
        .where(OB.subject == subject_id)
        .order_by(OB.id, ascending=False)
        .limit(LIST_LIMIT)
    )
    return _with_due(rows, await load_calendar(), today_cn())


async def queue(
    *, stage: str | None = None, agency_id: int | None = None, overdue: bool = False, open_only: bool = True
) -> list[dict]:
    """The centre's queue (or an agency's desk), the most urgent first; undatable ones on top.
    An agency sees an objection from the day it was forwarded (R-23), never before."""
    where = OB.id > 0
    if stage:
        where &= OB.stage == stage
    elif open_only:
        where &= OB.stage.is_in(list(OPEN_STAGES))
    if agency_id is not None:
        where &= (OB.agency == agency_id) & OB.forwarded_on.is_not_null()
    rows = await OB.select(*_LIST_COLUMNS).where(where).order_by(OB.received_on).limit(LIST_LIMIT)
    rows = _with_due(rows, await load_calendar(), today_cn())
    if overdue:
        rows = [r for r in rows if r["due"] and r["due"].overdue]

    def urgency(row):
        due = row["due"]
        if due is None:
            return (2, date.max, row["id"])
        return (0, date.min, row["id"]) if due.on is None else (1, due.on, row["id"])

    return sorted(rows, key=urgency)


async def documents(objection_id: int) -> list[dict]:
    D = ObjectionDocument
    return (
        await D.select(
            D.party,
            D.upload.token.as_alias("token"),
            D.upload.purpose.as_alias("purpose"),
            D.upload.original_name.as_alias("name"),
            D.upload.size.as_alias("size"),
        )
        .where(D.objection == objection_id)
        .order_by(D.id)
    )


async def detail(objection_id: int) -> dict | None:
    """One objection with its record (as disputed and as it is now), steps, documents and due date."""
    row = (
        await OB.select(
            *_LIST_COLUMNS, OB.statement, OB.contact, OB.answer, OB.decision_no, OB.decision_text, OB.record_version
        )
        .where(OB.id == objection_id)
        .first()
    )
    if row is None:
        return None
    R = CreditRecord
    row["record_now"] = (
        await R.select(
            R.id,
            R.title,
            R.category,
            R.polarity,
            R.disclosure_class,
            R.doc_number,
            R.decision_date,
            R.content,
            R.status,
            R.version,
            R.provider.name.as_alias("provider_name"),
        )
        .where(R.id == row["record"])
        .first()
    )
    row["record_disputed"] = await _as_disputed(row["record"], row["record_version"], row["record_now"])
    steps = await ObjectionStep.select().where(ObjectionStep.objection == objection_id).order_by(ObjectionStep.id)
    for step in steps:
        step["at"] = to_china(step["at"])
    row["steps"] = steps
    row["documents"] = await documents(objection_id)
    row["due"] = due_of(row, await load_calendar(), today_cn())
    row["is_open"] = row["stage"] in OPEN_STAGES
    return row


async def _as_disputed(record_id: int, version: int, now: dict) -> dict:
    """The record as the applicant disputed it: the history snapshot of that version once it
    changed (R-11), else the record as it is."""
    change = (
        await RecordChange.select(RecordChange.snapshot)
        .where((RecordChange.record == record_id) & (RecordChange.version == version))
        .first()
    )
    if change is None:
        return now
    was = change["snapshot"]
    was = json.loads(was) if isinstance(was, str) else was
    if isinstance(was.get("decision_date"), str):
        was["decision_date"] = date.fromisoformat(was["decision_date"][:10])
    return {**now, **{k: was[k] for k in ("title", "content", "doc_number", "decision_date", "status") if k in was}}


async def correction_notices(subject_id: int) -> list[dict]:
    """更正公告 of a subject, newest first (R-24: reputation restored in public)."""
    C = CorrectionNotice
    rows = (
        await C.select(C.title, C.body, C.published_at).where(C.subject == subject_id).order_by(C.id, ascending=False)
    )
    for row in rows:
        row["published_at"] = to_china(row["published_at"])
    return rows


STAGE_FILTERS = {"": "全部未办结", **{k: v for k, v in Stage.LABELS.items()}}
