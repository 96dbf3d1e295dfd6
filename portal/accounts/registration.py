"""Self-registration of citizens and enterprises (SPEC §7, R-18, DESIGN rule 8).

A registration is a claim, not a fact: the typed name and ID number (or company name and USCC) are
kept as the account's claim, and the account is linked to no subject until staff accept its proof.
Registration never reads the subject table, so it answers the same — same page, same work, same
time — whether or not the number or USCC is held on the platform.
"""

from __future__ import annotations

from portal.accounts.passwords import hash_password_async
from portal.accounts.service import AccountError, _check_username, _ensure_free, validate_password
from portal.accounts.tables import Account, Role
from portal.lib import id_number as idn
from portal.lib import uscc as uscc_rules
from portal.proofs.claims import legal_claim, natural_claim
from portal.proofs.tables import IdentityClaim

__all__ = ["register_citizen", "register_enterprise"]


def _name(value: str, message: str, longest: int = 30) -> str:
    value = " ".join((value or "").split())
    if not 2 <= len(value) <= longest:
        raise AccountError(message)
    return value


async def _create(username: str, password: str, role: str, display_name: str, claim: IdentityClaim) -> int:
    await _ensure_free(username)
    password_hash = await hash_password_async(password)
    async with Account._meta.db.transaction():
        rows = await Account.insert(
            Account(username=username, password_hash=password_hash, role=role, display_name=display_name)
        )
        claim.account = rows[0]["id"]
        await IdentityClaim.insert(claim)
    return rows[0]["id"]


async def register_citizen(username: str, password: str, name: str, id_number: str) -> int:
    """A citizen account claiming a name and an ID number; returns the account id."""
    username = _check_username(username)
    validate_password(password, username)
    name = _name(name, "请填写真实姓名")
    number = idn.normalize(id_number)
    if error := idn.validation_error(number):
        raise AccountError(error)
    return await _create(username, password, Role.CITIZEN, name, natural_claim(name, number))


async def register_enterprise(username: str, password: str, uscc: str, contact_name: str, company: str) -> int:
    """An enterprise account claiming a company (name + USCC), kept by a named contact person."""
    username = _check_username(username)
    validate_password(password, username)
    code = uscc_rules.normalize(uscc)
    if error := uscc_rules.validation_error(code):
        raise AccountError(error)
    company = _name(company, "请填写企业名称", longest=100)
    contact_name = _name(contact_name, "请填写经办人姓名")
    return await _create(username, password, Role.ENTERPRISE, contact_name, legal_claim(company, code))
