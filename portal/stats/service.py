"""Headline counts for the home page, refreshed after loads (``python -m portal refresh-stats``)."""

from __future__ import annotations

from datetime import datetime, timezone

from portal.lib.dates import today_cn
from portal.lists.tables import ListEntry
from portal.publication.rules import public, public_list_entry
from portal.records.tables import CreditRecord, RecordType
from portal.stats.tables import SiteStat
from portal.subjects.tables import Subject, SubjectKind

__all__ = ["refresh", "headline_counts", "LABELS"]

LABELS = {
    "legal_subjects": "法人和其他组织",
    "public_records": "公示信用信息",
    "licenses": "行政许可",
    "penalties": "行政处罚",
    "red_list": "红名单",
    "black_list": "黑名单",
}


async def _compute() -> dict[str, int]:
    today = today_cn()
    R, L = CreditRecord, ListEntry
    return {
        "legal_subjects": await Subject.count().where(Subject.kind == SubjectKind.LEGAL),
        "public_records": await R.count().where(public(today)),
        "licenses": await R.count().where(public(today) & (R.record_type == RecordType.LICENSE)),
        "penalties": await R.count().where(public(today) & (R.record_type == RecordType.PENALTY)),
        "red_list": await L.count().where(public_list_entry(today) & (L.list_type == "red")),
        "black_list": await L.count().where(public_list_entry(today) & (L.list_type == "black")),
    }


async def refresh() -> dict[str, int]:
    values = await _compute()
    now = datetime.now(timezone.utc)
    async with SiteStat._meta.db.transaction():
        await SiteStat.delete(force=True)
        await SiteStat.insert(*(SiteStat(key=k, value=v, computed_at=now) for k, v in values.items()))
    return values


async def headline_counts() -> dict[str, int]:
    rows = await SiteStat.select(SiteStat.key, SiteStat.value)
    if not rows:
        return await refresh()
    return {r["key"]: r["value"] for r in rows}
