"""逢办必查 (R-P5, R-28): an agency checks a subject's credit on every matter it handles.

``check`` parses the request once, asks the policy (``policy.check_decision``), appends the query
to the audit log with the 办件编号 as its case reference *before* anything is read
(``disclosure.disclose`` / ``refuse``), then answers: list status with the measures that apply,
the product sections, class-B records when the agency's duties allow. The check and the uses of
the products it shows are stored (R-P4); the raw ID number never is (R-17).
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone

from piccolo.engine.sqlite import TransactionType

from portal.accounts.sessions import Principal
from portal.accounts.tables import Role
from portal.authorizations import reasons
from portal.disclosure import service as disclosure
from portal.disclosure.service import Method, Requester
from portal.lib import id_number as idn
from portal.lib import uscc as uscc_rules
from portal.lib.dates import today_cn
from portal.lists.tables import ListEntry, ListType
from portal.products.checks import measures
from portal.products.checks.products import product_sections
from portal.products.checks.tables import CreditCheck
from portal.products.usage.tables import Product, ProductUse
from portal.publication.rules import public_list_entry
from portal.queries import policy
from portal.queries.refusals import REFUSALS, Refusal
from portal.subjects.identity import id_number_digest
from portal.subjects.tables import Subject

__all__ = ["CheckInput", "CheckError", "Checker", "Answer", "check", "get_check", "parse"]

C = CreditCheck
CASE_NO = re.compile(r"[0-9A-Za-z\-_/.:()（）〔〕\[\]\u4e00-\u9fff]{1,64}")


class CheckError(ValueError):
    """The check cannot be understood; nothing was recorded. ``field`` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class CheckInput:
    """A parsed check. ``id_digest`` replaces the ID number at the edge (R-17)."""

    kind: str
    uscc: str
    id_digest: str
    matter_name: str
    case_no: str
    domain: str


@dataclass(frozen=True)
class Checker:
    """Who checks: an agency's system (key) or an officer on the agency desk."""

    agency_id: int
    agency_name: str
    username: str
    key_id: int | None = None
    officer_id: int | None = None

    @property
    def method(self) -> str:
        return Method.API if self.key_id else Method.AGENCY

    def principal(self) -> Principal:
        return Principal(
            self.officer_id or 0,
            self.username,
            Role.AGENCY,
            self.agency_name,
            None,
            self.agency_id,
            self.agency_name,
            "",
        )

    def requester(self) -> Requester:
        return Requester(self.officer_id or 0, self.username, Role.AGENCY, self.agency_name)


@dataclass(frozen=True)
class Answer:
    number: str
    found: bool
    body: dict
    refusal: Refusal | None = None


def parse(kind: str, uscc: str, id_number: str, matter_name: str, case_no: str, domain: str) -> CheckInput:
    """Every input checked once (DESIGN rule 9); the ID number leaves this function as a digest."""
    kind = (kind or "legal").strip()
    if kind not in ("legal", "natural"):
        raise CheckError("subject.kind", "主体类型应为 legal（法人和其他组织）或 natural（自然人）")
    code, digest = "", ""
    if kind == "legal":
        code = uscc_rules.normalize(uscc or "")
        if error := uscc_rules.validation_error(code):
            raise CheckError("subject.uscc", error)
    else:
        number = idn.normalize(id_number or "")
        if error := idn.validation_error(number):
            raise CheckError("subject.id_number", error)
        digest = id_number_digest(number)
    matter_name = (matter_name or "").strip()
    if not 2 <= len(matter_name) <= 200:
        raise CheckError("matter_name", "事项名称应为 2 至 200 字")
    case_no = (case_no or "").strip()
    if not CASE_NO.fullmatch(case_no):
        raise CheckError("case_no", "办件编号应为 1 至 64 个字母、数字、汉字或 -_/.:()〔〕")
    if not reasons.is_known(domain):
        raise CheckError("domain", "未知的事项领域")
    return CheckInput(kind, code, digest, matter_name, case_no, domain)


async def _subject(q: CheckInput) -> dict | None:
    where = (Subject.uscc == q.uscc) if q.kind == "legal" else (Subject.id_number_digest == q.id_digest)
    row = await Subject.select(Subject.id).where(where).first()
    return await disclosure.load_subject(row["id"]) if row else None


async def _lists(subject_id: int, today: date) -> dict[str, list[dict]]:
    L = ListEntry
    rows = (
        await L.select(
            L.list_type,
            L.list_name,
            L.reason,
            L.doc_number,
            L.listed_on,
            L.expires_on,
            L.decided_by.name.as_alias("authority"),
        )
        .where(public_list_entry(today) & (L.subject == subject_id))
        .order_by(L.listed_on, ascending=False)
        .limit(100)
    )
    out: dict[str, list[dict]] = {ListType.RED: [], ListType.BLACK: []}
    for r in rows:
        out.setdefault(r.pop("list_type"), []).append(r)
    return out


