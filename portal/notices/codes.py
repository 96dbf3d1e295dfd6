"""One-time codes that prove an account reads a mailbox or a phone (R-14): six digits, only an
HMAC kept, valid 30 minutes, five tries. The e-mail address and the mobile number use the same
rules through these two functions; each table has ``<target>``, ``pending_<target>``,
``verified_at``, ``code_hash``, ``code_expires_at`` and ``code_tries``."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta, timezone

from piccolo.table import Table

from portal.settings import get_settings

__all__ = ["CODE_MINUTES", "CODE_TRIES", "CodeError", "issue", "confirm"]

CODE_MINUTES = 30
CODE_TRIES = 5


class CodeError(ValueError):
    """A wrong, expired or missing code; the message is shown as is (Chinese)."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _hash(channel: str, account_id: int, target: str, code: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"{channel}-code:{account_id}:{target}:{code}".encode(), hashlib.sha256).hexdigest()


async def issue(table: type[Table], channel: str, field: str, account_id: int, target: str) -> str:
    """Store a new code for ``target`` (pending until confirmed) and return it for sending; inside
    the caller's transaction, so the message is queued with it or not at all."""
    code = f"{secrets.randbelow(10**6):06d}"
    values = {
        getattr(table, f"pending_{field}"): target,
        table.code_hash: _hash(channel, account_id, target, code),
        table.code_expires_at: _now() + timedelta(minutes=CODE_MINUTES),
        table.code_tries: 0,
    }
    if not await table.exists().where(table.account == account_id):
        await table.insert(table(account=account_id))
    await table.update(values).where(table.account == account_id)
    return code


async def confirm(table: type[Table], channel: str, field: str, account_id: int, code: str) -> str:
    """The verified target; five wrong tries or 30 minutes end the code."""
    code = code.strip()
    pending = getattr(table, f"pending_{field}")
    # Count the try first (compare-and-set): parallel guesses cannot exceed the limit.
    rows = (
        await table.update({table.code_tries: table.code_tries + 1})
        .where((table.account == account_id) & (table.code_hash != "") & (table.code_tries < CODE_TRIES))
        .returning(pending, table.code_hash, table.code_expires_at)
    )
    if not rows:
        raise CodeError("没有有效的验证码，请重新获取")
    row = rows[0]
    target = row[f"pending_{field}"]
    if row["code_expires_at"] is None or row["code_expires_at"] < _now():
        raise CodeError("验证码已过期，请重新获取")
    if not re.fullmatch(r"\d{6}", code) or not hmac.compare_digest(
        row["code_hash"], _hash(channel, account_id, target, code)
    ):
        raise CodeError("验证码不正确")
    await table.update(
        {
            getattr(table, field): target,
            table.verified_at: _now(),
            pending: "",
            table.code_hash: "",
            table.code_expires_at: None,
            table.code_tries: 0,
        }
    ).where(table.account == account_id)
    return target
