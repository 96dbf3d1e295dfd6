"""Identity claims: what an account says about who it is (DESIGN rule 8).

A claim is stored at registration without looking at the subject table, so registration answers
the same whether or not the number or USCC is held. Nothing here is shown to others or acted on
until a proof is accepted (``portal.proofs.service``).
"""

from __future__ import annotations

from datetime import datetime, timezone

from portal.lib.masking import mask_id_number
from portal.proofs.tables import ClaimKind, IdentityClaim
from portal.subjects.identity import id_number_digest, seal_id_number

__all__ = ["UNVERIFIED", "natural_claim", "legal_claim", "organisation_claim", "claim_of", "unverified"]

C = IdentityClaim
UNVERIFIED = "（未核验）"


def unverified(name: str) -> str:
    """A name the account typed, as others may see it before a proof (DESIGN rule 8)."""
    return f"{name}{UNVERIFIED}" if name else UNVERIFIED


def _now() -> datetime:
    return datetime.now(timezone.utc)


def natural_claim(name: str, number: str) -> IdentityClaim:
    """Name + ID number (already normalised and validated). Unsaved: the caller sets ``account``."""
    return C(
        kind=ClaimKind.NATURAL,
        claimed_name=name,
        id_number_digest=id_number_digest(number),
        id_number_masked=mask_id_number(number),
        id_number_sealed=seal_id_number(number),
        created_at=_now(),
    )


def legal_claim(company: str, uscc: str) -> IdentityClaim:
    return C(kind=ClaimKind.LEGAL, claimed_name=company, uscc=uscc, created_at=_now())


def organisation_claim(name: str) -> IdentityClaim:
    return C(kind=ClaimKind.ORGANISATION, claimed_name=name, created_at=_now())


async def claim_of(account_id: int) -> dict | None:
    return await C.select().where(C.account == account_id).first()


async def claims_of(account_ids: list[int]) -> dict[int, dict]:
    if not account_ids:
        return {}
    return {row["account"]: row for row in await C.select().where(C.account.is_in(account_ids))}
