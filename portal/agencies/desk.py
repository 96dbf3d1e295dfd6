"""What the agency desk shows besides the counts (R-11, R-12, R-13): recent batches by channel,
rejected rows, records corrected lately, objections awaiting its answer, its scorecard and keys."""

from __future__ import annotations

from datetime import date

from piccolo.query.functions.aggregate import Count, Sum

from portal.ingest.keys import keys_of
from portal.ingest.tables import Channel, IngestBatch
from portal.objections.stages import Stage
from portal.objections.tables import Objection
from portal.records.tables import CreditRecord
from portal.timeliness import service as timeliness
from portal.timeliness.urges import urges_of

__all__ = ["desk"]

RECENT = 10
B = IngestBatch
R = CreditRecord


async def _by_channel(agency_id: int) -> list[dict]:
    rows = (
        await B.select(
            B.channel,
            Count(B.id, alias="batches"),
            Sum(B.items, alias="items"),
            Sum(B.created, alias="created"),
            Sum(B.corrected, alias="corrected"),
            Sum(B.revoked, alias="revoked"),
            Sum(B.rejected, alias="rejected"),
        )
        .where(B.agency == agency_id)
        .group_by(B.channel)
        .order_by(B.channel)
    )
    for row in rows:
        row["label"] = Channel.LABELS.get(row["channel"], row["channel"])
        for k in ("items", "created", "corrected", "revoked", "rejected"):
            row[k] = int(row[k] or 0)
    return rows


async def desk(agency_id: int, today: date) -> dict:
    columns = (B.id, B.channel, B.received_at, B.items, B.created, B.corrected, B.revoked, B.unchanged, B.rejected)
    recent = await B.select(*columns).where(B.agency == agency_id).order_by(B.id, ascending=False).limit(RECENT)
    rejected = (
        await B.select(*columns)
        .where((B.agency == agency_id) & (B.rejected > 0))
        .order_by(B.id, ascending=False)
        .limit(RECENT)
    )
    corrected = (
        await R.select(R.id, R.title, R.doc_number, R.disclosure_class, R.provider_ref, R.version, R.updated_at)
        .where((R.provider == agency_id) & (R.version > 1))
        .order_by(R.updated_at, ascending=False)
        .limit(RECENT)
    )
    pending = await Objection.count().where((Objection.agency == agency_id) & (Objection.stage == Stage.FORWARDED))
    for row in recent + rejected:
        row["label"] = Channel.LABELS.get(row["channel"], row["channel"])
    return {
        "channels": await _by_channel(agency_id),
        "batches": recent,
        "rejected_batches": rejected,
        "corrected": [timeliness.public_label(r) for r in corrected],
        "pending_objections": pending,
        "card": await timeliness.scorecard(agency_id, today),
        "keys": await keys_of(agency_id),
        "urges": [u for u in await urges_of(agency_id) if u["sent_at"] is not None],
    }
