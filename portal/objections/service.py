"""The objection procedure (R-22 … R-24): filing, forwarding, the provider's answer, the written
decision. The only module that writes the objection tables; every step is one transaction that
also keeps who did it and when (SPEC §5), and a step is taken only from the stage it belongs to
(a conditional update: two officers pressing the same button cannot both succeed).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from piccolo.engine.sqlite import TransactionType

from audit import recorder
from portal.accounts.sessions import Principal
from portal.agencies.service import officer_ids
from portal.disclosure.service import Method, load_subject, subject_label
from portal.lib.dates import today_cn
from portal.notices.service import notify, notify_subject
from portal.numbering import serialize
from portal.objections import outcome as outcomes
from portal.objections.stages import MAX_DOCUMENTS, Channel, ObjectionError, Outcome, Stage
from portal.objections.tables import Objection, ObjectionDocument, ObjectionStep
from portal.records.tables import CreditRecord, RecordStatus
from portal.subjects.identity import subject_ref
from portal.uploads.service import UploadRejected, store_upload
from portal.uploads.tables import UploadPurpose

__all__ = [
    "ObjectionError",
    "Filing",
    "Answer",
    "file_objection",
    "forward",
    "answer",
    "tell_applicant",
    "withdraw",
    "open_objection_for",
    "record_staff_view",
]

OB = Objection
MAX_STATEMENT = 2000
KIND = "objection"


@dataclass
class Filing:
    """What an applicant (online) or staff at the counter put in (R-22)."""

    record_id: int
    statement: str
    contact: str = ""
    applicant_name: str = ""
    evidence: Sequence[object] = field(default_factory=tuple)
    """Uploaded files (UploadFile or bytes); checked by content and size."""


@dataclass
class Answer:
    """The provider's answer (R-23): outcome, reasons, corrected items, documents."""

    outcome: str
    reason: str
    changes: dict = field(default_factory=dict)
    documents: Sequence[object] = field(default_factory=tuple)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _transaction():
    db = OB._meta.db
    if db.engine_type == "sqlite":
        return db.transaction(transaction_type=TransactionType.immediate)  # STACK: avoid "locked"
    return db.transaction()


