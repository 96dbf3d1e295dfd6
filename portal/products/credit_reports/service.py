"""信用报告 (R-P3; Z105 第十三—十六条, KS 第十五—二十一条): a registered agency uploads a report on
a subject with the subject's written authorisation; it is valid one year; it needs re-rating once a
major negative record or a black-list entry of the subject appears after its date (computed at
read time); a re-rating replaces it. The public and agencies learn only that a valid report exists.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import anyio.to_thread

from portal.accounts.sessions import Principal
from portal.authorizations import service as authorizations
from portal.authorizations.tables import Authorization, AuthorizationStatus
from portal.lib.dates import CHINA_TZ
from portal.lists.tables import ListEntry
from portal.notices.service import notify_subject
from portal.products.credit_reports import registry
from portal.products.credit_reports.tables import GRADES, CreditReport
from portal.queries.policy import AuthorisationFacts, credit_report_decision
from portal.queries.refusals import Refusal
from portal.records.tables import CreditRecord, PenaltyDetail
from portal.settings import get_settings
from portal.uploads import service as uploads
from portal.uploads.sniff import PDF, SniffError, sniff
from portal.uploads.tables import UploadPurpose

__all__ = [
    "SECTIONS",
    "GRADES",
    "ReportError",
    "ReportRefused",
    "ReportForm",
    "valid_until_of",
    "usable_authorizations",
    "create",
    "for_agency",
    "for_subject",
    "public_existence",
    "for_check",
    "file_of",
]

R = CreditReport
# Z105 第十四条, KS 第十六条: what a credit report contains besides the grade and risk warnings.
SECTIONS = {
    "basic": "基本情况信息",
    "business": "经营业务信息",
    "financial": "主要财务数据与指标",
    "bank_credit": "银行信用记录",
    "contract": "合同履行信息",
    "regulatory": "公共信用监管信息",
    "judicial": "司法信息",
    "other": "其他相关信息",
}
# R-P3 re-rating: negative categories that are a major credit event in themselves, and penalties
# that stop or bar the business (not a warning or an ordinary fine).
MAJOR_CATEGORIES = ("judicial", "tax_violation", "accident", "executive_ban", "bankruptcy", "person_judicial")
MAJOR_PENALTY_WORDS = ("吊销", "责令停产停业", "责令关闭", "限制从业", "限制开展生产经营活动")


class ReportError(ValueError):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class ReportRefused(Exception):
    """The policy refused the upload (R-P3); nothing was stored."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.code)
        self.refusal = refusal


@dataclass
class ReportForm:
    authorization_id: int = 0
    report_no: str = ""
    grade: str = ""
    risk_warnings: str = ""
    report_date: date | None = None
    sections: dict[str, str] = field(default_factory=dict)
    replaces: int | None = None


def _now() -> datetime:
    return datetime.now(timezone.utc)


def valid_until_of(report_date: date) -> date:
    """Valid one year (Z105 第十六条, KS 第十九条): through the day before the same date next year."""
    try:
        anniversary = report_date.replace(year=report_date.year + 1)
    except ValueError:  # 29 February
        anniversary = report_date.replace(year=report_date.year + 1, month=3, day=1)
    return anniversary - timedelta(days=1)


async def usable_authorizations(account_id: int, today: date) -> list[dict]:
    """The requester's effective, current authorisations for a credit report (the form's choices)."""
    A = Authorization
    return (
        await A.select(A.id, A.subject.name.as_alias("subject_name"), A.valid_until)
        .where(
            (A.requester == account_id)
            & (A.status == AuthorizationStatus.EFFECTIVE)
            & (A.reason_code == "credit_report")
            & (A.valid_from <= today)
            & (A.valid_until >= today)
        )
        .order_by(A.id, ascending=False)
        .limit(200)
    )


