"""Login throttling, stored in the database so every worker sees the same count."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from portal.accounts.tables import LoginFailure
from portal.settings import get_settings

__all__ = ["is_throttled", "record_failure", "clear_failures"]


def _keys(username: str, client_ip: str) -> list[str]:
    # Per account (guessing one password) and per address (spraying many accounts).
    return [f"user:{username.lower()[:64]}", f"ip:{client_ip[:64]}"]


async def is_throttled(username: str, client_ip: str) -> bool:
    settings = get_settings()
    since = datetime.now(timezone.utc) - timedelta(seconds=settings.login_window_seconds)
    user_key, ip_key = _keys(username, client_ip)
    user_failures = await LoginFailure.count().where((LoginFailure.key == user_key) & (LoginFailure.failed_at > since))
    if user_failures >= settings.login_max_failures:
        return True
    ip_failures = await LoginFailure.count().where((LoginFailure.key == ip_key) & (LoginFailure.failed_at > since))
    return ip_failures >= settings.login_max_failures * 4


async def record_failure(username: str, client_ip: str) -> None:
    now = datetime.now(timezone.utc)
    await LoginFailure.insert(*(LoginFailure(key=k, failed_at=now) for k in _keys(username, client_ip)))
    # Keep the table small: drop what no window can see any more.
    window = timedelta(seconds=get_settings().login_window_seconds)
    await LoginFailure.delete().where(LoginFailure.failed_at < now - 2 * window)


async def clear_failures(username: str) -> None:
    await LoginFailure.delete().where(LoginFailure.key == _keys(username, "")[0])
