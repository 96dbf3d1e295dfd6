"""An account's mobile number for SMS notices, verified by a 6-digit code sent by SMS.

The same rules as the e-mail code: only an HMAC of the code is kept, 30 minutes, five tries.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta, timezone

from portal.notices import sms
from portal.notices.service import CODE_MINUTES, CODE_TRIES, NoticeError
from portal.notices.tables import NoticePhone
from portal.settings import get_settings

__all__ = ["phone_state", "request_phone", "verify_phone"]

T = NoticePhone
_MOBILE = re.compile(r"1[3-9]\d{9}")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _code_hash(account_id: int, phone: str, code: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"sms-code:{account_id}:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


async def phone_state(account_id: int) -> dict:
    """For the owner's own settings page only (the full number)."""
    row = await T.select().where(T.account == account_id).first()
    return row or {"phone": "", "verified_at": None, "pending_phone": "", "code_expires_at": None}


async def request_phone(account_id: int, phone: str) -> None:
    if not get_settings().sms_enabled:
        raise NoticeError("本平台尚未开通短信通知，站内通知不受影响")
    phone = re.sub(r"[\s-]", "", phone)
    if not _MOBILE.fullmatch(phone):
        raise NoticeError("请填写有效的中国大陆手机号码（11位，以1开头）")
    code = f"{secrets.randbelow(10**6):06d}"
    fields = {
        T.pending_phone: phone,
        T.code_hash: _code_hash(account_id, phone, code),
        T.code_expires_at: _now() + timedelta(minutes=CODE_MINUTES),
        T.code_tries: 0,
    }
    async with T._meta.db.transaction():
        if not await T.exists().where(T.account == account_id):
            await T.insert(T(account=account_id))
        await T.update(fields).where(T.account == account_id)
        text = f"【信用郑州】您的手机验证码是 {code}，{CODE_MINUTES} 分钟内有效。如非本人操作，请忽略。"
        await sms.enqueue(phone, text)


async def verify_phone(account_id: int, code: str) -> str:
    """Returns the verified number. Five wrong tries or 30 minutes end the code."""
    code = code.strip()
    # Count the try first (compare-and-set): parallel guesses cannot exceed the limit.
    rows = (
        await T.update({T.code_tries: T.code_tries + 1})
        .where((T.account == account_id) & (T.code_hash != "") & (T.code_tries < CODE_TRIES))
        .returning(T.pending_phone, T.code_hash, T.code_expires_at)
    )
    if not rows:
        raise NoticeError("没有有效的验证码，请重新获取")
    row = rows[0]
    if row["code_expires_at"] is None or row["code_expires_at"] < _now():
        raise NoticeError("验证码已过期，请重新获取")
    if not re.fullmatch(r"\d{6}", code) or not hmac.compare_digest(
        row["code_hash"], _code_hash(account_id, row["pending_phone"], code)
    ):
        raise NoticeError("验证码不正确")
    await T.update(
        {
            T.phone: row["pending_phone"],
            T.verified_at: _now(),
            T.pending_phone: "",
            T.code_hash: "",
            T.code_expires_at: None,
            T.code_tries: 0,
        }
    ).where(T.account == account_id)
    return row["pending_phone"]
