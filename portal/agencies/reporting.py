"""Counts of what an agency has reported, by type and class, and when it last reported (R-13)."""

from __future__ import annotations

from piccolo.query.functions.aggregate import Count, Max

from portal.agencies.tables import Agency
from portal.records.tables import CreditRecord


async def reporting_summary(agency_id: int | None) -> dict:
    agency = await Agency.select(Agency.name, Agency.code).where(Agency.id == agency_id).first() if agency_id else None
    if agency is None:
        return {"agency": None, "rows": [], "last_reported": None}
    R = CreditRecord
    rows = (
        await R.select(R.record_type, R.disclosure_class, Count(R.id, alias="n"), Max(R.created_at, alias="last"))
        .where(R.provider == agency_id)
        .group_by(R.record_type, R.disclosure_class)
        .order_by(R.record_type)
    )
    last = max((r["last"] for r in rows if r["last"]), default=None)
    return {"agency": agency, "rows": rows, "last_reported": last}
