"""What an objection's outcome does (R-11, R-23, R-24): the record changes through its history,
a wrong sanction is corrected in public, and everyone who was given the record is told."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

from portal.accounts.sessions import Principal
from portal.disclosure.recipients import past_recipients
from portal.lib.dates import today_cn
from portal.notices.service import notify
from portal.objections.stages import OPEN_STAGES, ObjectionError, Outcome
from portal.objections.tables import CorrectionNotice, Objection, ObjectionStep
from portal.records import service as records
from portal.records.tables import CreditRecord, DisclosureClass, RecordChange

__all__ = ["OPEN", "apply", "decision_text", "tell_past_recipients", "retry_recipients"]

OPEN = OPEN_STAGES
log = logging.getLogger("portal.objections")
TOLD_RECIPIENTS = "recipients"


def _actor_label(actor: Principal) -> str:
    return f"{actor.organisation or ''}（{actor.username}）"


async def apply(row: dict, outcome: str, changes: dict, reason: str, actor: Principal) -> None:
    """Inside the answer's transaction: change the record, publish the correction notice."""
    if outcome == Outcome.UPHELD:
        return
    record_id = row["record"]
    before = (
        await CreditRecord.select(
            CreditRecord.title,
            CreditRecord.doc_number,
            CreditRecord.polarity,
            CreditRecord.disclosure_class,
            CreditRecord.decision_date,
        )
        .where(CreditRecord.id == record_id)
        .first()
    )
    why = f"异议{row['number']}核查：{reason}"
    try:
        if outcome == Outcome.CORRECTED:
            await records.correct_record(record_id, changes, _actor_label(actor), why)
        else:
            await records.revoke_record(record_id, _actor_label(actor), why)
    except records.RecordError as exc:
        fields: dict[str, str] = {}
        for e in exc.errors:
            fields[e.field] = f"{fields[e.field]}；{e.message}" if e.field in fields else e.message
        raise ObjectionError(str(exc), fields=fields) from None
    # a sanction found wrong is put right where it was published (class A only: a class-B or
    # C record was never public, and a notice would disclose that it existed).
    if before["polarity"] == "negative" and before["disclosure_class"] == DisclosureClass.A:
        verb = "更正" if outcome == Outcome.CORRECTED else "撤销"
        number = f"（{before['doc_number']}）" if before["doc_number"] else ""
        await CorrectionNotice.insert(
            CorrectionNotice(
                subject=row["subject"],
                objection=row["id"],
                title=f"更正公告：{before['title']}"[:200],
                body=(
                    f"本平台于{before['decision_date']:%Y年%m月%d日}起公示的“{before['title']}”{number}，"
                    f"经信息提供单位核查确有错误，已于{today_cn():%Y年%m月%d日}予以{verb}。特此公告。"
                ),
                published_at=datetime.now(timezone.utc),
            )
        )


def decision_text(outcome: str, answer: str, extra: str) -> str:
    """The body of the written decision (书面告知, R-23)."""
    text = f"经信息提供单位核查，{Outcome.FINDINGS[outcome]}。\n核查意见：{answer}"
    if outcome != Outcome.UPHELD:
        text += "\n该记录已按核查结论更正或撤销，并已通知曾获提供该信息的单位。"
    else:
        text += "\n如对处理结果仍有异议，可依法申请行政复议或提起行政诉讼。"
    if extra:
        text += f"\n{extra}"
    return text


async def tell_past_recipients(row: dict) -> int:
    """R-24: every party given this record in the past 5 years (found in the query-audit log) is
    told it changed. Runs after the answer committed; a failure is retried by the reminder job."""
    record = (
        await CreditRecord.select(
            CreditRecord.id,
            CreditRecord.title,
            CreditRecord.disclosure_class,
            CreditRecord.category,
            CreditRecord.created_at,
        )
        .where(CreditRecord.id == row["record"])
        .first()
    )
    # The class and category as the recipients received them: the version the objection was about.
    snapshot = (
        await RecordChange.select(RecordChange.snapshot)
        .where((RecordChange.record == row["record"]) & (RecordChange.version == row.get("record_version", 0)))
        .first()
    )
    if snapshot:
        was = snapshot["snapshot"]
        was = json.loads(was) if isinstance(was, str) else was
        record = {**record, **{k: was[k] for k in ("disclosure_class", "category") if k in was}}
    try:
        recipients = await past_recipients(row["subject"], record)
    except Exception:  # the audit service is down: the reminder job tries again
        log.exception("objection %s: past recipients not reachable", row["id"])
        return 0
    for who in recipients:
        await notify(
            who["account_id"],
            "objection",
            "您曾获提供的信用信息已变更",
            f"您此前查询获得的一条信用信息（{record['title']}）经异议核查已更正或撤销，请以平台最新信息为准，"
            "勿继续依据原信息作出决定。",
        )
    await ObjectionStep.insert(
        ObjectionStep(
            objection=row["id"],
            action=TOLD_RECIPIENTS,
            actor_label="系统",
            note=f"已通知 {len(recipients)} 个查询方",
            at=datetime.now(timezone.utc),
        )
    )
    return len(recipients)


async def retry_recipients() -> int:
    """Objections whose record changed but whose past recipients were not told yet."""
    done = {
        r["objection"]
        for r in await ObjectionStep.select(ObjectionStep.objection).where(ObjectionStep.action == TOLD_RECIPIENTS)
    }
    rows = await Objection.select(
        Objection.id, Objection.number, Objection.subject, Objection.record, Objection.record_version
    ).where(Objection.outcome.is_in([Outcome.CORRECTED, Outcome.REVOKED]))
    rows = [r for r in rows if r["id"] not in done]
    for row in rows:
        await tell_past_recipients(row)
    return len(rows)
