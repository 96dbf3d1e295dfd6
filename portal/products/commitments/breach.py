"""违诺 (R-P1; KS 第九条; JX 三(六)4): the accepting agency records a breach of a commitment made in
one of its matters. The breach becomes a negative credit record of the subject through the
collection service's single-entry path (history, catalogue class check and R-09 apply as for any
record), the commitment shows 已违诺, and the subject's accounts are told."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from portal.accounts.sessions import Principal
from portal.accounts.tables import Role
from portal.ingest import service as ingest
from portal.ingest.tables import Channel
from portal.lib.dates import today_cn
from portal.notices import service as notices
from portal.products.commitments.service import CommitmentError, view
from portal.products.commitments.tables import Commitment, CommitmentStatus
from portal.records.tables import CreditRecord
from portal.subjects.identity import open_id_number
from portal.subjects.tables import Subject, SubjectKind

__all__ = ["BreachForm", "for_agency", "of_agency", "record_breach", "NOTICE_KIND"]

C = Commitment
NOTICE_KIND = "commitment"
LIST_LIMIT = 200


@dataclass
class BreachForm:
    facts: str = ""
    basis: str = ""
    breached_on: str = ""


async def for_agency(agency_id: int) -> list[dict]:
    """Commitments made in this agency's matters, newest first."""
    rows = (
        await C.select(
            C.id,
            C.number,
            C.domain,
            C.matter,
            C.case_no,
            C.signer_name,
            C.signed_on,
            C.status,
            C.breached_on,
            C.agency,
            C.agency.name.as_alias("agency_name"),
            C.text_version,
            C.subject.kind.as_alias("subject_kind"),
        )
        .where(C.agency == agency_id)
        .order_by(C.id, ascending=False)
        .limit(LIST_LIMIT)
    )
    return [view(r) for r in rows]


async def of_agency(p: Principal, commitment_id: int) -> dict | None:
    """The commitment if it was made in a matter of the officer's agency; None otherwise."""
    from portal.products.commitments.service import detail

    found = await detail(commitment_id)
    if found is None or p.role != Role.AGENCY or not p.agency_id or found["agency"] != p.agency_id:
        return None
    return found


def _parsed(form: BreachForm, signed_on: date, today: date) -> tuple[str, str, date]:
    facts, basis = form.facts.strip(), form.basis.strip()
    if not facts or len(facts) > 2000:
        raise CommitmentError("请填写违诺事实（2000字以内）")
    if not basis or len(basis) > 1000:
        raise CommitmentError("请填写认定依据（1000字以内）")
    try:
        day = date.fromisoformat(form.breached_on.strip())
    except ValueError:
        raise CommitmentError("请填写违诺认定日期，格式 YYYY-MM-DD") from None
    if day > today:
        raise CommitmentError("违诺认定日期不能晚于今天")
    if day < signed_on:
        raise CommitmentError("违诺认定日期不能早于承诺签署日期")
    return facts, basis, day


async def _subject_item(subject_id: int) -> tuple[dict, str, str]:
    """The item's subject, category and class. A legal person's breach is class A (KS 第九条); a
    natural person's is a 提示信息 (R-08) of class B: the catalogue does not publish it (R-17)."""
    S = Subject
    row = await S.select(S.kind, S.name, S.uscc, S.id_number_sealed).where(S.id == subject_id).first()
    if row["kind"] == SubjectKind.LEGAL:
        return {"kind": "legal", "uscc": row["uscc"], "name": row["name"]}, "commitment_breach", "A"
    number = open_id_number(row["id_number_sealed"] or "")
    if not number:
        raise CommitmentError("该自然人的公民身份号码无法读取，请联系信用中心", 409)
    return {"kind": "natural", "name": row["name"], "id_number": number}, "person_negative", "B"


async def record_breach(p: Principal, commitment_id: int, form: BreachForm, today: date | None = None) -> int:
    """The negative record's id. Only the accepting agency's officers; once per commitment."""
    found = await of_agency(p, commitment_id)
    if found is None:
        raise CommitmentError("未找到本部门受理事项中的这份承诺", 404)
    if found["status"] != CommitmentStatus.SIGNED:
        raise CommitmentError("该承诺已认定违诺或已撤回，不能重复记录", 409)
    today = today or today_cn()
    facts, basis, day = _parsed(form, found["signed_on"], today)
    subject, category, cls = await _subject_item(found["subject"])
    ref = f"XYCN-{found['number']}"
    raw = {
        "action": "create",
        "record_id": ref,
        "subject": subject,
        "record_type": "general",
        "category": category,
        "disclosure_class": cls,
        "polarity": "negative",
        "title": f"违背信用承诺：{found['matter']}"[:200],
        "content": f"承诺书编号：{found['number']}；违诺事实：{facts}；认定依据：{basis}",
        "decision_date": day.isoformat(),
    }
    reporter = ingest.Reporter(p.agency_id, Channel.ENTRY, p.username, account_id=p.account_id)
    result = (await ingest.report(reporter, [raw]))[0]
    if result.status == "rejected":
        raise CommitmentError("；".join(e.message for e in result.errors), 400)
    R = CreditRecord
    record = await R.select(R.id).where((R.provider == p.agency_id) & (R.provider_ref == ref) & ingest.WITH_REF).first()
    await C.update(
        {
            C.status: CommitmentStatus.BREACHED,
            C.breached_on: day,
            C.breach_facts: facts,
            C.breach_basis: basis,
            C.breach_by: p.account_id,
            C.breach_record: record["id"],
        }
    ).where((C.id == commitment_id) & (C.status == CommitmentStatus.SIGNED))
    await notices.notify_subject(
        found["subject"],
        NOTICE_KIND,
        f"信用承诺违诺认定：{found['number']}",
        f"{found['agency_name']}于{day:%Y年%m月%d日}认定您违背了就“{found['matter']}”作出的信用承诺"
        f"（编号 {found['number']}）。认定依据：{basis}。该违诺信息已作为失信信息记入公共信用信息系统；"
        "如有异议，可向市信用中心提出异议申请。",
        f"/me/commitments/{commitment_id}",
    )
    return record["id"]
