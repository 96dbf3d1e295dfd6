"""The three query paths (R-15, R-18, R-19): load the facts, ask the policy, record, read, keep a receipt.

A query is an explicit act (DESIGN rule 7): ``self_query``, ``authorised_query`` and ``agency_query``
are called from CSRF-protected POSTs. Each appends the audit entry first (``disclosure.disclose``:
no receipt, no data), then stores a short-lived ``QueryReceipt`` for the requester's account and
returns its token; the result page is a GET of that token (``result``), which records nothing, so
reloads and Back do not query again. A refusal is recorded for authenticated principals (up to a
per-account limit, so a loop cannot fill the 5-year log) and raised as ``QueryRefused``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from audit.recorder import Receipt
from portal.accounts.sessions import Principal
from portal.authorizations import service as auths
from portal.disclosure import service as disclosure
from portal.disclosure.service import Authority, Disclosure, Requester, Scope
from portal.lib.dates import today_cn
from portal.proofs import service as proofs
from portal.queries import policy
from portal.queries.refusals import REFUSALS, QueryInputError, QueryRefused, Refusal
from portal.queries.tables import QueryReceipt, RefusalTally
from portal.settings import get_settings
from portal.sharing import service as sharing
from portal.uploads import service as uploads

__all__ = [
    "AgencyQuery",
    "Issued",
    "ReceiptExpired",
    "NotFound",
    "Result",
    "SubjectKey",
    "agency_query",
    "authorised_query",
    "purge_expired_receipts",
    "result",
    "self_query",
]

Q = QueryReceipt


class NotFound(LookupError):
    """No such receipt or authorisation for this account (someone else's is indistinguishable from none)."""


class ReceiptExpired(Exception):
    """The receipt's window has passed: the result is not shown again; query anew."""

    def __init__(self, back: str) -> None:
        super().__init__("receipt expired")
        self.back = back


@dataclass(frozen=True)
class Issued:
    token: str
    receipt: Receipt


@dataclass(frozen=True)
class Result:
    disclosure: Disclosure
    method: str
    reason_code: str
    reason_text: str
    authority_ref: str
    expires_at: datetime

    @property
    def authorization_id(self) -> int | None:
        kind, _, value = self.authority_ref.partition(":")
        return int(value) if kind == "authorization" and value.isdigit() else None


@dataclass(frozen=True)
class SubjectKey:
    """How a requester names the subject: a USCC, or a person's name and ID number."""

    kind: str = "legal"
    uscc: str = ""
    name: str = ""
    id_number: str = ""


@dataclass(frozen=True)
class AgencyQuery:
    subject: SubjectKey
    reason_code: str
    reason_text: str
    c_categories: frozenset[str] = frozenset()
    letter: object | None = None
    """The official letter (an UploadFile), required for class C."""
    letter_number: str = ""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _requester(p: Principal) -> Requester:
    return Requester(account_id=p.account_id, username=p.username, role=p.role, organisation=p.organisation)


def back_for(method: str, authority_ref: str = "") -> str:
    if method == disclosure.Method.THIRD_PARTY and authority_ref.startswith("authorization:"):
        return f"/requests/{authority_ref.split(':', 1)[1]}"
    return {
        disclosure.Method.AGENCY: "/agency/query",
        disclosure.Method.THIRD_PARTY: "/requests",
        disclosure.Method.COUNTER: "/staff/objections/counter",
    }.get(method, "/me/records")


# --- refusals ------------------------------------------------------------------------------------


async def _within_refusal_limit(account_id: int) -> bool:
    """Count this refusal in the account's window, atomically on both engines (one upsert)."""
    settings = get_settings()
    window = settings.query_refusal_window_seconds
    start = int(time.time()) // window * window
    rows = await RefusalTally.raw(
        'INSERT INTO "query_refusal_tally" ("account", "window_start", "refused") VALUES ({}, {}, 1) '
        'ON CONFLICT ("account", "window_start") DO UPDATE SET "refused" = "query_refusal_tally"."refused" + 1 '
        'RETURNING "refused"',
        account_id,
        start,
    )
    if rows[0]["refused"] == 1:  # a new window: forget the account's old ones
        await RefusalTally.delete().where((RefusalTally.account == account_id) & (RefusalTally.window_start < start))
    return rows[0]["refused"] <= settings.query_refusals_per_window


async def _refuse(
    p: Principal, subject: dict | None, refusal: Refusal, *, method: str, back: str, request_id: str, **event
) -> QueryRefused:
    """Record the refusal (R-19) unless it is unrecorded by kind or over the account's limit."""
    if not refusal.recorded:
        return QueryRefused(refusal, back=back)
    if not await _within_refusal_limit(p.account_id):
        return QueryRefused(REFUSALS["too_many_refusals"], back=back)
    receipt = await disclosure.refuse(
        _requester(p), subject, method=method, code=refusal.code, request_id=request_id, **event
    )
    return QueryRefused(refusal, back=back, seq=receipt.seq)


# --- allowed queries -----------------------------------------------------------------------------


async def _disclose(p: Principal, subject: dict, grant: policy.Grant, request_id: str) -> Issued:
    found = await disclosure.disclose(
        _requester(p),
        subject,
        grant.scope,
        method=grant.method,
        reason_code=grant.reason_code,
        reason_text=grant.reason_text,
        authority=grant.authority,
        request_id=request_id,
    )
    token = secrets.token_urlsafe(32)
    now = _now()
    await Q.insert(
        Q(
            token_digest=_digest(token),
            account=p.account_id,
            subject=subject["id"],
            method=grant.method,
            scope=grant.scope.text(),
            reason_code=grant.reason_code,
            reason_text=grant.reason_text[:500],
            authority_ref=grant.authority.ref if grant.authority else "",
            audit_seq=found.receipt.seq,
            audit_hash=found.receipt.entry_hash,
            subject_query_count=found.receipt.subject_query_count,
            record_ids=",".join(str(r["id"]) for r in found.records),
            created_at=found.receipt.recorded_at,
            expires_at=now + timedelta(seconds=get_settings().query_receipt_seconds),
        )
    )
    return Issued(token=token, receipt=found.receipt)


async def self_query(p: Principal, request_id: str) -> Issued:
    """本人查询 (R-15, R-18): all of the subject's own records, once its identity is proven."""
    proven = await proofs.is_proven(p.account_id)
    decision = policy.self_decision(p, proven)
    # A refusal is recorded against the subject the account claims: its owner sees the attempt.
    subject = await disclosure.load_subject(p.subject_id) if p.subject_id else None
    if isinstance(decision, Refusal):
        raise await _refuse(
            p,
            subject,
            decision,
            method=disclosure.Method.SELF,
            back="/me/records",
            request_id=request_id,
            scope_text="A,B,C",
            reason_code="self_query",
        )
    return await _disclose(p, subject, decision, request_id)


async def authorised_query(p: Principal, authorization_id: int, request_id: str) -> Issued:
    """授权查询 (R-18): under the subject's effective written authorisation, within its scope."""
    row = await auths.get(authorization_id)
    facts = policy.AuthorisationFacts.of(row) if row else None
    proven = await proofs.is_proven(p.account_id)
    decision = policy.authorised_decision(p, proven, facts, await sharing.shareable_under_authorisation(), today_cn())
    # Whoever is not this authorisation's requester learns nothing and leaves nothing on the
    # subject's 谁查询了我: the attempt is recorded without a subject, naming the authorisation.
    stranger = isinstance(decision, Refusal) and decision.code in ("wrong_role", "not_requester")
    subject = await disclosure.load_subject(row["subject_id"]) if row and not stranger else None
    if isinstance(decision, Refusal):
        event = {}
        if facts is not None and stranger:
            event = {"authority": Authority(ref=f"authorization:{facts.id}")}
        elif facts is not None:
            event = {
                "scope_text": Scope.of(facts.classes, facts.categories or None).text(),
                "reason_code": facts.reason_code,
                "reason_text": facts.reason_text,
                "authority": Authority(ref=f"authorization:{facts.id}", sha256=facts.letter_sha256),
            }
        raise await _refuse(
            p,
            subject,
            decision,
            method=disclosure.Method.THIRD_PARTY,
            back=f"/requests/{authorization_id}" if decision.status != 404 else "/requests",
            request_id=request_id,
            **event,
        )
    return await _disclose(p, subject, decision, request_id)


async def _find_subject(key: SubjectKey) -> dict:
    filing = auths.Filing(key.kind if key.kind == "natural" else "legal", key.uscc, key.name, key.id_number)
    try:
        found = await auths.find_subject(filing)
    except auths.AuthorizationError as exc:
        raise QueryInputError(str(exc)) from None
    return await disclosure.load_subject(found["id"])


async def agency_query(p: Principal, q: AgencyQuery, request_id: str) -> Issued:
    """部门履职查询 (R-15, R-18): class B in duties; class C per granted category with a letter."""
    has_letter = q.letter is not None and bool(q.letter_number.strip())
    granted = await sharing.agency_c_grants(p.agency_id) if p.agency_id else frozenset()
    decision = policy.agency_decision(p, q.reason_code, q.reason_text, q.c_categories, granted, has_letter)
    # A wrong role learns nothing, not even whether the subject exists.
    wrong_role = isinstance(decision, Refusal) and decision.code == "wrong_role"
    subject = None if wrong_role else await _find_subject(q.subject)
    if isinstance(decision, Refusal):
        raise await _refuse(
            p,
            subject,
            decision,
            method=disclosure.Method.AGENCY,
            back="/agency/query",
            request_id=request_id,
            scope_text=Scope.of({"B", "C"} if q.c_categories else {"B"}, q.c_categories or None).text(),
            reason_code=q.reason_code,
            reason_text=q.reason_text,
        )
    if q.c_categories:
        try:
            letter = await uploads.store_upload(
                q.letter, owner_id=p.account_id, purpose="official_letter", subject_id=subject["id"]
            )
        except uploads.UploadRejected as exc:
            raise QueryInputError(exc.message, status=exc.status) from None
        ref = f"official_letter:{q.letter_number.strip()[:60]}"
        decision = dataclasses.replace(decision, authority=Authority(ref, letter["sha256"]))
    return await _disclose(p, subject, decision, request_id)


async def counter_query(p: Principal, key: SubjectKey, checked_in_person: bool, request_id: str) -> Issued:
    """窗口查询 (R-18, R-22): staff look up a subject's records to take its written objection."""
    decision = policy.counter_decision(p, checked_in_person)
    if isinstance(decision, Refusal):
        raise await _refuse(
            p,
            None,
            decision,
            method=disclosure.Method.COUNTER,
            back="/staff/objections/counter",
            request_id=request_id,
            scope_text="A,B,C",
            reason_code="objection_intake",
        )
    return await _disclose(p, await _find_subject(key), decision, request_id)


# --- the result page -----------------------------------------------------------------------------


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


async def result(p: Principal, token: str) -> Result:
    """The records of an earlier query, for the account that made it, within the receipt's window."""
    if not token or len(token) > 100:
        raise NotFound()
    row = await Q.select().where((Q.token_digest == _digest(token)) & (Q.account == p.account_id)).first()
    if row is None:
        raise NotFound()
    if _aware(row["expires_at"]) <= _now():
        raise ReceiptExpired(back_for(row["method"], row["authority_ref"]))
    receipt = Receipt(
        seq=row["audit_seq"],
        entry_hash=row["audit_hash"],
        subject_query_count=row["subject_query_count"],
        recorded_at=_aware(row["created_at"]),
    )
    subject = await disclosure.load_subject(row["subject"])
    ids = [int(i) for i in row["record_ids"].split(",") if i]
    found = await disclosure.reread(receipt, subject, Scope.parse(row["scope"]), ids)
    return Result(
        disclosure=found,
        method=row["method"],
        reason_code=row["reason_code"],
        reason_text=row["reason_text"],
        authority_ref=row["authority_ref"],
        expires_at=_aware(row["expires_at"]),
    )


async def purge_expired_receipts() -> int:
    """Drop receipts past their window (housekeeping; the audit log keeps the query itself)."""
    rows = await Q.delete().where(Q.expires_at < _now()).returning(Q.token_digest)
    return len(rows)
