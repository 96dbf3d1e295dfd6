"""What an opinion says and how it is checked later (R-P2): its content and digest, the signed
verification token, and supersession — all computed by query at read time, so no other domain
needs a hook (a new major record, a list change or a successful objection shows at once)."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import date, datetime

from itsdangerous import BadData, URLSafeSerializer

from portal.catalogue import service as catalogue
from portal.lib.dates import to_china
from portal.lists.tables import ListChange, ListEntry, ListType
from portal.objections.stages import Outcome, Stage
from portal.objections.tables import Objection, ObjectionStep
from portal.records.categories import Polarity
from portal.records.tables import CreditRecord, DisclosureClass
from portal.settings import get_settings
from portal.subjects.tables import SubjectType

__all__ = [
    "SALT",
    "new_number",
    "build",
    "content_digest",
    "sign",
    "read_token",
    "verify_path",
    "major_change_since",
    "superseded_since",
]

SALT = "portal.products.verification.v1"
MAX_TOKEN_LENGTH = 512
_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud over the phone


def new_number(prefix: str, day: date) -> str:
    """``prefix`` + date + 8 random characters: unique and not guessable in sequence."""
    return f"{prefix}{day:%Y%m%d}{''.join(secrets.choice(_ALPHABET) for _ in range(8))}"


def _subject_view(subject: dict) -> dict:
    legal = subject["kind"] == "legal"
    return {
        "name": subject["name"],
        "code_label": "统一社会信用代码" if legal else "公民身份号码",
        # R-17, DESIGN rule 4: a person's ID number is printed masked, never raw.
        "code": (subject.get("uscc") if legal else subject.get("id_number_masked")) or "—",
        "kind_label": SubjectType.LABELS.get(subject.get("subject_type"), "") or ("法人" if legal else "自然人"),
    }


def _record_view(r: dict) -> dict:
    keys = ("id", "disclosure_class", "category", "polarity", "title", "doc_number", "provider_name")
    return {**{k: r.get(k) or "" for k in keys}, "id": r["id"], "decision_date": str(r.get("decision_date") or "")}


def _summary(records: list[dict], lists: list[dict], as_of: str) -> str:
    count = {p: sum(r["polarity"] == p for r in records) for p in (Polarity.NEGATIVE, Polarity.POSITIVE)}
    black = sum(e["list_type"] == ListType.BLACK for e in lists)
    red = len(lists) - black
    verdict = (
        "未发现失信（负面）信息，未列入黑名单"
        if not count[Polarity.NEGATIVE] and not black
        else "存在失信（负面）信息或黑名单记录，详见下文"
    )
    return (
        f"截至{as_of}，经查询郑州市社会信用信息平台，该主体共有信用信息 {len(records)} 条，其中失信（负面）信息 "
        f"{count[Polarity.NEGATIVE]} 条、守信（正面）信息 {count[Polarity.POSITIVE]} 条；列入黑名单 {black} 项、"
        f"红名单 {red} 项。结论：{verdict}。"
    )


def build(
    row: dict,
    subject: dict,
    records: list[dict],
    lists: list[dict],
    opinion_no: str,
    issued_at: datetime,
    until: date,
    applicant: str,
    purpose: str,
) -> dict:
    """The opinion as printed (and digested): records as of `issued_at`, in the disclosed scope."""
    as_of = to_china(issued_at).strftime("%Y年%m月%d日 %H:%M")
    opinion = {
        "opinion_no": opinion_no,
        "number": row["number"],
        "subject": _subject_view(subject),
        "applicant": applicant,
        "purpose": purpose,
        "matter": row["matter"],
        "as_of": as_of,
        "issued_on": to_china(issued_at).date(),
        "valid_until": until,
        "records": [_record_view(r) for r in records],
        "lists": [
            {
                "label": ListType.LABELS[e["list_type"]],
                "list_type": e["list_type"],
                "list_name": e["list_name"],
                "authority": e.get("authority") or "",
                "listed_on": e["listed_on"],
            }
            for e in lists
        ],
        "summary": _summary(records, lists, as_of),
    }
    opinion["digest"] = content_digest(opinion)
    return opinion


def content_digest(opinion: dict) -> str:
    """SHA-256 of the canonical JSON of everything printed except the digest itself."""
    body = {k: v for k, v in opinion.items() if k != "digest"}
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(get_settings().secret_key, salt=SALT)


def sign(opinion_no: str, digest: str) -> str:
    """The token printed as QR code. No expiry inside: validity and supersession are read from
    the registry when checked (R-P2), so an expired opinion is told apart from a forged one."""
    return _serializer().dumps({"n": opinion_no, "d": digest})


def read_token(token: str) -> tuple[str, str] | None:
    """(opinion_no, digest) if the signature is the portal's and the payload well formed."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        payload = _serializer().loads(token)
        claim = (str(payload["n"]), str(payload["d"]))
    except (BadData, KeyError, TypeError, ValueError, UnicodeError):
        return None
    return claim if claim[0] and len(claim[1]) == 64 else None


def verify_path(token: str) -> str:
    return f"/verifications/verify/{token}"


async def _negative_categories() -> list[str]:
    return [e.code for e in await catalogue.entries() if e.polarity == Polarity.NEGATIVE]


async def major_change_since(subject_id: int, since: datetime) -> bool:
    """R-P2 "major info changes": since `since`, a class-A or class-B record of the subject (what an
    opinion lists: KS 第十四条 "相关信息") that is negative — by its own polarity or by its
    category's polarity in the indicator catalogue — was added or changed (corrected, revoked,
    expired), or one of its red/black-list entries was listed, amended or removed. Broader on
    purpose than a credit report's re-rating event (credit_reports.service._major_events_after,
    R-P3 "重大信用危机"): an opinion lists every record as of its day, so any such change makes it
    out of date. The public check page then says only 已被更新取代, never why."""
    R = CreditRecord
    negative = (R.polarity == Polarity.NEGATIVE) | R.category.is_in(await _negative_categories() or ["-"])
    if await R.exists().where(
        (R.subject == subject_id)
        & R.disclosure_class.is_in([DisclosureClass.A, DisclosureClass.B])
        & negative
        & ((R.created_at > since) | (R.updated_at > since))
    ):
        return True
    L = ListEntry
    if await L.exists().where((L.subject == subject_id) & ((L.created_at > since) | (L.removed_at > since))):
        return True
    entries = await L.select(L.id).where(L.subject == subject_id)
    return bool(entries) and await ListChange.exists().where(
        ListChange.entry.is_in([e["id"] for e in entries]) & (ListChange.changed_at > since)
    )


async def successful_objection_since(subject_id: int, since: datetime) -> bool:
    """An objection about one of the subject's records closed as corrected or revoked (R-23), the
    applicant told after `since`."""
    OB = Objection
    closed = await OB.select(OB.id).where(
        (OB.subject == subject_id) & (OB.stage == Stage.CLOSED) & OB.outcome.is_in([Outcome.CORRECTED, Outcome.REVOKED])
    )
    if not closed:
        return False
    S = ObjectionStep
    return await S.exists().where(S.objection.is_in([c["id"] for c in closed]) & (S.action == "told") & (S.at > since))


async def superseded_since(subject_id: int, since: datetime) -> bool:
    """R-P2: an opinion is replaced once a major record changes or an objection succeeds."""
    return await major_change_since(subject_id, since) or await successful_objection_since(subject_id, since)
