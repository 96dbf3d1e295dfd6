"""Agency look-ups (public names and codes only)."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from piccolo.query.functions.aggregate import Count

from portal.agencies.tables import Agency

__all__ = ["by_code", "by_id", "all_active", "officer_ids", "overview", "create_agency", "AgencyError"]


async def by_code(code: str) -> dict | None:
    return await Agency.select(Agency.id, Agency.code, Agency.name).where(Agency.code == code).first()


async def officer_ids(agency_id: int) -> list[int]:
    """The agency's active officer accounts: whom its notices go to (objections, 催报, reminders)."""
    from portal.accounts.tables import Account, Role

    rows = await Account.select(Account.id).where(
        (Account.agency == agency_id) & (Account.role == Role.AGENCY) & (Account.is_active == True)  # noqa: E712
    )
    return [r["id"] for r in rows]


async def all_active() -> list[dict]:
    return (
        await Agency.select(Agency.id, Agency.code, Agency.name)
        .where(
            Agency.is_active == True  # noqa: E712 (Piccolo expression)
        )
        .order_by(Agency.code)
    )


class AgencyError(ValueError):
    """Staff input that cannot be used; the message is Chinese."""


_CODE = re.compile(r"[A-Za-z0-9-]{2,32}")


async def overview() -> list[dict]:
    """Every agency with its parent, officer count and keys in force (staff list, R-12)."""
    from portal.accounts.tables import Account, Role
    from portal.ingest.tables import ApiKey

    A = Agency
    rows = await A.select(A.id, A.code, A.name, A.is_active, A.parent.name.as_alias("parent_name")).order_by(A.code)
    officers = (
        await Account.select(Account.agency, Count(Account.id, alias="n"))
        .where(
            (Account.role == Role.AGENCY) & (Account.is_active == True)  # noqa: E712
        )
        .group_by(Account.agency)
    )
    now = datetime.now(timezone.utc)
    keys = (
        await ApiKey.select(ApiKey.agency, Count(ApiKey.id, alias="n"))
        .where(ApiKey.revoked_at.is_null() & (ApiKey.expires_at > now))
        .group_by(ApiKey.agency)
    )
    by_officers = {r["agency"]: r["n"] for r in officers}
    by_keys = {r["agency"]: r["n"] for r in keys}
    for row in rows:
        row["officers"] = by_officers.get(row["id"], 0)
        row["key_count"] = by_keys.get(row["id"], 0)
    return rows


async def create_agency(code: str, name: str, parent_code: str = "") -> int:
    code, name, parent_code = code.strip(), name.strip(), parent_code.strip()
    if not _CODE.fullmatch(code):
        raise AgencyError("部门代码应为2至32位字母、数字或连字符")
    if not name or len(name) > 100:
        raise AgencyError("请填写部门名称（100字以内）")
    parent = None
    if parent_code:
        found = await by_code(parent_code)
        if found is None:
            raise AgencyError(f"没有代码为 {parent_code} 的上级部门")
        parent = found["id"]
    if await Agency.exists().where((Agency.code == code) | (Agency.name == name)):
        raise AgencyError("部门代码或名称已存在")
    row = Agency(code=code, name=name, parent=parent, created_at=datetime.now(timezone.utc))
    await row.save()
    return row.id


async def by_id(agency_id: int) -> dict | None:
    A = Agency
    return (
        await A.select(A.id, A.code, A.name, A.is_active, A.parent.name.as_alias("parent_name"))
        .where(A.id == agency_id)
        .first()
    )
