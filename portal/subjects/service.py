"""Subject look-ups for public pages: legal persons by USCC, public fields only (R-17)."""

from __future__ import annotations

from portal.lib import uscc as uscc_rules
from portal.subjects.tables import Subject, SubjectKind

__all__ = ["public_profile", "PUBLIC_FIELDS"]

S = Subject
PUBLIC_FIELDS = (
    S.id,
    S.name,
    S.uscc,
    S.subject_type,
    S.legal_representative,
    S.registration_authority,
    S.established_on,
    S.registered_capital,
    S.address,
    S.business_scope,
    S.registration_status,
)


async def public_profile(code: str) -> dict | None:
    """The public 基本信息 of a legal person, or None (unknown, invalid, or not a legal person)."""
    code = uscc_rules.normalize(code)
    if not uscc_rules.is_valid(code):
        return None
    return await S.select(*PUBLIC_FIELDS).where((S.uscc == code) & (S.kind == SubjectKind.LEGAL)).first()
