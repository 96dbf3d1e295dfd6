"""The agency desk's reads (R-11, R-12): an officer sees only the records its own agency provided,
newest first, by keyset paging; changes go through ``service.report`` so history is kept."""

from __future__ import annotations

from portal.records import service as records
from portal.records.tables import CreditRecord, LicenseDetail, PenaltyDetail

__all__ = ["PAGE", "own_records", "own_record"]

PAGE = 30
R = CreditRecord


async def own_records(agency_id: int, q: str = "", before: int | None = None) -> tuple[list[dict], int | None]:
    """The agency's records, newest first; ``q`` is a record number or part of a title."""
    where = R.provider == agency_id
    q = q.strip()[:100]
    if q:
        words = q.replace("%", "").replace("_", "")  # typed literally, never a pattern
        # SQLite's LIKE already ignores the case of Latin letters; ILIKE is PostgreSQL's.
        like = R.title.ilike if R._meta.db.engine_type == "postgres" else R.title.like
        where &= (R.provider_ref == q) | (like(f"%{words}%") if words else R.provider_ref == q)
    if before is not None:
        where &= R.id < before
    rows = (
        await R.select(
            R.id,
            R.provider_ref,
            R.title,
            R.record_type,
            R.category,
            R.disclosure_class,
            R.status,
            R.version,
            R.decision_date,
            R.channel,
            R.subject.name.as_alias("subject_name"),
        )
        .where(where)
        .order_by(R.id, ascending=False)
        .limit(PAGE + 1)
    )
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    return rows, (rows[-1]["id"] if more else None)


async def own_record(agency_id: int, record_id: int) -> dict | None:
    """The record with its subject, detail and history — None unless this agency provided it."""
    row = (
        await R.select(
            R.all_columns(),
            R.subject.name.as_alias("subject_name"),
            R.subject.kind.as_alias("subject_kind"),
            R.subject.uscc.as_alias("subject_uscc"),
            R.subject.id_number_masked.as_alias("subject_masked"),
        )
        .where((R.id == record_id) & (R.provider == agency_id))
        .first()
    )
    if row is None:
        return None
    detail_table = {"penalty": PenaltyDetail, "license": LicenseDetail}.get(row["record_type"])
    row["detail"] = (
        await detail_table.select().where(detail_table.record == record_id).first() if detail_table else None
    )
    row["history"] = await records.history(record_id)
    return row