def _checked_terms(form: ReportForm, today: date) -> dict[str, str]:
    if not form.report_no.strip() or len(form.report_no.strip()) > 60:
        raise ReportError("请填写报告编号（60字以内）")
    if form.grade not in GRADES:
        raise ReportError("请选择信用等级")
    if not form.risk_warnings.strip() or len(form.risk_warnings) > 5000:
        raise ReportError("请填写风险提示（5000字以内）")
    if form.report_date is None or form.report_date > today:
        raise ReportError("请填写报告日期，且不能晚于今天")
    if valid_until_of(form.report_date) < today:
        raise ReportError("报告日期已超过一年，报告已失效")
    sections = {k: (form.sections.get(k) or "").strip() for k in SECTIONS}
    if not sections["basic"]:
        raise ReportError("请填写基本情况信息")
    if any(len(v) > 5000 for v in sections.values()):
        raise ReportError("每部分内容不超过5000字")
    return sections


def _checked_pdf(data: bytes) -> None:
    """The report file is a PDF by its content, not its name, within the size limit."""
    if len(data) > get_settings().upload_max_bytes:
        raise ReportError(uploads.too_large().message, 413)
    try:
        found = sniff(data)
    except SniffError as exc:
        raise ReportError(exc.message, 415 if exc.code == "unsupported_type" else 400) from None
    if found.media_type != PDF:
        raise ReportError("信用报告须为 PDF 文件", 415)


async def _authorization(authorization_id: int) -> tuple[dict | None, AuthorisationFacts | None]:
    row = await authorizations.get(authorization_id) if authorization_id else None
    return row, (AuthorisationFacts.of(row) if row else None)


async def create(principal: Principal, form: ReportForm, data: bytes, filename: str, today: date) -> int:
    """Check who uploads (policy), the terms and the file; store the report (and replace the one it
    re-rates). Raises ReportRefused or ReportError; nothing is stored then."""
    agency = await registry.agency_of_account(principal.account_id)
    authorization, facts = await _authorization(form.authorization_id)
    if refusal := credit_report_decision(principal, agency["status"] if agency else None, facts, today):
        raise ReportRefused(refusal)
    sections = _checked_terms(form, today)
    await anyio.to_thread.run_sync(_checked_pdf, data)
    subject_id = authorization["subject_id"]  # the report is on the subject who authorised it
    async with R._meta.db.transaction():
        if form.replaces is not None:
            replaced = (
                await R.update({R.replaced_at: _now()})
                .where((R.id == form.replaces) & (R.agency == agency["id"]) & (R.subject == subject_id))
                .where(R.replaced_at.is_null() & (R.report_date <= form.report_date))  # a re-rating is newer
                .returning(R.id)
            )
            if not replaced:
                raise ReportError("要重新评级的报告不存在、已被替换，或新报告日期早于原报告")
        # Not attached to the subject: its accounts read it here, after their identity check.
        stored = await uploads.store_upload(
            data, owner_id=principal.account_id, purpose=UploadPurpose.CREDIT_REPORT, original_name=filename
        )
        rows = await R.insert(
            R(
                agency=agency["id"],
                subject=subject_id,
                authorization=form.authorization_id,
                report_no=form.report_no.strip(),
                grade=form.grade,
                risk_warnings=form.risk_warnings.strip(),
                content=json.dumps(sections, ensure_ascii=False, sort_keys=True),
                report_date=form.report_date,
                valid_until=valid_until_of(form.report_date),
                file=stored["id"],
                uploaded_by=principal.account_id,
                replaces=form.replaces,
                created_at=_now(),
            )
        )
        what = "重新评级的信用报告" if form.replaces else "信用报告"
        await notify_subject(
            subject_id,
            "credit_report",
            f"{agency['name']} 上传了您的{what}",
            f"{agency['name']} 依据您的书面授权上传了{what}（报告日期 {form.report_date.isoformat()}）。",
            "/me/credit-reports",
        )
    return rows[0]["id"]


