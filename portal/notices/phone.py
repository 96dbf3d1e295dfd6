"""An account's mobile number for SMS notices, verified by a 6-digit code sent by SMS.

The same rules as the e-mail code: only an HMAC of the code is kept, 30 minutes, five tries.
"""

from __future__ import annotations

import re

from portal.notices import codes, sms
from portal.notices.service import CODE_MINUTES, NoticeError
from portal.notices.tables import NoticePhone
from portal.settings import get_settings

__all__ = ["phone_state", "request_phone", "verify_phone"]

T = NoticePhone
_MOBILE = re.compile(r"1[3-9]\d{9}")


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
    async with T._meta.db.transaction():
        code = await codes.issue(T, "sms", "phone", account_id, phone)
        text = f"【信用郑州】您的手机验证码是 {code}，{CODE_MINUTES} 分钟内有效。如非本人操作，请忽略。"
        await sms.enqueue(phone, text)


async def verify_phone(account_id: int, code: str) -> str:
    """Returns the verified number. Five wrong tries or 30 minutes end the code."""
    try:
        return await codes.confirm(T, "sms", "phone", account_id, code)
    except codes.CodeError as exc:
        raise NoticeError(str(exc)) from None
