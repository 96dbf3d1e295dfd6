"""信用信息核查 (R-P2): applying, the centre's queue, issuing the opinion on the audited disclosure
path (DESIGN rules 1–2), downloads, the public check, and ``for_check`` for the check API.

Only this module (and ``opinion``) talks to the database for verifications.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

import anyio.to_thread

from portal.accounts.sessions import Principal
from portal.accounts.tables import Account, Role
from portal.agencies.service import by_id as agency_by_id
from portal.authorizations import service as auths
from portal.calendar.service import load_calendar
from portal.disclosure import service as disclosure
from portal.disclosure.service import Requester
from portal.lib.dates import to_china, today_cn
from portal.lists.tables import ListType
from portal.notices.service import notify
from portal.products.verifications import opinion as op
from portal.products.verifications import purposes, rules
from portal.products.verifications.pdf import render_opinion
from portal.products.verifications.tables import ApplicantKind, Status, Verification
from portal.proofs import service as proofs
from portal.publication.service import subject_list_entries
from portal.queries import policy
from portal.queries.refusals import Refusal
from portal.reports.fonts import resolve_font
from portal.reports.service import public_label
from portal.settings import get_settings

__all__ = [
    "Application",
    "VerificationError",
    "apply",
    "queue",
    "issue",
    "mine",
    "download",
    "check_token",
    "state",
    "for_check",
]

V = Verification
KIND = "verification"
APPLICANT_ROLES = frozenset({Role.CITIZEN, Role.ENTERPRISE, Role.AGENCY})
_LIST_COLUMNS = (
    V.id,
    V.number,
    V.subject,
    V.subject.name.as_alias("subject_name"),
    V.subject.kind.as_alias("subject_kind"),
    V.subject.subject_type.as_alias("subject_type"),
    V.applicant_kind,
    V.applicant_label,
    V.purpose,
    V.matter,
    V.applied_on,
    V.status,
    V.opinion_no,
    V.issued_on,
    V.issued_at,
    V.valid_until,
    V.digest,
)


class VerificationError(ValueError):
    """A problem the person can fix; the message is shown as is (Chinese)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Application:
    purpose: str
    matter: str
    subject_kind: str = "legal"
    """How an officer names the subject: a USCC, or a person's name and ID number."""
    uscc: str = ""
    name: str = ""
    id_number: str = ""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _label(row: dict) -> str:
    """The subject as lists and the public check show it: persons' names masked (R-17)."""
    return public_label({"kind": row["subject_kind"], "subject_type": row["subject_type"], "name": row["subject_name"]})


async def _subject_for(p: Principal, a: Application) -> tuple[int, str, str]:
    """(subject id, applicant kind, applicant label): who may apply about whom (R-P2, DESIGN rule 8)."""
    if p.role in (Role.CITIZEN, Role.ENTERPRISE):
        if not p.subject_id or not await proofs.is_proven(p.account_id):
            raise VerificationError("身份核验通过后方可申请本主体的信用信息查询意见", 403)
        subject = await disclosure.load_subject(p.subject_id)
        return subject["id"], ApplicantKind.SUBJECT, public_label(subject)
    if p.role == Role.AGENCY and p.agency_id:
        filing = auths.Filing("natural" if a.subject_kind == "natural" else "legal", a.uscc, a.name, a.id_number)
        try:
            found = await auths.find_subject(filing)
        except auths.AuthorizationError as exc:
            raise VerificationError(str(exc)) from None
        agency = await agency_by_id(p.agency_id)
        return found["id"], ApplicantKind.AGENCY, agency["name"] if agency else p.organisation
    raise VerificationError("您的账号无权申请信用信息核查", 403)


async def apply(p: Principal, a: Application, today: date | None = None) -> dict:
    """File an application; the day it is filed starts the 5-working-day count (rules.due_of)."""
    if p.role not in APPLICANT_ROLES:
        raise VerificationError("您的账号无权申请信用信息核查", 403)
    matter = " ".join(a.matter.split())
    if not purposes.is_known(a.purpose):
        raise VerificationError("请选择使用领域")
    if not 4 <= len(matter) <= 300:
        raise VerificationError("请写明办理的事项（4至300字），如项目名称或办件编号")
    subject_id, kind, label = await _subject_for(p, a)
    today = today or today_cn()
    number = op.new_number("HCSQ", today)
    await V.insert(
        V(
            number=number,
            subject=subject_id,
            applicant=p.account_id,
            applicant_kind=kind,
            agency=p.agency_id if kind == ApplicantKind.AGENCY else None,
            applicant_label=label,
            purpose=a.purpose,
            matter=matter,
            applied_on=today,
            applied_at=_now(),
        )
    )
    return {"number": number, "subject_id": subject_id}


