"""SMS through its own outbox: enqueue in the caller's transaction, send later with retries.

A backend is anything with ``async send(phone, text)`` that raises on failure. ``log`` (the
default) only writes a log line with the number masked; ``off`` disables SMS; a provider is
plugged in as ``PORTAL_SMS_BACKEND=package.module:Class`` (a class taking no arguments).
"""

from __future__ import annotations

import importlib
import logging
from datetime import datetime, timezone
from typing import Protocol

from portal.notices import outbox
from portal.notices.tables import NoticePhone, NoticePreference, SmsOutbox
from portal.settings import get_settings

__all__ = ["SmsBackend", "LogBackend", "mask", "backend", "number_for", "enqueue", "drain"]

S = SmsOutbox
log = logging.getLogger("portal.sms")


class SmsBackend(Protocol):
    async def send(self, phone: str, text: str) -> None:
        """Hand one message to the provider; raise on any failure (the outbox retries)."""


def mask(phone: str) -> str:
    """``138****1234``: enough for the owner to recognise, useless to anyone else."""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) == 11 else "***"


class LogBackend:
    """Development: the message goes to the log, never to a phone."""

    async def send(self, phone: str, text: str) -> None:
        log.info("SMS to %s: %s", mask(phone), text)


def backend() -> SmsBackend | None:
    name = get_settings().sms_backend
    if name == "off":
        return None
    if name == "log":
        return LogBackend()
    module, _, attr = name.partition(":")
    return getattr(importlib.import_module(module), attr)()


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def number_for(account_id: int, kind: str) -> str | None:
    """The verified number when SMS is on and the account wants ``kind`` by SMS."""
    if not get_settings().sms_enabled:
        return None
    T, P = NoticePhone, NoticePreference
    row = await T.select(T.phone).where((T.account == account_id) & T.verified_at.is_not_null()).first()
    if not row or not row["phone"]:
        return None
    pref = await P.select(P.sms).where((P.account == account_id) & (P.kind == kind)).first()
    return None if pref is not None and not pref["sms"] else row["phone"]


async def enqueue(phone: str, text: str) -> int:
    now = _now()
    rows = await S.insert(S(phone=phone, text=text, created_at=now, next_attempt_at=now))
    return rows[0]["id"]


async def drain(limit: int = outbox.BATCH, now: datetime | None = None) -> dict:
    """Send the messages due at ``now``; the claim and backoff are ``portal.notices.outbox``'s."""
    channel = backend()
    if channel is None:
        return {"sent": 0, "failed": 0, "off": True}

    async def send(row: dict) -> None:
        await channel.send(row["phone"], row["text"])

    # A provider's own error types are unknown here: retry them all.
    return await outbox.drain(S, (S.phone, S.text), send, (Exception,), limit=limit, now=now)
