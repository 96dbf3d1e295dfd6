"""The one path to non-public credit records (DESIGN rules 1–2; R-15, R-18, R-19).

Every read beyond class A goes through ``disclose``: it appends the query to the audit log and
waits for the durable receipt *before* it reads a single record, so a forgotten audit call cannot
produce a working page, and an unavailable audit store discloses nothing (AuditUnavailable → 503).
Refused attempts are appended too (``refuse``). Who may see what is decided by
``portal.queries.policy``; this module only records and reads.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from audit.recorder import AuditUnavailable, QueryEvent, Receipt, record
from portal.lib.dates import today_cn
from portal.lib.masking import mask_name
from portal.publication.rules import provided
from portal.publication.service import mark_pending
from portal.records.tables import CreditRecord, DisclosureClass
from portal.subjects.identity import subject_ref
from portal.subjects.tables import Subject, SubjectKind

__all__ = [
    "AuditUnavailable",
    "Authority",
    "Disclosure",
    "Method",
    "Requester",
    "Scope",
    "disclose",
    "refuse",
    "reread",
    "subject_label",
    "load_subject",
]


class Method:
    """查询方式 (R-19)."""

    SELF = "web_self"
    COUNTER = "counter"
    THIRD_PARTY = "third_party"
    AGENCY = "agency"
    API = "api"
    STAFF_REVIEW = "staff_review"
    OWNER_VIEW = "owner_view"
    AUDITOR_VIEW = "auditor_view"
    VERIFICATION = "verification"
    LABELS = {
        SELF: "本人网上查询",
        COUNTER: "窗口查询",
        THIRD_PARTY: "授权查询",
        AGENCY: "部门履职查询",
        API: "系统接口",
        STAFF_REVIEW: "信用中心审核查看",
        OWNER_VIEW: "本人查看完整证件号码",
        AUDITOR_VIEW: "审计员查阅查询记录",
        VERIFICATION: "信用信息核查（出具查询意见）",
    }


@dataclass(frozen=True)
class Requester:
    """Who asks, as the audit log records it."""

    account_id: int
    username: str
    role: str
    organisation: str


@dataclass(frozen=True)
class Scope:
    classes: frozenset[str]
    c_categories: frozenset[str] | None = None
    """Class-C categories in scope (R-15: C is shared per data category). ``None`` means all of
    class C, which only the subject's own query gets; an empty set drops class C altogether."""

    @classmethod
    def of(cls, classes: str | Iterable[str], c_categories: str | Iterable[str] | None = None) -> Scope:
        def split(value) -> frozenset[str]:
            return frozenset(v for v in (value.split(",") if isinstance(value, str) else value) if v)

        wanted = split(classes)
        if "C" not in wanted:
            return cls(wanted, None)
        if c_categories is None:
            return cls(wanted, None)
        categories = split(c_categories)
        return cls(wanted, categories) if categories else cls(wanted - {"C"}, None)

    def text(self) -> str:
        out = ",".join(sorted(self.classes))
        return out + (";" + ",".join(sorted(self.c_categories)) if self.c_categories else "")

    @classmethod
    def parse(cls, text: str) -> Scope:
        """The inverse of ``text`` (a receipt stores its scope as text)."""
        classes, _, categories = text.partition(";")
        return cls.of(classes, categories or None)


@dataclass(frozen=True)
class Authority:
    """The authorisation or official letter a query cites (R-18)."""

    ref: str
    sha256: str = ""


@dataclass
class Disclosure:
    receipt: Receipt
    subject: dict
    scope: Scope
    records: list[dict] = field(default_factory=list)


_SUBJECT_COLUMNS = (
    Subject.id,
    Subject.kind,
    Subject.subject_type,
    Subject.name,
    Subject.uscc,
    Subject.id_number_digest,
    Subject.id_number_masked,
    Subject.legal_representative,
    Subject.registration_authority,
    Subject.established_on,
    Subject.address,
    Subject.registration_status,
)
R = CreditRecord
_RECORD_COLUMNS = (
    R.id,
    R.record_type,
    R.category,
    R.polarity,
    R.disclosure_class,
    R.title,
    R.content,
    R.doc_number,
    R.decision_date,
    R.publicity_end,
    R.status,
    R.provider.name.as_alias("provider_name"),
)


