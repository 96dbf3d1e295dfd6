"""Login throttling (OWASP ASVS V2.2), in the database so every worker and host shares it.

An attempt is *admitted* before its password is checked and counts as a failure from that moment;
a success gives it back. So concurrent attempts cannot all pass a check made before any of them
was counted. A key's row changes only by one conditional UPDATE (count one more while the rule
says so) or by compare-and-set on ``version``: both atomic on SQLite and PostgreSQL, whatever the
number of workers.

Two rules:
- an account (or a device that logged in to it before) gets ``login_free_failures`` attempts,
  then waits 1 s, 2 s, 4 s … (capped) before the next attempt is checked: a delay, never a lock,
  and refused attempts do not lengthen it;
- a client address gets ``login_address_failures`` attempts per window, whatever the accounts.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass

from portal.accounts.tables import LoginThrottle
from portal.settings import Settings, get_settings

__all__ = [
    "Throttled",
    "State",
    "account_key",
    "device_key",
    "address_key",
    "admit",
    "succeeded",
    "clear",
    "wait_text",
    "purge_stale",
]

_MAX_TRIES = 20  # compare-and-set rounds before giving up on a contended key (refused, not checked)


class Throttled(Exception):
    """Too many attempts: try again in ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


@dataclass(frozen=True)
class State:
    failures: int
    first_at: float
    last_at: float
    next_allowed_at: float


def account_key(username: str) -> str:
    return f"acct:{username.strip().lower()[:64]}"


def device_key(device_id: str) -> str:
    return f"dev:{device_id[:64]}"


def address_key(address: str) -> str:
    return f"addr:{address[:64]}"


def account_rule(row: State | None, now: float, s: Settings) -> State | float:
    """The state after admitting one more attempt, or the time before which none is admitted."""
    if row is not None and now < row.next_allowed_at:
        return row.next_allowed_at
    fresh = row is None or now - row.last_at > s.login_forget_seconds
    n = 1 if fresh else row.failures + 1
    over = n - s.login_free_failures
    delay = 0 if over < 0 else min(2 ** min(over, 30), s.login_max_delay_seconds)
    return State(failures=n, first_at=now if fresh else row.first_at, last_at=now, next_allowed_at=now + delay)


def address_rule(row: State | None, now: float, s: Settings) -> State | float:
    fresh = row is None or now - row.first_at >= s.login_window_seconds
    if not fresh and row.failures >= s.login_address_failures:
        return row.first_at + s.login_window_seconds
    n = 1 if fresh else row.failures + 1
    return State(failures=n, first_at=now if fresh else row.first_at, last_at=now, next_allowed_at=0.0)


async def _read(key: str) -> tuple[State, int] | None:
    row = (
        await LoginThrottle.select(
            LoginThrottle.failures,
            LoginThrottle.first_at,
            LoginThrottle.last_at,
            LoginThrottle.next_allowed_at,
            LoginThrottle.version,
        )
        .where(LoginThrottle.key == key)
        .first()
    )
    if row is None:
        return None
    return State(row["failures"], row["first_at"], row["last_at"], row["next_allowed_at"]), row["version"]


async def _write(key: str, new: State, version: int | None) -> bool:
    """Compare-and-set: True when this caller's change won."""
    values = {
        LoginThrottle.failures: new.failures,
        LoginThrottle.first_at: new.first_at,
        LoginThrottle.last_at: new.last_at,
        LoginThrottle.next_allowed_at: new.next_allowed_at,
    }
    if version is None:
        row = LoginThrottle(key=key, version=1, **{c._meta.name: v for c, v in values.items()})
        done = await LoginThrottle.insert(row).on_conflict(action="DO NOTHING").returning(LoginThrottle.key)
    else:
        done = (
            await LoginThrottle.update({**values, LoginThrottle.version: version + 1})
            .where((LoginThrottle.key == key) & (LoginThrottle.version == version))
            .returning(LoginThrottle.key)
        )
    return bool(done)


