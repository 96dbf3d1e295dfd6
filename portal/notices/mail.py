"""E-mail through the outbox: enqueue in the caller's transaction, send later with retries.

``drain`` is run by the housekeeping scheduler every minute and by ``python -m portal send-mail``.
Each row is claimed by a conditional UPDATE before sending, so two drains never send it twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.message import EmailMessage

import aiosmtplib

from portal.notices.tables import MailOutbox
from portal.settings import Settings, get_settings

__all__ = ["enqueue", "drain", "backoff"]

M = MailOutbox
BATCH = 50
CLAIM = timedelta(minutes=5)
"""A claimed row is left alone this long (a sender that died mid-send frees it then)."""
MAX_BACKOFF = timedelta(hours=1)
SMTP_TIMEOUT_S = 30


def _now() -> datetime:
    return datetime.now(timezone.utc)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes after each failure, at most an hour: never given up."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


async def enqueue(recipient: str, subject: str, body: str) -> int:
    now = _now()
    rows = await M.insert(M(recipient=recipient, subject=subject[:200], body=body, created_at=now, next_attempt_at=now))
    return rows[0]["id"]


async def _send(settings: Settings, row: dict) -> None:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = row["recipient"]
    message["Subject"] = row["subject"]
    message.set_content(row["body"])
    await aiosmtplib.send(
        message,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_user or None,
        password=settings.smtp_password or None,
        start_tls=settings.smtp_starttls,
        timeout=SMTP_TIMEOUT_S,
    )


async def drain(limit: int = BATCH, now: datetime | None = None) -> dict:
    """Send the messages due at ``now``; returns counts (never addresses: staff read the summary)."""
    settings = get_settings()
    now = now or _now()
    if not settings.mail_enabled:
        return {"sent": 0, "failed": 0, "off": True}
    sent = failed = 0
    due = (
        await M.select(M.id, M.next_attempt_at)
        .where(M.sent_at.is_null() & (M.next_attempt_at <= now))
        .order_by(M.id)
        .limit(limit)
    )
    for candidate in due:
        claimed = (
            await M.update({M.next_attempt_at: now + CLAIM})
            .where(
                (M.id == candidate["id"]) & (M.next_attempt_at == candidate["next_attempt_at"]) & M.sent_at.is_null()
            )
            .returning(M.id, M.recipient, M.subject, M.body, M.attempts)
        )
        if not claimed:
            continue  # another sender has it
        row = claimed[0]
        try:
            await _send(settings, row)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            attempts = row["attempts"] + 1
            await M.update(
                {
                    M.attempts: attempts,
                    M.next_attempt_at: now + backoff(attempts),
                    M.last_error: f"{type(exc).__name__}: {exc}"[:500],
                }
            ).where(M.id == row["id"])
            failed += 1
        else:
            await M.update({M.attempts: row["attempts"] + 1, M.sent_at: _now(), M.last_error: ""}).where(
                M.id == row["id"]
            )
            sent += 1
    return {"sent": sent, "failed": failed, "off": False}
