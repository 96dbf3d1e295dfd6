"""What the account page shows about the logged-in account (its own data only)."""

from __future__ import annotations

from portal.accounts.sessions import Principal
from portal.agencies.tables import Agency
from portal.subjects.tables import Subject


async def account_overview(principal: Principal) -> dict:
    subject = None
    if principal.subject_id:
        subject = (
            await Subject.select(Subject.name, Subject.kind, Subject.uscc, Subject.id_number_masked)
            .where(Subject.id == principal.subject_id)
            .first()
        )
    agency = None
    if principal.agency_id:
        agency = await Agency.select(Agency.name).where(Agency.id == principal.agency_id).first()
    return {"me": principal, "subject": subject, "agency": agency}