async def _bump(key: str, now: float, condition) -> bool:
    """The common case in one atomic statement: count the attempt if ``condition`` still holds."""
    done = (
        await LoginThrottle.update(
            {
                LoginThrottle.failures: LoginThrottle.failures + 1,
                LoginThrottle.last_at: now,
                LoginThrottle.version: LoginThrottle.version + 1,
            }
        )
        .where((LoginThrottle.key == key) & condition)
        .returning(LoginThrottle.key)
    )
    return bool(done)


async def _claim(key: str, rule, condition, now: float, s: Settings) -> float | None:
    """None when admitted; otherwise the time from which the key admits attempts again.

    ``condition`` is where ``rule`` just adds one to the count: that is a single UPDATE. Otherwise
    (no row yet, a delay to compute, a window to restart) compare-and-set on the version."""
    for _ in range(_MAX_TRIES):
        if await _bump(key, now, condition):
            return None
        found = await _read(key)
        state, version = found if found else (None, None)
        new = rule(state, now, s)
        if not isinstance(new, State):
            return new
        if await _write(key, new, version):
            return None
    return now + 1  # contended beyond reason: refuse rather than check


async def _claim_address(address: str, now: float, s: Settings) -> float | None:
    key = address_key(address)
    within = (LoginThrottle.first_at > now - s.login_window_seconds) & (
        LoginThrottle.failures < s.login_address_failures
    )
    return await _claim(key, address_rule, within, now, s)


async def _claim_account(key: str, now: float, s: Settings) -> float | None:
    free = (
        (LoginThrottle.failures < s.login_free_failures - 1)
        & (LoginThrottle.next_allowed_at <= now)
        & (LoginThrottle.last_at >= now - s.login_forget_seconds)
    )
    return await _claim(key, account_rule, free, now, s)


async def _give_back(address: str) -> None:
    # An attempt that was not checked, or was right, no longer counts against the address.
    await LoginThrottle.update(
        {LoginThrottle.failures: LoginThrottle.failures - 1, LoginThrottle.version: LoginThrottle.version + 1}
    ).where((LoginThrottle.key == address_key(address)) & (LoginThrottle.failures > 0))


def wait_text(seconds: int) -> str:
    """How long to wait, in Chinese, rounded up to what a person reads."""
    if seconds < 60:
        return f"{seconds} 秒"
    return f"{math.ceil(seconds / 60)} 分钟"


def _retry_after(at: float, now: float) -> int:
    return max(1, math.ceil(at - now))


async def admit(address: str, key: str) -> None:
    """Admit one attempt for the account/device ``key`` from ``address``, or raise Throttled.
    An admitted attempt counts as a failure until ``succeeded`` is called."""
    s = get_settings()
    now = time.time()
    if random.random() < 0.005:
        await purge_stale(now)
    found = await _read(key)  # a waiting account is refused without touching anything
    if found and now < found[0].next_allowed_at:
        raise Throttled(_retry_after(found[0].next_allowed_at, now))
    blocked = await _claim_address(address, now, s)
    if blocked is not None:
        raise Throttled(_retry_after(blocked, now))
    blocked = await _claim_account(key, now, s)
    if blocked is not None:
        await _give_back(address)
        raise Throttled(_retry_after(blocked, now))


async def clear(key: str) -> None:
    await LoginThrottle.delete().where(LoginThrottle.key == key)


async def succeeded(address: str, key: str) -> None:
    """The admitted attempt was right: the key starts again from zero, the address gets it back."""
    await clear(key)
    await _give_back(address)


async def purge_stale(now: float | None = None) -> int:
    """Drop counters nobody can feel any more (the table would otherwise keep every name tried)."""
    s = get_settings()
    horizon = max(s.login_forget_seconds, s.login_window_seconds, s.login_max_delay_seconds)
    cutoff = (now or time.time()) - horizon
    rows = await LoginThrottle.delete().where(LoginThrottle.last_at < cutoff).returning(LoginThrottle.key)
    return len(rows)
