"""Small figures every public list page shows — 数据更新时间 and a list's categories — cached
while the data stays the same (``portal.web.datacache``: any committed write empties it)."""

from __future__ import annotations

from datetime import datetime

from portal.publication import lists as public_lists
from portal.publication import service as publication
from portal.web.datacache import VersionedCache

__all__ = ["lists_updated_at", "disclosures_updated_at", "list_names"]

_cache = VersionedCache(maxsize=16)


async def lists_updated_at(list_type: str) -> datetime | None:
    return await _cache.get(("updated", list_type), lambda: public_lists.lists_updated_at(list_type))


async def disclosures_updated_at() -> datetime | None:
    return await _cache.get(("updated", "disclosures"), publication.disclosures_updated_at)


async def list_names(list_type: str) -> list[str]:
    return await _cache.get(("names", list_type), lambda: public_lists.list_names(list_type))
