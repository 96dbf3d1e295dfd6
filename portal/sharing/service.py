"""Which class-C categories go to whom (R-15: limited-shared information, per data category)."""

from __future__ import annotations

from portal.agencies.tables import AgencyGrant

__all__ = ["shareable_under_authorisation", "agency_c_grants"]


async def shareable_under_authorisation() -> frozenset[str]:
    """Class-C categories a third party may receive under a subject's written authorisation:
    none until staff mark one (R-15)."""
    return frozenset()


async def agency_c_grants(agency_id: int) -> frozenset[str]:
    rows = await AgencyGrant.select(AgencyGrant.category).where(AgencyGrant.agency == agency_id)
    return frozenset(r["category"] for r in rows)