async def queue(today: date | None = None, overdue_only: bool = False) -> list[dict]:
    """Pending applications, most urgent first: a deadline the calendar cannot count (the year is
    not entered, SPEC §6) comes first, then the fewest working days left."""
    today = today or today_cn()
    calendar = await load_calendar()
    rows = await V.select(*_LIST_COLUMNS).where(V.status == Status.PENDING).order_by(V.applied_on).limit(500)
    for row in rows:
        row["due"] = rules.due_of(row["applied_on"], calendar, today)
        row["subject_label"] = _label(row)
        row["purpose_label"] = purposes.label_of(row["purpose"])
    if overdue_only:
        rows = [r for r in rows if r["due"].overdue]
    return sorted(rows, key=lambda r: (r["due"].unknown_year is None, r["due"].left or 0, r["applied_on"], r["id"]))


async def _lists(subject_id: int, today: date) -> list[dict]:
    out = []
    for list_type in (ListType.BLACK, ListType.RED):
        out += [{**e, "list_type": list_type} for e in await subject_list_entries(subject_id, list_type, today)]
    return out


def _verify_url(token: str, base_url: str | None) -> str:
    base = get_settings().base_url or base_url or "http://127.0.0.1:8000"
    return base.rstrip("/") + op.verify_path(token)


async def issue(p: Principal, verification_id: int, base_url: str | None = None, request_id: str = "") -> str:
    """Issue the opinion: audit first (the disclosure path), read the records as of now, render,
    store, tell the applicant and the subject. Returns the opinion number."""
    row = await V.select().where(V.id == verification_id).first()
    if row is None:
        raise VerificationError("未找到该核查申请", 404)
    if row["status"] != Status.PENDING:
        raise VerificationError("该申请已出具查询意见", 409)
    purpose = purposes.label_of(row["purpose"])
    grant = policy.verification_decision(
        p, row["applicant_kind"], f"出具信用信息查询意见（{row['number']}）：{purpose}；{row['matter']}"
    )
    if isinstance(grant, Refusal):
        raise VerificationError(grant.advice or grant.label, grant.status)
    font = resolve_font()  # ReportFontMissing before anything is disclosed
    subject = await disclosure.load_subject(row["subject"])
    requester = Requester(p.account_id, p.username, p.role, p.organisation)
    found = await disclosure.disclose(
        requester,
        subject,
        grant.scope,
        method=grant.method,
        reason_code=grant.reason_code,
        reason_text=grant.reason_text,
        request_id=request_id,
    )  # raises AuditUnavailable: nothing read, nothing issued (DESIGN rule 2)
    issued_at = found.receipt.recorded_at.astimezone(timezone.utc)  # "as of": later changes supersede
    issued_on = to_china(issued_at).date()
    until = rules.valid_until(issued_on)
    opinion_no = op.new_number("XYHC", issued_on)
    content = op.build(
        row,
        subject,
        found.records,
        await _lists(subject["id"], issued_on),
        opinion_no,
        issued_at,
        until,
        row["applicant_label"],
        purpose,
    )
    url = _verify_url(op.sign(opinion_no, content["digest"]), base_url)
    pdf = await anyio.to_thread.run_sync(render_opinion, content, url, font)  # CPU-bound
    updated = (
        await V.update(
            {
                V.status: Status.ISSUED,
                V.opinion_no: opinion_no,
                V.issued_on: issued_on,
                V.issued_at: issued_at,
                V.issued_by: p.account_id,
                V.valid_until: until,
                V.digest: content["digest"],
                V.summary: content["summary"],
                V.record_count: len(found.records),
                V.audit_seq: found.receipt.seq,
                V.pdf: pdf,
            }
        )
        .where((V.id == verification_id) & (V.status == Status.PENDING))
        .returning(V.id)
    )
    if not updated:
        raise VerificationError("该申请已由他人出具查询意见", 409)
    await _tell(row, opinion_no, until)
    return opinion_no


