"""E-mail through the outbox: enqueue in the caller's transaction, send later with retries.

``drain`` is run by the housekeeping scheduler every minute and by ``python -m portal send-mail``.
The claim and the retries are ``portal.notices.outbox``'s.
"""

from __future__ import annotations

from datetime import datetime, timezone
from email.message import EmailMessage

import aiosmtplib

from portal.notices import outbox
from portal.notices.tables import MailOutbox
from portal.settings import Settings, get_settings

__all__ = ["enqueue", "drain", "backoff"]

M = MailOutbox
SMTP_TIMEOUT_S = 30
backoff = outbox.backoff


def _now() -> datetime:
    return datetime.now(timezone.utc)


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


async def drain(limit: int = outbox.BATCH, now: datetime | None = None) -> dict:
    """Send the messages due at ``now``; returns counts (never addresses: staff read the summary)."""
    settings = get_settings()
    if not settings.mail_enabled:
        return {"sent": 0, "failed": 0, "off": True}

    async def send(row: dict) -> None:
        await _send(settings, row)

    columns = (M.recipient, M.subject, M.body)
    retry = (aiosmtplib.SMTPException, OSError, TimeoutError)
    return await outbox.drain(M, columns, send, retry, limit=limit, now=now)
