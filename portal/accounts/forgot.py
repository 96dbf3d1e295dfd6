"""Self-service password reset by a link e-mailed to the account's verified address (R-14).

The answer is the same whether or not the account exists or has a verified address, and the work
done is the same (look up, count against the throttle, queue or not): nobody learns from it which
accounts exist. The mail goes through the outbox, never sent inside the request. Requests are
counted by the login throttle, per client address and per account, so it cannot mail-bomb anyone.
"""

from __future__ import annotations

import hashlib
import logging

from portal.accounts import throttle
from portal.accounts.recovery import LinkKind, sign
from portal.accounts.service import AccountError
from portal.accounts.tables import Account
from portal.notices import mail
from portal.notices.tables import NoticeEmail
from portal.settings import get_settings

__all__ = ["MAIL", "ANSWER", "request_link"]

MAX_AGE = 30 * 60
MAIL = LinkKind("password-reset-mail", MAX_AGE, "重置链接无效、已使用或已过期，请重新申请找回密码")
ANSWER = "如该账号已绑定并验证邮箱，重置链接已发送至该邮箱，30 分钟内有效。请查收邮件；未收到可稍后再试。"
log = logging.getLogger("portal")


async def _account(identifier: str) -> dict | None:
    """By username, or by a verified e-mail address."""
    A, E = Account, NoticeEmail
    if "@" in identifier:
        row = await E.select(E.account).where((E.address == identifier) & E.verified_at.is_not_null()).first()
        where = A.id == (row["account"] if row else -1)
    else:
        where = A.username == identifier[:64]
    return await A.select(A.id, A.password_hash, A.is_active).where(where).first()


def _throttle_key(identifier: str, account: dict | None) -> str:
    # Per account, whichever name was typed; an unknown name is counted the same way (no tell).
    if account is not None:
        return f"pwmail:{account['id']}"
    return "pwmail:?" + hashlib.sha256(identifier.encode()).hexdigest()[:40]


async def request_link(identifier: str, client: str, base_url: str) -> None:
    """Queue a reset link if the account has a verified address; raises ``Throttled`` when asked
    too often (per address or per account), ``AccountError`` only for an empty form."""
    identifier = identifier.strip().lower()[:254]
    if not identifier:
        raise AccountError("请填写用户名或已验证的邮箱地址")
    account = await _account(identifier)
    # Counted as the login throttle counts attempts, in a bucket of its own for the address.
    await throttle.admit(f"pwmail:{client}", _throttle_key(identifier, account))
    if account is None or not account["is_active"] or not get_settings().mail_enabled:
        return
    E = NoticeEmail
    row = await E.select(E.address).where((E.account == account["id"]) & E.verified_at.is_not_null()).first()
    if not row or not row["address"]:
        return
    link = f"{base_url.rstrip('/')}/password/reset/{sign(MAIL, account['id'], account['password_hash'])}"
    body = (
        f"您（或他人）申请重置信用郑州账号的登录密码。请在 {MAX_AGE // 60} 分钟内打开以下链接设置新密码，"
        f"链接只能使用一次：\n\n{link}\n\n如非本人操作，请忽略本邮件，您的密码不会改变。"
        "\n\n——信用郑州 公共信用信息服务平台（本邮件由系统发送，请勿回复）"
    )
    await mail.enqueue(row["address"], "【信用郑州】重置登录密码", body)
    log.info("password reset link queued by e-mail for account %s", account["id"])  # never the token