async def _major_events_after(subject_id: int, since: date) -> bool:
    """R-P3: a major negative record or a black-list entry dated, or entered, after ``since``.
    Narrower than an opinion's supersession (verifications.opinion.major_change_since, R-P2): a
    report's grade is the agency's judgement, and only a credit crisis calls for re-rating."""
    next_day = datetime(since.year, since.month, since.day, tzinfo=CHINA_TZ) + timedelta(days=1)
    C = CreditRecord
    after = (C.decision_date > since) | (C.created_at >= next_day)
    base = (C.subject == subject_id) & (C.polarity == "negative") & (C.status == "in_force") & after
    if await C.exists().where(base & C.category.is_in(list(MAJOR_CATEGORIES))):
        return True
    P = PenaltyDetail
    severe = None
    for word in MAJOR_PENALTY_WORDS:
        clause = P.penalty_category.like(f"%{word}%")
        severe = clause if severe is None else severe | clause
    p_after = (P.record.decision_date > since) | (P.record.created_at >= next_day)
    if await P.exists().where((P.record.subject == subject_id) & (P.record.status == "in_force") & p_after & severe):
        return True
    L = ListEntry
    return await L.exists().where(
        (L.subject == subject_id)
        & (L.list_type == "black")
        & (L.status == "in_force")
        & ((L.listed_on > since) | (L.created_at >= next_day))
    )


_COLUMNS = (
    R.id,
    R.report_no,
    R.grade,
    R.risk_warnings,
    R.content,
    R.report_date,
    R.valid_until,
    R.replaces,
    R.replaced_at,
    R.created_at,
    R.subject.id.as_alias("subject_id"),
    R.subject.name.as_alias("subject_name"),
    R.agency.id.as_alias("agency_id"),
    R.agency.name.as_alias("agency_name"),
    R.agency.filing_no.as_alias("filing_no"),
)


async def _annotate(rows: list[dict], today: date) -> list[dict]:
    for row in rows:
        row["sections"] = json.loads(row.pop("content"))
        row["is_valid"] = row["replaced_at"] is None and row["report_date"] <= today <= row["valid_until"]
        row["needs_rerating"] = row["replaced_at"] is None and await _major_events_after(
            row["subject_id"], row["report_date"]
        )
    return rows


async def for_agency(agency_id: int, today: date) -> list[dict]:
    rows = await R.select(*_COLUMNS).where(R.agency == agency_id).order_by(R.id, ascending=False).limit(200)
    return await _annotate(rows, today)


async def for_subject(subject_id: int, today: date) -> list[dict]:
    """In full: the subject sees its own reports (the caller checked its identity)."""
    rows = await R.select(*_COLUMNS).where(R.subject == subject_id).order_by(R.id, ascending=False).limit(200)
    return await _annotate(rows, today)


async def public_existence(subject_id: int, today: date) -> list[dict]:
    """Valid reports as the public and agencies may see them: existence, issuing agency, date,
    validity and the re-rating flag — never the grade, warnings or content (R-P3)."""
    rows = (
        await R.select(
            R.report_date,
            R.valid_until,
            R.agency.name.as_alias("agency_name"),
            R.agency.filing_no.as_alias("filing_no"),
        )
        .where(
            (R.subject == subject_id) & R.replaced_at.is_null() & (R.report_date <= today) & (R.valid_until >= today)
        )
        .order_by(R.report_date, ascending=False)
        .order_by(R.id, ascending=False)
        .limit(20)
    )
    for row in rows:
        row["needs_rerating"] = await _major_events_after(subject_id, row["report_date"])
    return rows


async def for_check(subject_id: int, today: date) -> dict | None:
    """The newest valid report's existence data for the check API (R-P5), no content."""
    rows = await public_existence(subject_id, today)
    if not rows:
        return None
    top = rows[0]
    return {
        "agency_name": top["agency_name"],
        "filing_no": top["filing_no"],
        "report_date": top["report_date"],
        "valid_until": top["valid_until"],
        "needs_rerating": top["needs_rerating"],
    }


async def file_of(report_id: int, *, agency_id: int | None = None, subject_id: int | None = None) -> tuple[dict, Path]:
    """The report's PDF for its agency or its subject; anyone else: UploadNotFound."""
    where = R.id == report_id
    where &= (R.agency == agency_id) if agency_id is not None else (R.subject == (subject_id or -1))
    row = await R.select(R.file).where(where).first()
    upload = await uploads.get_by_id(row["file"]) if row else None
    if upload is None:
        raise uploads.UploadNotFound(report_id)
    path = uploads.file_path(upload["stored_name"])
    if not path.is_file():
        raise uploads.UploadNotFound(report_id)
    return upload, path
