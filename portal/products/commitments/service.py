"""Signing and reading commitments (R-P1). A proven subject signs the current standard text of a
domain for one matter of an accepting agency; the commitment is class A (KS 第九条) and so shown on
the subject's public profile, with natural persons' ID numbers masked (R-17)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timezone

from piccolo.engine.sqlite import TransactionType

from portal.accounts.sessions import Principal
from portal.accounts.tables import Role
from portal.agencies.tables import Agency
from portal.lib.dates import to_china, today_cn
from portal.products.commitments import texts
from portal.products.commitments.document import verify_path
from portal.products.commitments.tables import Commitment, CommitmentDomain, CommitmentStatus
from portal.proofs import service as proofs
from portal.subjects.tables import Subject

__all__ = [
    "CommitmentError",
    "SigningForm",
    "NOT_PROVEN",
    "may_sign",
    "sign",
    "detail",
    "for_subject",
    "public_for_subject",
    "for_check",
    "new_form_token",
    "view",
]

C = Commitment
NOT_PROVEN = "身份核验通过后方可在网上签署信用承诺；请先在“我的账户”提交身份证明，经信用中心审核通过后再签署"
_NO_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_COLUMNS = (
    C.id,
    C.number,
    C.subject,
    C.text,
    C.domain,
    C.text_version,
    C.text_sha256,
    C.matter,
    C.case_no,
    C.agency,
    C.agency.name.as_alias("agency_name"),
    C.signer_name,
    C.signed_at,
    C.signed_on,
    C.valid_until,
    C.status,
    C.breached_on,
    C.breach_facts,
    C.breach_basis,
    C.breach_record,
)


class CommitmentError(ValueError):
    """A step that cannot be taken; the message is Chinese and shown as is."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class SigningForm:
    domain: str = ""
    text: int = 0
    """The version the form showed: signing fails if staff changed the text meanwhile."""
    matter: str = ""
    case_no: str = ""
    agency: int = 0
    valid_until: str = ""
    confirm: str = ""
    form_token: str = ""


def new_form_token() -> str:
    return secrets.token_urlsafe(24)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _transaction():
    db = C._meta.db
    if db.engine_type == "sqlite":
        return db.transaction(transaction_type=TransactionType.immediate)
    return db.transaction()


def _number(day: date) -> str:
    return f"XYCN{day:%Y%m%d}{''.join(secrets.choice(_NO_ALPHABET) for _ in range(8))}"


async def may_sign(p: Principal) -> bool:
    """DESIGN rule 8: only an account whose proof linked it to its subject signs for that subject."""
    return p.role in (Role.CITIZEN, Role.ENTERPRISE) and bool(p.subject_id) and await proofs.is_proven(p.account_id)


async def _checked(form: SigningForm, today: date) -> tuple[dict, dict, date | None]:
    text = await texts.current_for(form.domain)
    if text is None:
        raise CommitmentError("请选择承诺的应用领域")
    if text["id"] != form.text:
        raise CommitmentError("承诺书范本已修订，请阅读新版本全文后重新签署", 409)
    if not form.confirm:
        raise CommitmentError("请勾选“本人已阅读承诺书全文，自愿作出上述承诺”后再签署")
    form.matter, form.case_no = form.matter.strip(), form.case_no.strip()
    if not form.matter or len(form.matter) > 200:
        raise CommitmentError("请填写事项名称（200字以内）")
    if len(form.case_no) > 64:
        raise CommitmentError("办件编号不超过64个字符")
    agency = (
        await Agency.select(Agency.id, Agency.name)
        .where((Agency.id == form.agency) & (Agency.is_active == True))  # noqa: E712 (Piccolo expression)
        .first()
    )
    if agency is None:
        raise CommitmentError("请选择受理部门")
    valid_until = None
    if form.valid_until.strip():
        try:
            valid_until = date.fromisoformat(form.valid_until.strip())
        except ValueError:
            raise CommitmentError("承诺有效期应为日期，如 2027-12-31") from None
        if valid_until < today:
            raise CommitmentError("承诺有效期不能早于今天")
    if not form.form_token or len(form.form_token) > 64:
        raise CommitmentError("表单已失效，请重新打开签署页面")
    return text, agency, valid_until


