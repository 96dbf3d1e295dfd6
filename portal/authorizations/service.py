"""Third-party authorised queries (R-18): filing, confirmation, revocation, and the validity check.

An authorisation takes effect when the subject confirms it online or when credit-centre staff
accept the written letter; the subject may revoke it; it works only while effective and inside
its validity period, checked at every query (expiry and revocation stop it at once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from audit.events import mask_id_numbers
from portal.authorizations import reasons
from portal.authorizations.tables import Authorization, AuthorizationStatus
from portal.lib import id_number as idn
from portal.lib import uscc as uscc_rules
from portal.lib.dates import today_cn
from portal.notices.service import notify_subject
from portal.proofs import service as proofs
from portal.queries.policy import REQUESTER_ROLES  # who may file: the same who may query
from portal.records.categories import CATEGORIES
from portal.subjects.identity import id_number_digest
from portal.subjects.tables import Subject, SubjectKind
from portal.uploads.tables import Upload

__all__ = [
    "AuthorizationError",
    "Filing",
    "REQUESTER_ROLES",
    "MAX_VALID_DAYS",
    "NOT_PROVEN",
    "file_request",
    "find_subject",
    "for_requester",
    "for_subject",
    "get",
    "decide_by_subject",
    "decide_by_staff",
    "revoke",
    "pending_letters",
]

A = Authorization
S = AuthorizationStatus
MAX_VALID_DAYS = 366  # a written authorisation is for one matter; at most a year
NOT_PROVEN = "请先完成身份核验：营业执照及授权经办函经市信用中心审核通过后，方可申请授权查询"


class AuthorizationError(ValueError):
    """A problem the user can fix; the message is shown as is (Chinese)."""


@dataclass
class Filing:
    subject_kind: str  # "legal" (by USCC) or "natural" (name + ID number)
    uscc: str = ""
    name: str = ""
    id_number: str = ""
    reason_code: str = ""
    reason_text: str = ""
    classes: tuple[str, ...] = ("A", "B")
    categories: tuple[str, ...] = ()
    valid_from: date | None = None
    valid_until: date | None = None
    letter_id: int | None = None


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def find_subject(f: Filing) -> dict:
    if f.subject_kind == SubjectKind.LEGAL:
        code = uscc_rules.normalize(f.uscc)
        if error := uscc_rules.validation_error(code):
            raise AuthorizationError(error)
        row = await Subject.select(Subject.id, Subject.name).where(Subject.uscc == code).first()
    else:
        number = idn.normalize(f.id_number)
        if error := idn.validation_error(number):
            raise AuthorizationError(error)
        row = (
            await Subject.select(Subject.id, Subject.name)
            .where(Subject.id_number_digest == id_number_digest(number))
            .first()
        )
        if row is not None and row["name"] != f.name.strip():
            row = None  # name and number must both match; say nothing about which one failed
    if row is None:
        raise AuthorizationError("平台上没有与所填信息一致的信用主体，请核对后再试")
    return row


def _check_terms(f: Filing, today: date) -> None:
    if not reasons.is_known(f.reason_code):
        raise AuthorizationError("请选择查询事由")
    if f.reason_code == "other" and len(f.reason_text.strip()) < 4:
        raise AuthorizationError("选择“其他”时请写明具体事由")
    if not set(f.classes) or not set(f.classes) <= {"A", "B", "C"}:
        raise AuthorizationError("请选择查询范围")
    if unknown := [c for c in f.categories if c not in CATEGORIES]:
        raise AuthorizationError(f"未知的信息类别：{'、'.join(unknown)}")
    if f.valid_from is None or f.valid_until is None:
        raise AuthorizationError("请填写授权有效期")
    if f.valid_until < f.valid_from or f.valid_until < today:
        raise AuthorizationError("授权有效期的截止日期不能早于开始日期或今天")
    if f.valid_until - f.valid_from > timedelta(days=MAX_VALID_DAYS):
        raise AuthorizationError("授权有效期最长一年")


async def file_request(requester: dict, f: Filing, today: date | None = None) -> int:
    """A third party files a query request with the subject's written authorisation letter."""
    today = today or today_cn()
    if requester["role"] not in REQUESTER_ROLES:
        raise AuthorizationError("仅企业用户和信用服务机构可申请授权查询")
    # R-18, DESIGN rule 8: a claim is not an identity. The organisation name the subject and the
    # audit log see is the one staff accepted, never the account's typed display name.
    if not await proofs.is_proven(requester["id"]) or not requester["organisation"]:
        raise AuthorizationError(NOT_PROVEN)
    _check_terms(f, today)
    subject = await find_subject(f)
    if subject["id"] == requester.get("subject"):
        raise AuthorizationError("查询本主体的信息无需授权，请使用“本人信用信息”")
    if not f.letter_id or not await Upload.exists().where(
        (Upload.id == f.letter_id) & (Upload.owner == requester["id"]) & (Upload.purpose == "authorization_letter")
    ):
        raise AuthorizationError("请上传信用主体签署的书面授权书")
    async with A._meta.db.transaction():
        rows = await A.insert(
            A(
                requester=requester["id"],
                requester_org=requester["organisation"],
                subject=subject["id"],
                reason_code=f.reason_code,
                reason_text=mask_id_numbers(f.reason_text.strip())[:500],  # DESIGN rule 4
                scope_classes=",".join(sorted(set(f.classes))),
                scope_categories=",".join(sorted(set(f.categories))),
                valid_from=f.valid_from,
                valid_until=f.valid_until,
                letter=f.letter_id,
                created_at=_now(),
            )
        )
        # The subject's own accounts may now read the letter filed in its name.
        await Upload.update({Upload.subject: subject["id"]}).where(Upload.id == f.letter_id)
        org = requester["organisation"] or requester["display_name"]
        await _tell_subject(
            subject["id"], f"{org} 申请查询您的信用信息", f"{org} 提交了经您授权的信用信息查询申请，请核对。"
        )
    return rows[0]["id"]