async def load_subject(subject_id: int) -> dict | None:
    return await Subject.select(*_SUBJECT_COLUMNS).where(Subject.id == subject_id).first()


def subject_label(subject: dict) -> str:
    """Masked display form for the log and pages: never the full ID number (R-17)."""
    if subject["kind"] == SubjectKind.NATURAL:
        return f"{mask_name(subject['name'])}（{subject.get('id_number_masked') or '证件号码未登记'}）"
    return f"{subject['name']}（{subject.get('uscc') or ''}）"


def _event(requester, subject, scope_text, method, reason_code, reason_text, authority, outcome, request_id):
    return QueryEvent(
        requester_account=requester.username,
        requester_role=requester.role,
        requester_org=requester.organisation,
        method=method,
        reason_code=reason_code,
        reason_text=reason_text[:500],
        subject_ref=subject_ref(subject) if subject else "unknown",
        subject_label=subject_label(subject) if subject else "（未找到主体）",
        scope=scope_text,
        authority_ref=authority.ref if authority else "",
        authority_sha256=authority.sha256 if authority else "",
        outcome=outcome,
        request_id=request_id or uuid.uuid4().hex,
    )


async def disclose(
    requester: Requester,
    subject: dict,
    scope: Scope,
    *,
    method: str,
    reason_code: str,
    reason_text: str = "",
    authority: Authority | None = None,
    request_id: str = "",
    today: date | None = None,
) -> Disclosure:
    """Audit first (durable receipt), then read the subject's provided records in scope."""
    event = _event(requester, subject, scope.text(), method, reason_code, reason_text, authority, "allowed", request_id)
    receipt = await record(event)  # raises AuditUnavailable: nothing is read, nothing leaves
    records = await _read(receipt, subject["id"], scope, today or today_cn())
    return Disclosure(receipt=receipt, subject=subject, scope=scope, records=records)


async def refuse(
    requester: Requester,
    subject: dict | None,
    *,
    method: str,
    code: str,
    scope_text: str = "",
    reason_code: str = "",
    reason_text: str = "",
    authority: Authority | None = None,
    request_id: str = "",
) -> Receipt:
    """Record a refused attempt (no authorisation, expired, wrong role …): R-19."""
    event = _event(
        requester, subject, scope_text, method, reason_code, reason_text, authority, f"refused:{code}", request_id
    )
    return await record(event)


async def _read(
    receipt: Receipt, subject_id: int, scope: Scope, today: date, ids: list[int] | None = None
) -> list[dict]:
    # Taking the receipt makes "no receipt, no data" visible at every call site (DESIGN rule 2).
    if not isinstance(receipt, Receipt):
        raise TypeError("a durable audit receipt is required before reading non-public records")
    classes = [c for c in (DisclosureClass.A, DisclosureClass.B, DisclosureClass.C) if c in scope.classes]
    if not classes:
        return []
    where = provided(today) & (R.subject == subject_id)
    if scope.c_categories is not None and DisclosureClass.C in classes:
        # Class C is shared per data category: only the named categories of it.
        others = [c for c in classes if c != DisclosureClass.C] or ["-"]
        where &= R.disclosure_class.is_in(others) | (
            (R.disclosure_class == DisclosureClass.C) & R.category.is_in(sorted(scope.c_categories))
        )
    else:
        where &= R.disclosure_class.is_in(classes)
    if ids is not None:
        where &= R.id.is_in(ids or [0])
    rows = await R.select(*_RECORD_COLUMNS).where(where).order_by(R.decision_date, R.id, ascending=False)
    await mark_pending(rows)  # result pages and reports issued meanwhile say 异议处理中
    return rows


async def reread(receipt: Receipt, subject: dict, scope: Scope, record_ids: list[int]) -> Disclosure:
    """The records of an earlier disclosure, shown again from its stored receipt (reload, Back):
    the same records, still within the rule of what may be provided, and no new audit entry."""
    records = await _read(receipt, subject["id"], scope, today_cn(), ids=record_ids)
    return Disclosure(receipt=receipt, subject=subject, scope=scope, records=records)
