"""Server-side sessions in the database, shared by every worker and host (issue 2 §8).

The cookie holds a random token; the table holds only its SHA-256. A login always creates a new
token and deletes the old one (rotation); idle and absolute timeouts end a session.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from portal.accounts.tables import Session
from portal.settings import get_settings

__all__ = ["Principal", "create_session", "load_principal", "end_session", "digest"]

# last_seen_at is refreshed at most this often: a write per request would serialise SQLite.
# Every request of a logged-in user runs this: one fixed statement, not a query rebuilt by the
# ORM each time (that cost about 1 ms per request).
_PRINCIPAL_SQL = (
    'SELECT s."created_at", s."last_seen_at", a."id" AS account_id, a."username", a."role", '
    'a."display_name", a."subject", a."agency", a."organisation", a."is_active" '
    'FROM "session" s JOIN "account" a ON a."id" = s."account" WHERE s."token_digest" = {} LIMIT 1'
)
_TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class Principal:
    """The logged-in account as the web layer sees it."""

    account_id: int
    username: str
    role: str
    display_name: str
    subject_id: int | None
    agency_id: int | None
    organisation: str
    session_digest: str


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def create_session(account_id: int, replaces: str | None = None) -> str:
    """A fresh token for the account; the session it replaces (if any) is deleted first."""
    token = secrets.token_urlsafe(32)
    now = _now()
    async with Session._meta.db.transaction():
        if replaces:
            await Session.delete().where(Session.token_digest == digest(replaces))
        await Session.insert(Session(token_digest=digest(token), account=account_id, created_at=now, last_seen_at=now))
    return token


async def load_principal(token: str | None) -> Principal | None:
    if not token or len(token) > 100:
        return None
    settings = get_settings()
    key = digest(token)
    rows = await Session.raw(_PRINCIPAL_SQL, key)
    if not rows:
        return None
    row = rows[0]
    now = _now()
    created, seen = _aware(row["created_at"]), _aware(row["last_seen_at"])
    expired = now - seen > timedelta(seconds=settings.session_idle_seconds) or now - created > timedelta(
        seconds=settings.session_absolute_seconds
    )
    if expired or not row["is_active"]:
        await Session.delete().where(Session.token_digest == key)
        return None
    if now - seen > _TOUCH_EVERY:
        await Session.update({Session.last_seen_at: now}).where(Session.token_digest == key)
    return Principal(
        account_id=row["account_id"],
        username=row["username"],
        role=row["role"],
        display_name=row["display_name"],
        subject_id=row["subject"],
        agency_id=row["agency"],
        organisation=row["organisation"],
        session_digest=key,
    )


async def end_session(token: str | None) -> None:
    if token:
        await Session.delete().where(Session.token_digest == digest(token))


async def end_all_sessions(account_id: int) -> None:
    await Session.delete().where(Session.account == account_id)


async def purge_expired() -> int:
    settings = get_settings()
    cutoff = _now() - timedelta(seconds=settings.session_idle_seconds)
    rows = await Session.delete().where(Session.last_seen_at < cutoff).returning(Session.token_digest)
    return len(rows)


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive UTC datetimes; PostgreSQL aware ones.
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
