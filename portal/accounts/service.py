"""Authentication and account creation by the administrator (registration: ``registration.py``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

from portal.accounts import devices, throttle
from portal.accounts.passwords import hash_password_async, verify_password_async
from portal.accounts.sessions import create_session, end_all_sessions
from portal.accounts.tables import Account, Role
from portal.proofs.claims import organisation_claim
from portal.proofs.tables import IdentityClaim

__all__ = [
    "AccountError",
    "Throttled",
    "account_row",
    "authenticate",
    "change_password",
    "create_account",
    "validate_password",
]

USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{3,31}$")


class AccountError(ValueError):
    """A problem the user can fix; the message is shown as is (Chinese)."""


Throttled = throttle.Throttled


@dataclass(frozen=True)
class Authenticated:
    account_id: int
    role: str
    device_token: str | None = None
    """A new device cookie for this browser (None when it already holds one for this account)."""


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


async def authenticate(
    username: str, password: str, client_ip: str, device_token: str | None = None
) -> Authenticated | None:
    """The account if the password is right; None otherwise. Raises Throttled (with the wait) when
    this account, device or address must wait before another attempt is checked."""
    username = username.strip().lower()[:64]
    device = devices.device_for(device_token, username)
    key = throttle.device_key(device) if device else throttle.account_key(username)
    await throttle.admit(client_ip, key)  # counted before the check: concurrent guesses cannot overtake it
    row = (
        await Account.select(Account.id, Account.password_hash, Account.role, Account.is_active)
        .where(Account.username == username)
        .first()
    )
    ok, new_hash = await verify_password_async(row["password_hash"] if row else None, password)
    if not ok or not row["is_active"]:
        return None
    await throttle.succeeded(client_ip, key)
    changes = {Account.last_login_at: datetime.now(timezone.utc)}
    if new_hash:  # parameters were raised since this hash was made
        changes[Account.password_hash] = new_hash
    await Account.update(changes).where(Account.id == row["id"])
    return Authenticated(
        account_id=row["id"], role=row["role"], device_token=None if device else devices.issue(username)
    )


async def change_password(account_id: int, current: str, new: str, new2: str, client_ip: str) -> str:
    """Set a new password (the current one proves it is the owner, not a stolen session); every
    session of the account ends and a fresh one is returned for this browser."""
    row = await Account.select(Account.username, Account.password_hash).where(Account.id == account_id).first()
    if new != new2:
        raise AccountError("两次输入的新密码不一致")
    validate_password(new, row["username"])
    if new == current:
        raise AccountError("新密码不能与当前密码相同")
    key = throttle.account_key(row["username"])
    await throttle.admit(client_ip, key)  # guessing through this form is throttled like the login
    ok, _ = await verify_password_async(row["password_hash"], current)
    if not ok:
        raise AccountError("当前密码不正确")
    await throttle.succeeded(client_ip, key)
    new_hash = await hash_password_async(new)
    # Guarded by the old hash: two changes at once cannot both win.
    done = (
        await Account.update({Account.password_hash: new_hash})
        .where((Account.id == account_id) & (Account.password_hash == row["password_hash"]))
        .returning(Account.id)
    )
    if not done:
        raise AccountError("密码已在别处被修改，请重新登录")
    await end_all_sessions(account_id)
    return await create_session(account_id)


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


async def account_row(account_id: int) -> dict | None:
    """The whole account row, for services that act on an account (filing, proofs)."""
    return await Account.select().where(Account.id == account_id).first()