async def _tell(row: dict, opinion_no: str, until: date) -> None:
    title = f"信用信息查询意见已出具：{opinion_no}"
    body = (
        f"核查申请 {row['number']} 的信用信息查询意见已出具（免费），有效期至{until:%Y年%m月%d日}，"
        "可在“信用核查”页面下载。"
    )
    accounts = await Account.select(Account.id).where((Account.subject == row["subject"]) & (Account.is_active == True))  # noqa: E712
    told = {a["id"] for a in accounts} | {row["applicant"]}
    for account_id in sorted(told):
        await notify(account_id, KIND, title, body, "/verifications")


async def state(row: dict, today: date | None = None) -> str:
    """有效 / 已过期 / 已被更新取代 of an issued opinion, computed now (R-P2)."""
    today = today or today_cn()
    superseded = today <= row["valid_until"] and await op.superseded_since(row["subject"], row["issued_at"])
    return rules.state_of(row["valid_until"], superseded, today)


async def _may_see(p: Principal, row: dict) -> bool:
    if row["applicant"] == p.account_id:
        return True
    if p.role == Role.AGENCY and p.agency_id and row["agency"] == p.agency_id:
        return True
    return (
        p.role in (Role.CITIZEN, Role.ENTERPRISE)
        and p.subject_id == row["subject"]
        and await proofs.is_proven(p.account_id)
    )


async def mine(p: Principal, today: date | None = None) -> list[dict]:
    """The applications this account may follow: its own, its agency's, and (once proven) every
    opinion about its subject — each issued one with its current state."""
    where = V.applicant == p.account_id
    if p.role == Role.AGENCY and p.agency_id:
        where |= V.agency == p.agency_id
    if p.role in (Role.CITIZEN, Role.ENTERPRISE) and p.subject_id and await proofs.is_proven(p.account_id):
        where |= V.subject == p.subject_id
    rows = await V.select(*_LIST_COLUMNS, V.applicant, V.agency).where(where).order_by(V.id, ascending=False).limit(200)
    for row in rows:
        row["subject_label"] = _label(row)
        row["purpose_label"] = purposes.label_of(row["purpose"])
        row["state"] = await state(row, today) if row["status"] == Status.ISSUED else ""
    return rows


async def download(p: Principal, verification_id: int) -> tuple[bytes, str] | None:
    """The PDF exactly as issued, for whoever may follow the application; None otherwise (404)."""
    row = (
        await V.select(V.id, V.subject, V.applicant, V.agency, V.status, V.opinion_no, V.pdf)
        .where(V.id == verification_id)
        .first()
    )
    if row is None or row["status"] != Status.ISSUED or not row["pdf"] or not await _may_see(p, row):
        return None
    return bytes(row["pdf"]), f"verification-{row['opinion_no']}.pdf"


async def check_token(token: str, today: date | None = None) -> dict | None:
    """What the public page shows of a genuine opinion: number, masked subject, purpose, dates,
    summary, digest and state. None when the token is not the portal's or matches no opinion."""
    claim = op.read_token(token)
    if claim is None:
        return None
    row = (
        await V.select(*_LIST_COLUMNS, V.summary, V.record_count)
        .where((V.opinion_no == claim[0]) & (V.status == Status.ISSUED))
        .first()
    )
    if row is None or row["digest"] != claim[1]:
        return None
    current = await state(row, today)
    return {
        "opinion_no": row["opinion_no"],
        "subject_label": _label(row),
        "purpose_label": purposes.label_of(row["purpose"]),
        "issued_on": row["issued_on"],
        "valid_until": row["valid_until"],
        "summary": row["summary"],
        "record_count": row["record_count"],
        "digest": row["digest"],
        "state": current,
        "state_label": rules.State.LABELS[current],
    }


async def for_check(subject_id: int, today: date) -> dict | None:
    """The newest valid, non-superseded opinion about the subject for the check API (R-P5), or None."""
    rows = (
        await V.select(V.id, V.subject, V.opinion_no, V.issued_on, V.issued_at, V.valid_until, V.digest)
        .where((V.subject == subject_id) & (V.status == Status.ISSUED) & (V.valid_until >= today))
        .order_by(V.issued_at, ascending=False)
        .limit(5)
    )
    for row in rows:
        if await state(row, today) == rules.State.VALID:
            return {
                "number": row["opinion_no"],
                "issued_on": row["issued_on"],
                "valid_until": row["valid_until"],
                "verify_url": op.verify_path(op.sign(row["opinion_no"], row["digest"])),
            }
    return None
