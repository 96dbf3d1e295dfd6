"""Authentication and account creation by the administrator (registration: ``registration.py``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

from portal.accounts import throttle
from portal.accounts.passwords import hash_password_async, verify_password_async
from portal.accounts.tables import Account, Role
from portal.proofs.claims import organisation_claim
from portal.proofs.tables import IdentityClaim

__all__ = ["AccountError", "Throttled", "authenticate", "create_account", "validate_password"]

USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{3,31}$")


class AccountError(ValueError):
    """A problem the user can fix; the message is shown as is (Chinese)."""


class Throttled(Exception):
    pass


@dataclass(frozen=True)
class Authenticated:
    account_id: int
    role: str


def validate_password(password: str, username: str) -> None:
    if len(password) < 10:
        raise AccountError("密码至少10位")
    if len(password) > 128:
        raise AccountError("密码不能超过128位")
    if username and username.lower() in password.lower():
        raise AccountError("密码不能包含用户名")
    kinds = sum(bool(re.search(p, password)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]"))
    if kinds < 3:
        raise AccountError("密码须包含大写字母、小写字母、数字、符号中的至少三类")


def _check_username(username: str) -> str:
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise AccountError("用户名须为4-32位小写字母、数字或 . _ -，并以字母或数字开头")
    return username


async def _ensure_free(username: str) -> None:
    if await Account.exists().where(Account.username == username):
        raise AccountError("该用户名已被使用")


async def authenticate(username: str, password: str, client_ip: str) -> Authenticated | None:
    """The account if the password is right; None otherwise. Raises Throttled when locked out."""
    username = username.strip().lower()[:64]
    if await throttle.is_throttled(username, client_ip):
        raise Throttled()
    row = (
        await Account.select(Account.id, Account.password_hash, Account.role, Account.is_active)
        .where(Account.username == username)
        .first()
    )
    ok, new_hash = await verify_password_async(row["password_hash"] if row else None, password)
    if not ok or not row["is_active"]:
        await throttle.record_failure(username, client_ip)
        return None
    await throttle.clear_failures(username)
    changes = {Account.last_login_at: datetime.now(timezone.utc)}
    if new_hash:  # parameters were raised since this hash was made
        changes[Account.password_hash] = new_hash
    await Account.update(changes).where(Account.id == row["id"])
    return Authenticated(account_id=row["id"], role=row["role"])


async def create_account(
    username: str, password: str, role: str, display_name: str, agency_id: int | None = None, organisation: str = ""
) -> int:
    username = _check_username(username)
    validate_password(password, username)
    if role not in Role.LABELS:
        raise AccountError("未知角色")
    if role == Role.AGENCY and not agency_id:
        raise AccountError("部门用户必须指定所属部门")
    await _ensure_free(username)
    # DESIGN rule 8: a credit-service body's organisation name is a claim until its proof is accepted.
    claim = organisation_claim(organisation.strip()) if role == Role.THIRD_PARTY else None
    async with Account._meta.db.transaction():
        rows = await Account.insert(
            Account(
                username=username,
                password_hash=await hash_password_async(password),
                role=role,
                display_name=display_name,
                agency=agency_id,
                organisation="" if claim else organisation,
            )
        )
        if claim is not None:
            claim.account = rows[0]["id"]
            await IdentityClaim.insert(claim)
    return rows[0]["id"]
