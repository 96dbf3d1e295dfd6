"""API keys of agencies' systems (R-12 系统对接, R-14 security): shown once, stored as a SHA-256,
scoped to the categories the agency may report, with an expiry, rotation and revocation.

A key looks like ``zxk_<prefix>_<secret>``: the prefix (public, unique) finds the row, the whole
key's SHA-256 must match (compared in constant time). No key, a wrong, expired or revoked key, or
an inactive agency are all the same answer to the caller: 401.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from portal.agencies.tables import Agency
from portal.ingest.tables import ApiKey
from portal.records.categories import CATEGORIES

__all__ = [
    "ApiKeyError",
    "KeyHolder",
    "DEFAULT_DAYS",
    "create_key",
    "authenticate",
    "revoke_key",
    "rotate_key",
    "keys_of",
]

DEFAULT_DAYS = 365
MAX_DAYS = 2 * 365
K = ApiKey


TOUCH_EVERY = timedelta(seconds=60)
"""How stale a key's ``last_used_at`` may get before a request notes its use again."""


class ApiKeyError(ValueError):
    """A key cannot be made or changed as asked; the message is Chinese."""


@dataclass(frozen=True)
class KeyHolder:
    """Who pushes: the agency and the key's scope."""

    key_id: int
    prefix: str
    agency_id: int
    agency_code: str
    agency_name: str
    categories: frozenset[str]


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _categories(codes) -> str:
    codes = sorted({c.strip() for c in codes if c and c.strip()})
    if not codes:
        raise ApiKeyError("请至少指定一个可报送的信息类别")
    if unknown := [c for c in codes if c not in CATEGORIES]:
        raise ApiKeyError(f"未知的信息类别：{'、'.join(unknown)}")
    return ",".join(codes)


async def create_key(
    agency_code: str, categories, name: str, created_by: str, days: int = DEFAULT_DAYS, replaces: int | None = None
) -> tuple[str, dict]:
    """A new key; returns (the key — shown this once, never stored — and its public row)."""
    agency = await Agency.select(Agency.id, Agency.is_active).where(Agency.code == agency_code).first()
    if agency is None or not agency["is_active"]:
        raise ApiKeyError(f"没有代码为 {agency_code} 的在用部门")
    if not 1 <= days <= MAX_DAYS:
        raise ApiKeyError(f"有效期应为 1 至 {MAX_DAYS} 天")
    name = (name or "").strip()[:100] or "业务系统"
    prefix = secrets.token_hex(6)
    key = f"zxk_{prefix}_{secrets.token_urlsafe(32)}"
    now = _now()
    row = K(
        agency=agency["id"],
        name=name,
        prefix=prefix,
        secret_sha256=_digest(key),
        categories=_categories(categories),
        created_by=created_by,
        created_at=now,
        expires_at=now + timedelta(days=days),
        replaces=replaces,
    )
    await row.save()
    return key, {
        "id": row.id,
        "prefix": prefix,
        "name": name,
        "expires_at": row.expires_at,
        "categories": row.categories,
    }


async def authenticate(header: str | None, *, touch: bool = True) -> KeyHolder | None:
    """The holder of ``Authorization: Bearer <key>``, or None (any failure looks the same).
    ``touch``: note the key's last use (not for a GET, which changes nothing: DESIGN rule 7)."""
    if not header or not header.startswith("Bearer "):
        return None
    key = header[7:].strip()
    parts = key.split("_", 2)  # the secret itself may contain "_"
    if len(parts) != 3 or parts[0] != "zxk" or len(key) > 100:
        return None
    row = (
        await K.select(
            K.id,
            K.prefix,
            K.secret_sha256,
            K.categories,
            K.expires_at,
            K.revoked_at,
            K.last_used_at,
            K.agency.id.as_alias("agency_id"),
            K.agency.code.as_alias("agency_code"),
            K.agency.name.as_alias("agency_name"),
            K.agency.is_active.as_alias("agency_active"),
        )
        .where(K.prefix == parts[1])
        .first()
    )
    if row is None or not hmac.compare_digest(row["secret_sha256"], _digest(key)):
        return None
    if row["revoked_at"] is not None or _aware(row["expires_at"]) <= _now() or not row["agency_active"]:
        return None
    last = row["last_used_at"]
    if touch and (last is None or _now() - _aware(last) >= TOUCH_EVERY):
        # A write per request would cost more than the check or push itself; the minute is enough
        # to tell staff a key is in use.
        await K.update({K.last_used_at: _now()}).where(K.id == row["id"])
    return KeyHolder(
        key_id=row["id"],
        prefix=row["prefix"],
        agency_id=row["agency_id"],
        agency_code=row["agency_code"],
        agency_name=row["agency_name"],
        categories=frozenset(c for c in row["categories"].split(",") if c),
    )


async def revoke_key(key_id: int, reason: str, agency_id: int | None = None) -> bool:
    """Revoke at once; ``agency_id`` limits it to that agency's keys (an officer revoking its own)."""
    reason = (reason or "").strip()
    if not reason:
        raise ApiKeyError("请填写吊销原因")
    where = (K.id == key_id) & K.revoked_at.is_null()
    if agency_id is not None:
        where &= K.agency == agency_id
    done = await K.update({K.revoked_at: _now(), K.revoked_reason: reason[:200]}).where(where).returning(K.id)
    return bool(done)


async def rotate_key(key_id: int, created_by: str, overlap_days: int = 7) -> tuple[str, dict]:
    """A new key with the same scope; the old one keeps working ``overlap_days`` so the system can
    switch without a gap, then expires."""
    old = (
        await K.select(K.id, K.name, K.categories, K.revoked_at, K.agency.code.as_alias("code"))
        .where(K.id == key_id)
        .first()
    )
    if old is None or old["revoked_at"] is not None:
        raise ApiKeyError("该密钥不存在或已吊销")
    key, row = await create_key(old["code"], old["categories"].split(","), old["name"], created_by, replaces=key_id)
    cutoff = _now() + timedelta(days=max(0, min(overlap_days, 30)))
    await K.update({K.expires_at: cutoff}).where((K.id == key_id) & (K.expires_at > cutoff))
    return key, row


async def keys_of(agency_id: int) -> list[dict]:
    """The agency's keys for its desk and for staff: never the secret or its hash."""
    rows = (
        await K.select(
            K.id,
            K.name,
            K.prefix,
            K.categories,
            K.created_at,
            K.expires_at,
            K.revoked_at,
            K.revoked_reason,
            K.last_used_at,
        )
        .where(K.agency == agency_id)
        .order_by(K.id, ascending=False)
    )
    now = _now()
    for row in rows:
        row["state"] = "revoked" if row["revoked_at"] else ("expired" if _aware(row["expires_at"]) <= now else "active")
    return rows