async def sign(p: Principal, form: SigningForm, today: date | None = None) -> int:
    """The new commitment's id; the same form sent twice gives the first one's id (no duplicate)."""
    if not await may_sign(p):
        raise CommitmentError(NOT_PROVEN, 403)
    today = today or today_cn()
    text, agency, valid_until = await _checked(form, today)
    async with _transaction():
        done = await C.select(C.id, C.subject).where(C.form_token == form.form_token).first()
        if done is not None:
            if done["subject"] != p.subject_id:
                raise CommitmentError("表单已失效，请重新打开签署页面")
            return done["id"]
        subject = await Subject.select(Subject.name).where(Subject.id == p.subject_id).first()
        now = _now()
        row = C(
            number=_number(to_china(now).date()),
            subject=p.subject_id,
            text=text["id"],
            domain=text["domain"],
            text_version=text["version"],
            text_sha256=text["text_sha256"],
            matter=form.matter,
            case_no=form.case_no,
            agency=agency["id"],
            signed_by=p.account_id,
            signer_name=subject["name"],
            signed_at=now,
            signed_on=today,
            valid_until=valid_until,
            form_token=form.form_token,
            status=CommitmentStatus.SIGNED,
        )
        await row.save()
    return row.id


def view(row: dict) -> dict:
    row["domain_label"] = CommitmentDomain.LABELS.get(row["domain"], row["domain"])
    row["status_label"] = CommitmentStatus.LABELS.get(row["status"], row["status"])
    return row


async def detail(commitment_id: int) -> dict | None:
    """One commitment with its text and subject (masked fields only for a natural person, R-17)."""
    row = await C.select(*_COLUMNS).where(C.id == commitment_id).first()
    if row is None:
        return None
    text = await texts.text_by_id(row["text"])
    S = Subject
    subject = await S.select(S.id, S.kind, S.name, S.uscc, S.id_number_masked).where(S.id == row["subject"]).first()
    return {**view(row), "text_title": text["title"], "text_body": text["body"], "subject_row": subject}


async def for_subject(subject_id: int) -> list[dict]:
    """All of a subject's commitments, newest first (its own page)."""
    rows = await C.select(*_COLUMNS).where(C.subject == subject_id).order_by(C.id, ascending=False)
    return [view(r) for r in rows]


async def public_for_subject(subject_id: int) -> list[dict]:
    """What the public profile shows (class A, KS 第九条): signed and breached commitments, never the
    breach facts beyond what the published record carries."""
    rows = (
        await C.select(*_COLUMNS)
        .where((C.subject == subject_id) & (C.status != CommitmentStatus.WITHDRAWN))
        .order_by(C.signed_on, C.id, ascending=False)
        .limit(100)
    )
    return [view(r) for r in rows]


async def for_check(subject_id: int, today: date) -> list[dict]:
    """Commitments in force for the check an approval system makes (R-P5): signed, not breached or
    withdrawn, and not past their validity."""
    rows = await (
        C.select(C.id, C.number, C.domain, C.matter, C.case_no, C.signed_on, C.text_version, C.status, C.valid_until)
        .where((C.subject == subject_id) & (C.status == CommitmentStatus.SIGNED) & (C.signed_on <= today))
        .order_by(C.signed_on, C.id, ascending=False)
    )
    return [
        {
            "id": r["id"],
            "number": r["number"],
            "domain": r["domain"],
            "domain_label": CommitmentDomain.LABELS.get(r["domain"], r["domain"]),
            "matter": r["matter"],
            "case_no": r["case_no"],
            "signed_on": r["signed_on"],
            "valid_until": r["valid_until"],
            "version": r["text_version"],
            "status": r["status"],
            "verify_url": verify_path(r["id"], r["number"]),
        }
        for r in rows
        if r["valid_until"] is None or r["valid_until"] >= today
    ]
