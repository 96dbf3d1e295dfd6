"""通知公告 kept by credit-centre staff: publish and withdraw (the row stays, SPEC §5)."""

from __future__ import annotations

from datetime import datetime, timezone

from portal.content.tables import Announcement

__all__ = ["AnnouncementError", "publish", "withdraw", "published", "one", "all_for_staff", "PAGE"]

A = Announcement
PAGE = 20
TITLE_MAX = 100
BODY_MAX = 20_000


class AnnouncementError(ValueError):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _clean(value: str, label: str, limit: int) -> str:
    value = (value or "").replace("\r\n", "\n").strip()
    if not value:
        raise AnnouncementError(f"请填写{label}")
    if len(value) > limit:
        raise AnnouncementError(f"{label}不能超过{limit}字")
    return value


async def publish(title: str, body: str, account_id: int, publisher: str) -> int:
    row = A(
        title=_clean(title, "标题", TITLE_MAX),
        body=_clean(body, "正文", BODY_MAX),
        published_at=datetime.now(timezone.utc),
        published_by=account_id,
        publisher_name=publisher[:100],
    )
    await row.save()
    return row.id


async def withdraw(announcement_id: int, reason: str) -> None:
    reason = _clean(reason, "撤下原因", 200)
    updated = (
        await A.update({A.withdrawn_at: datetime.now(timezone.utc), A.withdrawn_reason: reason})
        .where((A.id == announcement_id) & A.withdrawn_at.is_null())
        .returning(A.id)
    )
    if not updated:
        raise AnnouncementError("没有该公告，或已撤下", 404)


_PUBLIC = (A.id, A.title, A.published_at)


async def published(before: int | None = None, limit: int = PAGE) -> tuple[list[dict], int | None]:
    """Newest first, keyset paging on id (published_at follows id)."""
    where = A.withdrawn_at.is_null()
    if before is not None:
        where &= A.id < before
    rows = await A.select(*_PUBLIC).where(where).order_by(A.id, ascending=False).limit(limit + 1)
    return rows[:limit], (rows[limit - 1]["id"] if len(rows) > limit else None)


async def one(announcement_id: int) -> dict | None:
    row = await A.select().where((A.id == announcement_id) & A.withdrawn_at.is_null()).first()
    if row is not None:
        row["paragraphs"] = [p.strip() for p in row["body"].split("\n\n") if p.strip()]
    return row


async def all_for_staff(limit: int = 100) -> list[dict]:
    return await A.select().order_by(A.id, ascending=False).limit(limit)
