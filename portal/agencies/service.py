"""Agency look-ups (public names and codes only)."""

from __future__ import annotations

from portal.agencies.tables import Agency

__all__ = ["by_code", "all_active"]


async def by_code(code: str) -> dict | None:
    return await Agency.select(Agency.id, Agency.code, Agency.name).where(Agency.code == code).first()


async def all_active() -> list[dict]:
    return (
        await Agency.select(Agency.id, Agency.code, Agency.name)
        .where(
            Agency.is_active == True  # noqa: E712 (Piccolo expression)
        )
        .order_by(Agency.code)
    )
