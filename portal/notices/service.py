"""Notices (the inbox), e-mail addresses and preferences. ``notify`` is what other domains call."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from portal.accounts.tables import Account
from portal.notices import codes, mail, sms
from portal.notices.tables import Notice, NoticeEmail, NoticePreference
from portal.settings import get_settings

__all__ = [
    "KINDS",
    "NoticeError",
    "notify",
    "notify_subject",
    "inbox",
    "unread_count",
    "mark_read",
    "mark_all_read",
    "email_state",
    "request_address",
    "verify_code",
    "preferences",
    "set_preferences",
]

N = Notice
E = NoticeEmail
P = NoticePreference
PAGE = 20
CODE_MINUTES = codes.CODE_MINUTES
CODE_TRIES = codes.CODE_TRIES
KINDS = {
    "authorization": "授权查询申请及其处理结果",
    "objection": "异议的受理、转送、处理结果和办理期限提醒",
    "commitment": "信用承诺的违诺认定",
    "verification": "信用信息核查申请的受理与查询意见出具",
    "credit_report": "信用服务机构上传的信用报告",
}
"""Kinds a user may switch e-mail off for (the inbox always receives every notice)."""
_ADDRESS = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


class NoticeError(ValueError):
    """A problem the user can fix; the message is shown as is (Chinese)."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _db():
    return N._meta.db


async def _email_for(account_id: int, kind: str) -> str | None:
    if not get_settings().mail_enabled:
        return None
    row = await E.select(E.address).where((E.account == account_id) & E.verified_at.is_not_null()).first()
    if not row or not row["address"]:
        return None
    pref = await P.select(P.email).where((P.account == account_id) & (P.kind == kind)).first()
    return None if pref is not None and not pref["email"] else row["address"]


def _mail_body(body: str, link: str) -> str:
    base = get_settings().base_url
    text = body
    if link and base:
        text += f"\n\n{base.rstrip('/')}{link}"
    return text + "\n\n——信用郑州 公共信用信息服务平台（本邮件由系统发送，请勿回复）"


async def notify(account_id: int, kind: str, title: str, body: str, link: str = "") -> int:
    """An inbox entry, and an outbox e-mail (SMS) when the account has a verified address (mobile
    number) and wants this kind by e-mail (SMS). Joins the caller's transaction if there is one, so
    all commit with its change."""
    async with _db().transaction():
        rows = await N.insert(
            N(account=account_id, kind=kind, title=title[:200], body=body, link=link, created_at=_now())
        )
        if address := await _email_for(account_id, kind):
            await mail.enqueue(address, f"【信用郑州】{title}", _mail_body(body, link))
        if phone := await sms.number_for(account_id, kind):
            await sms.enqueue(phone, f"【信用郑州】{title}。详情请登录平台查看站内通知。")
    return rows[0]["id"]


async def notify_subject(subject_id: int, kind: str, title: str, body: str, link: str = "") -> int:
    """Every active account speaking for the subject; returns how many were told."""
    accounts = await Account.select(Account.id).where((Account.subject == subject_id) & (Account.is_active == True))  # noqa: E712
    for account in accounts:
        await notify(account["id"], kind, title, body, link)
    return len(accounts)


async def inbox(account_id: int, before: int | None = None) -> tuple[list[dict], int | None]:
    """Newest first, keyset paged by id; returns the page and the ``before`` of the next page."""
    where = N.account == account_id
    if before is not None:
        where &= N.id < before
    rows = (
        await N.select(N.id, N.kind, N.title, N.body, N.link, N.created_at, N.read_at)
        .where(where)
        .order_by(N.id, ascending=False)
        .limit(PAGE + 1)
    )
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    return rows, (rows[-1]["id"] if more else None)


async def unread_count(account_id: int) -> int:
    return await N.count().where((N.account == account_id) & N.read_at.is_null())


async def mark_read(account_id: int, notice_id: int) -> bool:
    changed = (
        await N.update({N.read_at: _now()})
        .where((N.id == notice_id) & (N.account == account_id) & N.read_at.is_null())
        .returning(N.id)
    )
    return bool(changed)


async def mark_all_read(account_id: int) -> int:
    changed = await N.update({N.read_at: _now()}).where((N.account == account_id) & N.read_at.is_null()).returning(N.id)
    return len(changed)


# E-mail address: a 6-digit code sent through the outbox proves the account reads the mailbox.


async def email_state(account_id: int) -> dict:
    row = await E.select().where(E.account == account_id).first()
    return row or {"address": "", "verified_at": None, "pending_address": "", "code_expires_at": None}


async def request_address(account_id: int, address: str) -> None:
    if not get_settings().mail_enabled:
        raise NoticeError("本平台尚未开通邮件通知，站内通知不受影响")
    address = address.strip().lower()
    if len(address) > 254 or not _ADDRESS.match(address):
        raise NoticeError("请填写有效的电子邮箱地址")
    async with _db().transaction():
        code = await codes.issue(E, "email", "address", account_id, address)
        await mail.enqueue(
            address,
            "【信用郑州】邮箱验证码",
            f"您的邮箱验证码是 {code}，{CODE_MINUTES} 分钟内有效。如非本人操作，请忽略本邮件。",
        )


async def verify_code(account_id: int, code: str) -> str:
    """Returns the verified address. Five wrong tries or 30 minutes end the code."""
    try:
        return await codes.confirm(E, "email", "address", account_id, code)
    except codes.CodeError as exc:
        raise NoticeError(str(exc)) from None


async def preferences(account_id: int, channel: str = "email") -> dict[str, bool]:
    """Per kind, whether ``channel`` (``email`` or ``sms``) is wanted (no row: yes)."""
    column = P.sms if channel == "sms" else P.email
    rows = await P.select(P.kind, column.as_alias("on")).where(P.account == account_id)
    chosen = {r["kind"]: r["on"] for r in rows}
    return {kind: bool(chosen.get(kind, True)) for kind in KINDS}


async def set_preferences(account_id: int, email_kinds: set[str], sms_kinds: set[str] | None = None) -> None:
    """``sms_kinds`` None: the SMS choices are left as they were (SMS off on this platform)."""
    async with _db().transaction():
        old_sms = await preferences(account_id, "sms")
        await P.delete().where(P.account == account_id)
        await P.insert(
            *[
                P(
                    account=account_id,
                    kind=kind,
                    email=kind in email_kinds,
                    sms=old_sms[kind] if sms_kinds is None else kind in sms_kinds,
                )
                for kind in KINDS
            ]
        )