def _text(value: str, what: str, limit: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ObjectionError(f"请填写{what}")
    if len(value) > limit:
        raise ObjectionError(f"{what}不能超过{limit}字")
    return value


async def open_objection_for(record_id: int) -> dict | None:
    return (
        await OB.select(OB.id, OB.number, OB.stage)
        .where((OB.record == record_id) & OB.stage.is_in(list(outcomes.OPEN)))
        .first()
    )


async def _step(objection_id: int, action: str, actor: Principal | None, note: str = "") -> None:
    label = f"{actor.organisation or ''} {actor.display_name or actor.username}".strip() if actor else "系统"
    await ObjectionStep.insert(
        ObjectionStep(
            objection=objection_id,
            action=action,
            actor=actor.account_id if actor else None,
            actor_label=label[:120],
            note=note,
            at=_now(),
        )
    )


async def _documents(objection_id: int, files: Sequence[object], owner: Principal, subject_id: int, party: str) -> None:
    purpose = UploadPurpose.OBJECTION_EVIDENCE if party == "applicant" else UploadPurpose.VERIFICATION_DOCUMENT
    for source in files:
        try:
            stored = await store_upload(source, owner_id=owner.account_id, purpose=purpose, subject_id=subject_id)
        except UploadRejected as exc:
            raise ObjectionError(f"证明材料未通过检查：{exc.message}", exc.status) from None
        await ObjectionDocument.insert(ObjectionDocument(objection=objection_id, upload=stored["id"], party=party))


async def _number(today) -> str:
    prefix = f"YY{today:%Y%m%d}"
    await serialize(OB, "objection")
    count = await OB.count().where(OB.number.like(f"{prefix}%"))
    return f"{prefix}{count + 1:04d}"


async def file_objection(actor: Principal, subject_id: int, filing: Filing, channel: str) -> dict:
    """Receive an objection to one of the subject's records (R-22). The caller has established that
    ``actor`` speaks for the subject (online) or is staff taking a written objection (counter) and
    that the record is one the actor was shown; this checks the rest."""
    statement = _text(filing.statement, "异议理由", MAX_STATEMENT)
    contact = _text(filing.contact, "联系方式", 200, required=channel == Channel.COUNTER)
    name = _text(filing.applicant_name, "申请人姓名或名称", 100)
    evidence = [f for f in filing.evidence if f is not None]
    if len(evidence) > MAX_DOCUMENTS:
        raise ObjectionError(f"证明材料最多{MAX_DOCUMENTS}份")
    today = today_cn()
    async with _transaction():
        record = (
            await CreditRecord.select(
                CreditRecord.id, CreditRecord.subject, CreditRecord.version, CreditRecord.provider, CreditRecord.status
            )
            .where(CreditRecord.id == filing.record_id)
            .first()
        )
        if record is None or record["subject"] != subject_id:
            raise ObjectionError("未找到该信用记录", 404)
        if record["status"] != RecordStatus.IN_FORCE:
            raise ObjectionError("该记录已更正或撤销，无需再提出异议")
        if open_one := await open_objection_for(record["id"]):
            raise ObjectionError(f"该记录已有处理中的异议（{open_one['number']}），请等待处理结果", 409)
        row = OB(
            number=await _number(today),
            subject=subject_id,
            record=record["id"],
            record_version=record["version"],
            agency=record["provider"],
            channel=channel,
            filed_by=actor.account_id,
            applicant_name=name,
            contact=contact,
            statement=statement,
            received_on=today,
            received_at=_now(),
            stage=Stage.RECEIVED,
        )
        await row.save()
        await _step(row.id, "filed" if channel == Channel.ONLINE else "counter", actor, Channel.LABELS[channel])
        await _documents(row.id, evidence, actor, subject_id, "applicant")
        await notify_subject(
            subject_id,
            KIND,
            f"异议已受理：{row.number}",
            f"您对信用记录提出的异议（{row.number}）已于 {today:%Y年%m月%d日} 受理。"
            "信用中心将在3个工作日内转送提供单位核查；处理期间该记录标注“异议处理中”。",
            f"/me/objections/{row.id}",
        )
    return {"id": row.id, "number": row.number}


async def _move(objection_id: int, from_stage: str, values: dict, where=None) -> dict:
    """Take one step from ``from_stage``, or refuse: nobody else took it first (SPEC §5)."""
    condition = (OB.id == objection_id) & (OB.stage == from_stage)
    if where is not None:
        condition &= where
    done = (
        await OB.update(values)
        .where(condition)
        .returning(OB.id, OB.number, OB.subject, OB.agency, OB.record, OB.record_version)
    )
    if not done:
        raise ObjectionError("该异议已不在此处理环节，请刷新页面", 409)
    return done[0]


async def forward(actor: Principal, objection_id: int, note: str = "") -> None:
    """The centre forwards to the providing agency (R-23: within 3 working days of receipt)."""
    note = _text(note, "转送说明", 500, required=False)
    async with _transaction():
        row = await _move(objection_id, Stage.RECEIVED, {OB.stage: Stage.FORWARDED, OB.forwarded_on: today_cn()})
        await _step(objection_id, "forwarded", actor, note)
        for officer in await officer_ids(row["agency"]):
            await notify(
                officer,
                KIND,
                f"待核查异议：{row['number']}",
                "信用中心转来一件异议，请在15个工作日内核查并答复（维持、更正或撤销）。",
                f"/agency/objections/{objection_id}",
            )
        await notify_subject(
            row["subject"],
            KIND,
            f"异议已转送：{row['number']}",
            "您的异议已转送信息提供单位核查。",
            f"/me/objections/{objection_id}",
        )


async def answer(actor: Principal, objection_id: int, reply: Answer) -> None:
    """The provider's verification (R-23, R-11): a correction or revocation goes through the record's
    history and takes effect at once; a wrong sanction is also put right in public (R-24)."""
    if reply.outcome not in Outcome.LABELS:
        raise ObjectionError("请选择核查结论")
    reason = _text(reply.reason, "核查意见", 2000)
    documents = [d for d in reply.documents if d is not None]
    if len(documents) > MAX_DOCUMENTS:
        raise ObjectionError(f"核查材料最多{MAX_DOCUMENTS}份")
    if reply.outcome == Outcome.CORRECTED and not reply.changes:
        raise ObjectionError("请填写更正后的内容")
    async with _transaction():
        row = await _move(
            objection_id,
            Stage.FORWARDED,
            {OB.stage: Stage.ANSWERED, OB.answered_on: today_cn(), OB.outcome: reply.outcome, OB.answer: reason},
            where=OB.agency == (actor.agency_id or 0),
        )
        await _step(objection_id, "answered", actor, f"{Outcome.SHORT[reply.outcome]}：{reason}")
        await _documents(objection_id, documents, actor, row["subject"], "provider")
        await outcomes.apply(row, reply.outcome, reply.changes, reason, actor)
        await notify_subject(
            row["subject"],
            KIND,
            f"异议已核查：{row['number']}",
            "信息提供单位已完成核查，信用中心将在2个工作日内书面告知您处理结果。",
            f"/me/objections/{objection_id}",
        )
    if reply.outcome != Outcome.UPHELD:
        await outcomes.tell_past_recipients(row)


async def tell_applicant(actor: Principal, objection_id: int, text: str = "") -> str:
    """The centre's written decision to the applicant (R-23: within 2 working days of the answer)."""
    text = _text(text, "告知内容补充说明", 1000, required=False)
    today = today_cn()
    async with _transaction():
        current = await OB.select(OB.number, OB.stage, OB.outcome, OB.answer).where(OB.id == objection_id).first()
        if current is None:
            raise ObjectionError("未找到该异议", 404)
        if current["stage"] != Stage.ANSWERED:
            raise ObjectionError("提供单位答复后方可书面告知申请人", 409)
        decision_no = f"{current['number']}-GZ"
        body = outcomes.decision_text(current["outcome"], current["answer"], text)
        row = await _move(
            objection_id,
            Stage.ANSWERED,
            {OB.stage: Stage.CLOSED, OB.closed_on: today, OB.decision_no: decision_no, OB.decision_text: body},
        )
        await _step(objection_id, "told", actor, f"书面告知 {decision_no}")
        await notify_subject(
            row["subject"],
            KIND,
            f"异议处理结果：{row['number']}",
            f"{Outcome.LABELS[current['outcome']]}。书面告知书（{decision_no}）可在异议详情中下载。",
            f"/me/objections/{objection_id}",
        )
    return decision_no


async def withdraw(actor: Principal, objection_id: int) -> None:
    """The applicant may withdraw before the provider has answered."""
    async with _transaction():
        subject = actor.subject_id or 0
        for stage in (Stage.RECEIVED, Stage.FORWARDED):
            try:
                values = {OB.stage: Stage.WITHDRAWN, OB.closed_on: today_cn()}
                await _move(objection_id, stage, values, where=OB.subject == subject)
            except ObjectionError:
                continue
            await _step(objection_id, "withdrawn", actor)
            return
    raise ObjectionError("该异议已答复或已办结，不能撤回", 409)


async def record_staff_view(actor: Principal, found: dict) -> None:
    """Staff opening an objection about a non-public record see that record: on record first, as
    an access (not a query) the subject sees in 谁查询了我 (R-28, SPEC §5). AuditUnavailable → 503."""
    record = found.get("record_now") or {}
    if record.get("disclosure_class", "A") == "A":
        return
    subject = await load_subject(found["subject"])
    await recorder.record(
        recorder.QueryEvent(
            requester_account=actor.username,
            requester_role=actor.role,
            requester_org=actor.organisation,
            method=Method.STAFF_REVIEW,
            reason_code="objection",
            reason_text=f"办理异议{found['number']}",
            subject_ref=subject_ref(subject),
            subject_label=subject_label(subject),
            scope=record["disclosure_class"],
            authority_ref=f"objection:{found['number']}",
            request_id=uuid.uuid4().hex,
        )
    )
