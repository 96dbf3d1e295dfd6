"""One-time password reset links (ASVS V2.5): handed over at the counter by centre staff, or
e-mailed to a verified address (``forgot.py``).

The counter link is signed after the person is checked in front of staff, valid 24 hours; the
e-mailed one 30 minutes. Each kind has its own salt, and both are bound to the account's current
password hash, so a link dies the moment any new password is set: single use without a store of
used tokens.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

from portal.accounts import throttle
from portal.accounts.passwords import hash_password_async
from portal.accounts.service import AccountError, validate_password
from portal.accounts.sessions import end_all_sessions
from portal.accounts.tables import Account, Role
from portal.lib import id_number as idn
from portal.notices.service import notify
from portal.settings import get_settings
from portal.subjects.identity import id_number_digest
from portal.subjects.tables import Subject, SubjectKind

__all__ = [
    "MAX_AGE",
    "INVALID",
    "NOT_AT_COUNTER",
    "LinkKind",
    "COUNTER",
    "issue_reset_link",
    "sign",
    "reset_target",
    "reset_password",
    "set_password_by_operator",
]

MAX_AGE = 24 * 60 * 60
log = logging.getLogger("portal")
INVALID = "重置链接无效、已使用或已过期，请到信用中心窗口重新办理"
NOT_AT_COUNTER = (
    "窗口只能为个人、企业和信用服务机构账号签发重置链接。工作人员、部门、审计员和管理员账号"
    "请通过已验证的邮箱找回密码，或由系统运维人员在服务器上重置"
)
# Counter links are for the public's accounts. Staff resetting an internal account would let one
# role take over another (an auditor's or administrator's, SPEC §7), with nothing to check it against.
COUNTER_ROLES = frozenset({Role.CITIZEN, Role.ENTERPRISE, Role.THIRD_PARTY})


@dataclass(frozen=True)
class LinkKind:
    salt: str
    max_age: int
    invalid: str
    """The message for a dead link: where to get a new one."""


COUNTER = LinkKind("password-reset", MAX_AGE, INVALID)


def _serializer(kind: LinkKind = COUNTER) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt=kind.salt)


def _fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:32]


def sign(kind: LinkKind, account_id: int, password_hash: str) -> str:
    return _serializer(kind).dumps({"a": account_id, "h": _fingerprint(password_hash)})


async def issue_reset_link(staff_id: int, username: str, id_number: str, checked: bool) -> str:
    """The token for ``/reset/{token}``. ``checked``: staff saw the person's valid ID in person;
    for an account linked to a natural person the number on that ID must be the linked one (R-18)."""
    if not checked:
        raise AccountError("请先当面核验本人有效身份证件，并勾选确认")
    row = (
        await Account.select(Account.id, Account.role, Account.password_hash, Account.is_active, Account.subject)
        .where(Account.username == username.strip().lower()[:64])
        .first()
    )
    if row is None:
        raise AccountError("没有该用户名的账号")
    if row["id"] == staff_id:
        raise AccountError("不能为自己的账号签发重置链接，请由其他工作人员办理")
    if row["role"] not in COUNTER_ROLES:
        raise AccountError(NOT_AT_COUNTER)
    if not row["is_active"]:
        raise AccountError("该账号已停用，不能重置密码")
    if row["subject"]:
        subject = (
            await Subject.select(Subject.kind, Subject.id_number_digest).where(Subject.id == row["subject"]).first()
        )
        if subject and subject["kind"] == SubjectKind.NATURAL:
            number = idn.normalize(id_number)
            if error := idn.validation_error(number):
                raise AccountError(error)
            if subject["id_number_digest"] != id_number_digest(number):
                raise AccountError("证件号码与该账号登记的信息不一致")
    log.info("password reset link issued by account %s for account %s", staff_id, row["id"])
    return sign(COUNTER, row["id"], row["password_hash"])


async def reset_target(token: str, kind: LinkKind = COUNTER) -> dict | None:
    """``{"id", "username", "password_hash"}`` while the link is valid and unused; else None."""
    try:
        claim = _serializer(kind).loads(token, max_age=kind.max_age)
    except BadSignature:
        return None
    if not isinstance(claim, dict) or not isinstance(claim.get("a"), int):
        return None
    row = (
        await Account.select(Account.id, Account.username, Account.password_hash, Account.is_active)
        .where(Account.id == claim["a"])
        .first()
    )
    if row is None or not row["is_active"] or _fingerprint(row["password_hash"]) != claim.get("h"):
        return None
    return row


async def reset_password(token: str, new: str, new2: str, kind: LinkKind = COUNTER) -> None:
    target = await reset_target(token, kind)
    if target is None:
        raise AccountError(kind.invalid)
    if new != new2:
        raise AccountError("两次输入的新密码不一致")
    validate_password(new, target["username"])
    new_hash = await hash_password_async(new)
    # Guarded by the hash the link was bound to: of two uses at once, one wins.
    done = (
        await Account.update({Account.password_hash: new_hash})
        .where((Account.id == target["id"]) & (Account.password_hash == target["password_hash"]))
        .returning(Account.id)
    )
    if not done:
        raise AccountError(kind.invalid)
    await _after_reset(target, "您的账号已通过重置链接设置新密码")
    log.info("password reset by %s link for account %s", kind.salt, target["id"])


async def set_password_by_operator(username: str, new: str) -> int:
    """``python -m portal set-password``: the way back into an internal account (staff, agency,
    auditor, administrator) without a verified mailbox — by whoever runs the server, not by a
    colleague at the counter. Returns the account id."""
    target = (
        await Account.select(Account.id, Account.username, Account.is_active)
        .where(Account.username == username.strip().lower()[:64])
        .first()
    )
    if target is None:
        raise AccountError("没有该用户名的账号")
    if not target["is_active"]:
        raise AccountError("该账号已停用，不能重置密码")
    validate_password(new, target["username"])
    await Account.update({Account.password_hash: await hash_password_async(new)}).where(Account.id == target["id"])
    await _after_reset(target, "系统运维人员已为您的账号设置新密码")
    log.info("password set by the operator for account %s", target["id"])
    return target["id"]


async def _after_reset(target: dict, how: str) -> None:
    await end_all_sessions(target["id"])
    # The owner proved who they are (at the counter, by the mailbox, to the operator): any delay
    # strangers caused ends too.
    await throttle.clear(throttle.account_key(target["username"]))
    # the account is told, so a reset it did not ask for does not go unnoticed.
    await notify(
        target["id"],
        "account",
        "您的登录密码已重置",
        f"{how}，所有已登录的设备均已退出。如非本人操作，请立即联系信用中心。",
    )
