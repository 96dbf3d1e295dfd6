"""What the portal hands to the recorder, what it gets back, and the checks in between (R-19).

Checks run before anything is queued: a malformed event is a programming error (``ValueError``),
never a silent entry. Raw ID numbers never reach the log (DESIGN rule 4): a ``subject_ref`` that
looks like an ID number or USCC is refused, and ID numbers inside free text are masked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import datetime

# "verification": the credit centre reads a subject's records to issue a 信用信息查询意见 (R-P2).
QUERY_METHODS = ("web_self", "counter", "third_party", "agency", "api", "verification")
# Views of personal data that are not queries of credit records (R-28, SPEC §5): staff opening an
# identity document, letter or full ID number on a review page; a subject opening its own full ID
# number; an auditor browsing or exporting the log. Recorded like queries, never counted as one.
ACCESS_METHODS = ("staff_review", "owner_view", "auditor_view")
METHODS = QUERY_METHODS + ACCESS_METHODS
ROLES = ("citizen", "enterprise", "third_party", "agency", "staff", "auditor", "admin", "anonymous")
ALLOWED = "allowed"

_OUTCOME = re.compile(r"^(allowed|refused:[a-z0-9_]{1,64})$")
_CODE = re.compile(r"^[A-Za-z0-9_.:-]{0,64}$")
_SHA256 = re.compile(r"^([0-9a-f]{64})?$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# An ID number (GB 11643: 17 digits + digit/X, or the old 15 digits) or a USCC (GB 32100) as a token.
_ID_TOKEN = re.compile(r"^(\d{17}[\dXx]|\d{15}|[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10})$")
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(\d{4})\d{10}(\d{3}[\dXx])(?![0-9A-Za-z])")

_MAX_TEXT = 2000
_MAX_FIELD = 500


class AuditUnavailable(Exception):
    """The audit store cannot durably record now: the portal answers 503 and discloses nothing."""


@dataclass(frozen=True)
class QueryEvent:
    requester_account: str  # account id as string ("" for anonymous)
    requester_role: str  # one of ROLES
    requester_org: str  # organisation name ("" if none)
    method: str  # one of METHODS
    reason_code: str
    reason_text: str
    subject_ref: str  # opaque keyed digest of the subject, never a raw ID number
    subject_label: str  # masked display name/code, e.g. "张*（4101**********123X）"
    scope: str  # e.g. "A,B,C" or "B;C:court_judgment"
    authority_ref: str = ""  # authorisation / official letter reference, e.g. "authorization:17"
    authority_sha256: str = ""  # SHA-256 hex of the letter file, if any
    outcome: str = ALLOWED  # "allowed" or "refused:<code>"
    request_id: str = ""
    case_ref: str = ""  # added: the agency's case/file number when a query serves a case (R-28, legal hold)


@dataclass(frozen=True)
class Receipt:
    seq: int  # position in the chain
    entry_hash: str
    subject_query_count: int  # allowed disclosures of subject_ref so far, incl. this one; access entries add none
    recorded_at: datetime  # UTC, aware


EVENT_FIELDS = tuple(f.name for f in fields(QueryEvent))


def mask_id_numbers(text: str) -> str:
    """``410105199001011234`` → ``4101**********1234`` wherever a full ID number appears (rule 4)."""
    return _ID_IN_TEXT.sub(lambda m: m.group(1) + "*" * 10 + m.group(2), text)


def looks_like_id(value: str) -> bool:
    return any(_ID_TOKEN.match(token) for token in re.split(r"[^0-9A-Za-z]+", value) if token)


def _free_text(name: str, value: str, limit: int) -> str:
    value = mask_id_numbers(_CONTROL.sub(" ", value))
    if len(value) > limit:
        raise ValueError(f"audit event: {name} longer than {limit} characters")
    return value


def _identifier(name: str, value: str) -> str:
    if _CONTROL.search(value) or len(value) > _MAX_FIELD:
        raise ValueError(f"audit event: {name} has control characters or is too long")
    return mask_id_numbers(value)


def prepare(event: QueryEvent) -> tuple[str, ...]:
    """Validate ``event``; return its field values in ``EVENT_FIELDS`` order, safe to hash and store."""
    if not isinstance(event, QueryEvent):
        raise TypeError("audit.record() takes a QueryEvent")
    for name in EVENT_FIELDS:
        if not isinstance(getattr(event, name), str):
            raise ValueError(f"audit event: {name} must be a string")
    if event.method not in METHODS:
        raise ValueError(f"audit event: method must be one of {METHODS}, got {event.method!r}")
    if event.requester_role not in ROLES:
        raise ValueError(f"audit event: requester_role must be one of {ROLES}, got {event.requester_role!r}")
    if not _OUTCOME.match(event.outcome):
        raise ValueError(f"audit event: outcome must be 'allowed' or 'refused:<code>', got {event.outcome!r}")
    if not _CODE.match(event.reason_code):
        raise ValueError(f"audit event: bad reason_code {event.reason_code!r}")
    if not _SHA256.match(event.authority_sha256):
        raise ValueError("audit event: authority_sha256 must be 64 lowercase hex digits or empty")
    ref = event.subject_ref
    if not ref or len(ref) > 200 or _CONTROL.search(ref):
        raise ValueError("audit event: subject_ref must be a non-empty opaque digest (≤200 chars)")
    if looks_like_id(ref):  # DESIGN rule 4: the portal must key the subject, never pass the number
        raise ValueError("audit event: subject_ref looks like a raw ID number or USCC; pass the keyed digest")
    values = {
        "requester_account": _identifier("requester_account", event.requester_account),
        "requester_role": event.requester_role,
        "requester_org": _free_text("requester_org", event.requester_org, _MAX_FIELD),
        "method": event.method,
        "reason_code": event.reason_code,
        "reason_text": _free_text("reason_text", event.reason_text, _MAX_TEXT),
        "subject_ref": ref,
        "subject_label": _free_text("subject_label", event.subject_label, _MAX_FIELD),
        "scope": _identifier("scope", event.scope),
        "authority_ref": _identifier("authority_ref", event.authority_ref),
        "authority_sha256": event.authority_sha256,
        "outcome": event.outcome,
        "request_id": _identifier("request_id", event.request_id),
        "case_ref": _identifier("case_ref", event.case_ref),
    }
    return tuple(values[name] for name in EVENT_FIELDS)