async def _tell_subject(subject_id: int, title: str, body: str) -> None:
    """R-18: the subject learns of every request about it and of every change to one."""
    await notify_subject(subject_id, "authorization", title, body, "/me/authorizations")


_LIST_COLUMNS = (
    A.id,
    A.requester_org,
    A.reason_code,
    A.reason_text,
    A.scope_classes,
    A.scope_categories,
    A.valid_from,
    A.valid_until,
    A.status,
    A.confirmed_via,
    A.created_at,
    A.decided_at,
    A.revoked_at,
    A.subject.id.as_alias("subject_id"),
    A.subject.name.as_alias("subject_name"),
    A.subject.kind.as_alias("subject_kind"),
    A.subject.uscc.as_alias("subject_uscc"),
    A.subject.id_number_masked.as_alias("subject_id_masked"),
    A.letter.token.as_alias("letter_token"),
    A.letter.sha256.as_alias("letter_sha256"),
    A.requester.id.as_alias("requester_id"),
)


async def get(authorization_id: int) -> dict | None:
    return await A.select(*_LIST_COLUMNS).where(A.id == authorization_id).first()


async def for_requester(account_id: int) -> list[dict]:
    return await A.select(*_LIST_COLUMNS).where(A.requester == account_id).order_by(A.id, ascending=False).limit(200)


async def for_subject(subject_id: int) -> list[dict]:
    return await A.select(*_LIST_COLUMNS).where(A.subject == subject_id).order_by(A.id, ascending=False).limit(200)


async def pending_letters() -> list[dict]:
    return await A.select(*_LIST_COLUMNS).where(A.status == S.PENDING).order_by(A.id).limit(200)


async def _decide(authorization_id: int, where, approve: bool, via: str, decided_by: int) -> None:
    async with A._meta.db.transaction():
        changed = await _decide_row(authorization_id, where, approve, via, decided_by)
        row = changed[0]
        outcome = "已生效" if approve else "已被拒绝"
        await _tell_subject(
            row["subject"],
            f"{row['requester_org']} 的授权查询申请{outcome}",
            f"授权查询申请（编号 {row['id']}）{outcome}。",
        )


async def _decide_row(authorization_id: int, where, approve: bool, via: str, decided_by: int) -> list[dict]:
    changed = (
        await A.update(
            {
                A.status: S.EFFECTIVE if approve else S.REFUSED,
                A.confirmed_via: via,
                A.decided_by: decided_by,
                A.decided_at: _now(),
            }
        )
        .where((A.id == authorization_id) & (A.status == S.PENDING) & where)
        .returning(A.id, A.subject, A.requester_org)
    )
    if not changed:
        raise AuthorizationError("该授权申请已处理或不存在")
    return changed


async def decide_by_subject(account: dict, authorization_id: int, approve: bool) -> None:
    """The verified subject confirms or refuses online (the caller checks verification)."""
    await _decide(authorization_id, A.subject == account["subject"], approve, "subject", account["id"])


async def decide_by_staff(staff_id: int, authorization_id: int, approve: bool) -> None:
    """Credit-centre staff accept (or reject) the written letter."""
    await _decide(authorization_id, A.id == authorization_id, approve, "staff", staff_id)


async def revoke(account: dict, authorization_id: int) -> None:
    """The subject withdraws its authorisation; it stops working at the next query."""
    async with A._meta.db.transaction():
        changed = (
            await A.update({A.status: S.REVOKED, A.revoked_at: _now()})
            .where(
                (A.id == authorization_id)
                & (A.subject == account["subject"])
                & A.status.is_in([S.PENDING, S.EFFECTIVE])
            )
            .returning(A.id, A.requester_org)
        )
        if not changed:
            raise AuthorizationError("该授权已撤销或不存在")
        org = changed[0]["requester_org"]
        await _tell_subject(
            account["subject"],
            f"您已撤销对 {org} 的查询授权",
            f"授权（编号 {authorization_id}）已撤销，此后的查询将被拒绝。",
        )
