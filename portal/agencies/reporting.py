"""Counts of what an agency has reported, by type and class, and when it last reported (R-13)."""

from __future__ import annotations

from piccolo.query.functions.aggregate import Count

from portal.agencies.tables import Agency
from portal.records.tables import CreditRecord


async def reporting_summary(agency_id: int | None) -> dict:
    agency = await Agency.select(Agency.name, Agency.code).where(Agency.id == agency_id).first() if agency_id else None
    if agency is None:
        return {"agency": None, "rows": [], "last_reported": None}
    R = CreditRecord
    rows = (
        await R.select(R.record_type, R.disclosure_class, Count(R.id, alias="n"))
        .where(R.provider == agency_id)
        .group_by(R.record_type, R.disclosure_class)
        .order_by(R.record_type, R.disclosure_class)
    )
    # The column itself, not MAX(created_at): an aggregate has no declared type, so SQLite hands
    # it back as text where PostgreSQL gives a timestamp (R-13 timeliness needs a datetime).
    last = (
        await R.select(R.created_at)
        .where(R.provider == agency_id)
        .order_by(R.created_at, ascending=False)
        .limit(1)
        .first()
    )
    return {"agency": agency, "rows": rows, "last_reported": last["created_at"] if last else None}
