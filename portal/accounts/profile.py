"""What the account page shows about the logged-in account (its own data only).

Before a proof is accepted the page shows what the account claimed, marked unverified, and
nothing the platform holds about the number or USCC it typed (DESIGN rule 8).
"""

from __future__ import annotations

from portal.accounts.sessions import Principal
from portal.accounts.tables import Role
from portal.agencies.tables import Agency
from portal.proofs.claims import UNVERIFIED, claim_of
from portal.proofs.service import PROVABLE_ROLES, is_proven
from portal.subjects.tables import Subject

__all__ = ["account_overview"]


async def account_overview(principal: Principal) -> dict:
    provable = principal.role in PROVABLE_ROLES
    proven = await is_proven(principal.account_id) if provable else False
    subject = claim = None
    if proven and principal.subject_id:
        subject = (
            await Subject.select(Subject.name, Subject.kind, Subject.uscc, Subject.id_number_masked)
            .where(Subject.id == principal.subject_id)
            .first()
        )
    elif provable and not proven:
        claim = await claim_of(principal.account_id)
    agency = None
    if principal.agency_id:
        agency = await Agency.select(Agency.name).where(Agency.id == principal.agency_id).first()
    verify_url = "/account/verify" if principal.role == Role.THIRD_PARTY else "/me/verify"
    return {
        "me": principal,
        "subject": subject,
        "claim": claim,
        "agency": agency,
        "provable": provable,
        "proven": proven,
        "unverified": UNVERIFIED,
        "verify_url": verify_url,
        "id_number": None,
        "error": None,
    }
