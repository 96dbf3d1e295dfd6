"""The outbox pattern both channels use (mail_outbox, sms_outbox): a message is a row written in
the caller's transaction and sent later by a drain — claimed by a conditional UPDATE first, so two
drains never send it twice, and retried with backoff, never given up. A request never waits for
the SMTP server or the SMS provider, and a restart loses nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone

from piccolo.columns import Column
from piccolo.table import Table

__all__ = ["BATCH", "CLAIM", "backoff", "drain"]

BATCH = 50
CLAIM = timedelta(minutes=5)
"""A claimed row is left alone this long (a sender that died mid-send frees it then)."""
MAX_BACKOFF = timedelta(hours=1)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes after each failure, at most an hour: never given up."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


async def drain(
    table: type[Table],
    columns: tuple[Column, ...],
    send: Callable[[dict], Awaitable[None]],
    retry_on: tuple[type[BaseException], ...],
    *,
    limit: int = BATCH,
    now: datetime | None = None,
) -> dict:
    """Send the rows due at ``now`` with ``send(row)`` (``row`` holds ``columns``); an exception in
    ``retry_on`` schedules a retry. Returns counts only (never recipients: staff read the summary)."""
    now = now or _now()
    sent = failed = 0
    due = (
        await table.select(table.id, table.next_attempt_at)
        .where(table.sent_at.is_null() & (table.next_attempt_at <= now))
        .order_by(table.id)
        .limit(limit)
    )
    for candidate in due:
        mine = (table.id == candidate["id"]) & (table.next_attempt_at == candidate["next_attempt_at"])
        claimed = await (
            table.update({table.next_attempt_at: now + CLAIM})
            .where(mine & table.sent_at.is_null())
            .returning(table.id, table.attempts, *columns)
        )
        if not claimed:
            continue  # another sender has it
        row = claimed[0]
        try:
            await send(row)
        except retry_on as exc:
            attempts = row["attempts"] + 1
            await table.update(
                {
                    table.attempts: attempts,
                    table.next_attempt_at: now + backoff(attempts),
                    table.last_error: f"{type(exc).__name__}: {exc}"[:500],
                }
            ).where(table.id == row["id"])
            failed += 1
        else:
            done = {table.attempts: row["attempts"] + 1, table.sent_at: _now(), table.last_error: ""}
            await table.update(done).where(table.id == row["id"])
            sent += 1
    return {"sent": sent, "failed": failed, "off": False}
