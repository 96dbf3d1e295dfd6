"""催报 (R-13): a written reminder to a late agency, generated from its scorecard, printed by
staff (PDF) or sent to the agency's officers as an in-app notice with the PDF link."""

from __future__ import annotations

from datetime import date, datetime, timezone

import anyio
from piccolo.engine.sqlite import TransactionType

from portal.agencies.service import officer_ids
from portal.notices.service import notify
from portal.numbering import serialize
from portal.records.categories import CATEGORIES
from portal.timeliness import service
from portal.timeliness.pdf import render_urge
from portal.timeliness.tables import UrgeNotice

__all__ = ["issue", "send", "pdf_of", "urges_of", "NOTICE_KIND"]

U = UrgeNotice
NOTICE_KIND = "urge"
MAX_FACTS = 30


def _facts(card: dict) -> list[str]:
    lines = [
        f"{i['decision_date'].isoformat()} 作出的{i['label']}{'（' + i['doc_number'] + '）' if i['doc_number'] else ''}"
        f"应于 {i['due'].isoformat()} 前报送，{i['reported_on'].isoformat()} 报送，迟报 {i['days_late']} 个工作日"
        for i in card["late_items"][:MAX_FACTS]
    ]
    if len(card["late_items"]) > MAX_FACTS:
        lines.append(f"另有 {len(card['late_items']) - MAX_FACTS} 条迟报信息，详见平台记分卡")
    for p in card["missed_periods"]:
        category = CATEGORIES[p["category"]].label if p["category"] in CATEGORIES else p["category"]
        lines.append(f"{p['label']}的定期报送（{category}）应于 {p['due'].isoformat()} 前报送，至今未报送")
    return lines


async def issue(agency_id: int, actor: str, today: date) -> int:
    """A new 催报 for an overdue agency; refuses when nothing is overdue."""
    card = await service.scorecard(agency_id, today)
    if card is None:
        raise service.TimelinessError("没有该部门")
    facts = _facts(card)
    if not facts:
        raise service.TimelinessError("该部门近期没有迟报或漏报，无需催报")
    year = today.year
    async with _transaction():  # two staff issuing at once get two numbers, not a 500
        await serialize(U, "urge")
        count = await U.count().where((U.issued_on >= date(year, 1, 1)) & (U.issued_on <= date(year, 12, 31)))
        row = U(
            agency=agency_id,
            number=f"郑信催〔{year}〕{count + 1}号",
            issued_on=today,
            issued_at=datetime.now(timezone.utc),
            issued_by=actor,
            facts="\n".join(facts),
        )
        await row.save()
    return row.id


def _transaction():
    db = U._meta.db
    if db.engine_type == "sqlite":
        return db.transaction(transaction_type=TransactionType.immediate)  # a second writer waits, never "locked"
    return db.transaction()


def pdf_link(urge_id: int) -> str:
    return f"/agency/urges/{urge_id}/notice.pdf"


async def send(urge_id: int) -> int:
    """Tell every active officer of the agency (in-app, with the PDF link); returns how many."""
    urge = await U.select(U.id, U.agency, U.number).where(U.id == urge_id).first()
    if urge is None:
        raise service.TimelinessError("没有该催报通知")
    officers = await officer_ids(urge["agency"])
    if not officers:
        raise service.TimelinessError("该部门没有在用的经办人账号，请打印后送达")
    for officer in officers:
        await notify(
            officer,
            NOTICE_KIND,
            f"催报通知 {urge['number']}",
            "本部门存在迟报或漏报的信用信息，请按催报通知尽快报送（《郑州市公共信用信息管理暂行办法》第十三条）。",
            pdf_link(urge_id),
        )
    await U.update({U.sent_at: datetime.now(timezone.utc)}).where(U.id == urge_id)
    return len(officers)


async def pdf_of(urge_id: int, agency_id: int | None = None) -> tuple[str, bytes] | None:
    """(file name, PDF) of a 催报; ``agency_id`` limits it to that agency's own. The rendering
    (font subsetting, CPU-bound) runs in a worker thread."""
    where = U.id == urge_id
    if agency_id is not None:
        where &= U.agency == agency_id
    urge = await U.select(U.all_columns(), U.agency.name.as_alias("agency_name")).where(where).first()
    if urge is None:
        return None
    return f"催报通知-{urge['number']}.pdf", await anyio.to_thread.run_sync(render_urge, urge)


async def urges_of(agency_id: int) -> list[dict]:
    return (
        await U.select(U.id, U.number, U.issued_on, U.issued_by, U.sent_at)
        .where(U.agency == agency_id)
        .order_by(U.id, ascending=False)
    )