def _record(r: dict) -> dict:
    return {
        k: r[k]
        for k in (
            "id",
            "category",
            "polarity",
            "title",
            "content",
            "doc_number",
            "decision_date",
            "provider_name",
            "disclosure_class",
        )
    } | {"objection_pending": bool(r.get("objection_pending"))}


def _number(today: date) -> str:
    return f"JC{today:%Y%m%d}{secrets.token_hex(4).upper()}"


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


async def _store(
    who: Checker,
    q: CheckInput,
    number: str,
    subject: dict | None,
    receipt,
    body: dict,
    class_b: bool,
    today: date,
    products: list[str],
) -> None:
    now = datetime.now(timezone.utc)
    async with _transaction():
        row = C(
            number=number,
            agency=who.agency_id,
            api_key=who.key_id,
            officer=who.officer_id,
            subject=subject["id"] if subject else None,
            subject_label=body["subject"]["label"],
            matter_name=q.matter_name,
            case_no=q.case_no,
            domain=q.domain,
            found=subject is not None,
            class_b=class_b,
            audit_seq=receipt.seq,
            audit_hash=receipt.entry_hash,
            answer=_jsonable(body),
            checked_on=today,
            created_at=now,
        )
        await C.insert(row)
        if products:  # R-P4: each product the answer shows is a use in this matter
            await ProductUse.insert(
                *[
                    ProductUse(
                        credit_check=row.id,
                        agency=who.agency_id,
                        case_no=q.case_no,
                        domain=q.domain,
                        product=p,
                        used_on=today,
                    )
                    for p in products
                ]
            )


def _transaction():
    db = C._meta.db
    if db.engine_type == "sqlite":  # IMMEDIATE: a second writer waits rather than fail "locked"
        return db.transaction(transaction_type=TransactionType.immediate)
    return db.transaction()


def _base(number: str, q: CheckInput, who: Checker, receipt, today: date) -> dict:
    return {
        "check_number": number,
        "checked_on": today,
        "agency": who.agency_name,
        "matter": {"name": q.matter_name, "case_no": q.case_no, "domain": q.domain},
        "audit": {"seq": receipt.seq, "case_reference": f"case:{q.case_no}"},
    }


async def check(who: Checker, q: CheckInput, request_id: str = "", today: date | None = None) -> Answer:
    """One check: recorded in the audit log first, then answered and stored (R-19, R-28, R-P4)."""
    today = today or today_cn()
    decision = policy.check_decision(who.principal(), q.domain, q.matter_name, q.case_no, who.method)
    if isinstance(decision, Refusal):  # not an agency: nothing about the subject
        raise CheckError("agency", decision.label)
    grant = decision.grant
    request_id = request_id or uuid.uuid4().hex
    number = _number(today)
    subject = await _subject(q)
    if subject is None:  # the attempt is recorded with its case all the same
        receipt = await disclosure.refuse(
            who.requester(),
            None,
            method=grant.method,
            code="subject_not_found",
            scope_text=grant.scope.text(),
            reason_code=grant.reason_code,
            reason_text=grant.reason_text,
            authority=grant.authority,
            request_id=request_id,
        )
        body = _base(number, q, who, receipt, today) | {"found": False, "subject": {"label": "（未找到主体）"}}
        await _store(who, q, number, None, receipt, body, False, today, [])
        return Answer(number, False, body, REFUSALS["subject_not_found"])
    found = await disclosure.disclose(
        who.requester(),
        subject,
        grant.scope,
        method=grant.method,
        reason_code=grant.reason_code,
        reason_text=grant.reason_text,
        authority=grant.authority,
        request_id=request_id,
        today=today,
    )
    lists = await _lists(subject["id"], today)
    on = {t for t, entries in lists.items() if entries}
    sections = await product_sections(subject["id"], today)
    in_duty = decision.withheld is None
    body = _base(number, q, who, found.receipt, today) | {
        "found": True,
        "subject": {
            "kind": subject["kind"],
            "name": subject["name"] if subject["kind"] == "legal" else "",
            "label": disclosure.subject_label(subject),
            "uscc": subject.get("uscc") or "",
        },
        "lists": {"red": lists[ListType.RED], "black": lists[ListType.BLACK]},
        "measures": await measures.applicable(on, q.domain),
        **sections,
        "class_b": {
            "included": in_duty,
            "withheld_reason": "" if in_duty else decision.withheld.label,
            "records": [_record(r) for r in found.records] if in_duty else [],
        },
    }
    products = [Product.LIST]
    products += [Product.COMMITMENT] if sections["commitments"] else []
    products += [Product.OPINION] if sections["verification_opinion"] else []
    products += [Product.REPORT] if sections["credit_report"] else []
    await _store(who, q, number, subject, found.receipt, body, in_duty, today, products)
    return Answer(number, True, body)


async def get_check(number: str, agency_id: int) -> dict | None:
    """A check of this agency (another agency's is indistinguishable from none)."""
    if not number or len(number) > 32:
        return None
    return await C.select().where((C.number == number) & (C.agency == agency_id)).output(load_json=True).first()
