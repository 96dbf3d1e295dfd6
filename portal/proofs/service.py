"""Identity proof for self-queries (R-18): submit, review by credit-centre staff, counter check."""

from __future__ import annotations

from datetime import datetime, timezone

from portal.accounts.tables import Account, Role
from portal.lib import id_number as idn
from portal.proofs.tables import IdentityProof, ProofMethod, ProofStatus
from portal.subjects.identity import id_number_digest
from portal.subjects.tables import Subject
from portal.uploads.tables import Upload

__all__ = [
    "ProofError",
    "is_verified",
    "is_proven",
    "latest_proof",
    "submit_document",
    "submit_enterprise",
    "record_counter_check",
    "review",
    "pending",
]

P = IdentityProof


class ProofError(ValueError):
    """A problem the user can fix; the message is shown as is (Chinese)."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def is_verified(account_id: int, subject_id: int | None) -> bool:
    if not subject_id:
        return False
    return await P.exists().where(
        (P.account == account_id) & (P.subject == subject_id) & (P.status == ProofStatus.VERIFIED)
    )


async def is_proven(account_id: int) -> bool:
    """The account's identity proof was accepted for the subject it speaks for (R-18)."""
    account = await Account.select(Account.subject).where(Account.id == account_id).first()
    return bool(account) and await is_verified(account_id, account["subject"])


async def latest_proof(account_id: int) -> dict | None:
    return (
        await P.select(P.id, P.method, P.status, P.submitted_at, P.reviewed_at, P.note)
        .where(P.account == account_id)
        .order_by(P.id, ascending=False)
        .first()
    )


async def _owned_upload(upload_id: int, account_id: int, purpose: str) -> None:
    ok = await Upload.exists().where(
        (Upload.id == upload_id) & (Upload.owner == account_id) & (Upload.purpose == purpose)
    )
    if not ok:
        raise ProofError("上传的材料无效，请重新上传")


async def _no_open_proof(account_id: int) -> None:
    if await P.exists().where((P.account == account_id) & P.status.is_in([ProofStatus.PENDING, ProofStatus.VERIFIED])):
        raise ProofError("您已提交身份核验申请，请勿重复提交")


async def submit_document(account: dict, document_id: int) -> int:
    """A citizen's identity document for staff to check against the registered name and number."""
    if account["role"] != Role.CITIZEN or not account["subject"]:
        raise ProofError("仅个人用户可提交身份证明材料")
    await _no_open_proof(account["id"])
    await _owned_upload(document_id, account["id"], "identity_document")
    rows = await P.insert(
        P(
            account=account["id"],
            subject=account["subject"],
            method=ProofMethod.DOCUMENT,
            document=document_id,
            submitted_at=_now(),
        )
    )
    await Upload.update({Upload.subject: account["subject"]}).where(Upload.id == document_id)
    return rows[0]["id"]


async def submit_enterprise(account: dict, license_id: int, letter_id: int) -> int:
    """An enterprise's business licence and the letter naming this staff account (经办人)."""
    if account["role"] != Role.ENTERPRISE or not account["subject"]:
        raise ProofError("仅企业用户可提交营业执照及授权经办函")
    await _no_open_proof(account["id"])
    await _owned_upload(license_id, account["id"], "business_license")
    await _owned_upload(letter_id, account["id"], "enterprise_letter")
    async with P._meta.db.transaction():
        rows = await P.insert(
            P(
                account=account["id"],
                subject=account["subject"],
                method=ProofMethod.ENTERPRISE,
                document=license_id,
                letter=letter_id,
                submitted_at=_now(),
            )
        )
        await Upload.update({Upload.subject: account["subject"]}).where(Upload.id.is_in([license_id, letter_id]))
    return rows[0]["id"]


async def record_counter_check(staff_id: int, username: str, id_number: str) -> int:
    """Staff checked the citizen's identity card at the counter: the number typed in must be the
    one the account registered with (compared by keyed digest; the number is not stored)."""
    account = await Account.select().where(Account.username == username.strip().lower()).first()
    if account is None or account["role"] != Role.CITIZEN or not account["subject"]:
        raise ProofError("没有该个人用户")
    number = idn.normalize(id_number)
    if error := idn.validation_error(number):
        raise ProofError(error)
    subject = await Subject.select(Subject.id_number_digest).where(Subject.id == account["subject"]).first()
    if subject is None or subject["id_number_digest"] != id_number_digest(number):
        raise ProofError("证件号码与该账号登记的信息不一致")
    async with P._meta.db.transaction():
        await P.update({P.status: ProofStatus.REJECTED, P.note: "已改为窗口核验"}).where(
            (P.account == account["id"]) & (P.status == ProofStatus.PENDING)
        )
        rows = await P.insert(
            P(
                account=account["id"],
                subject=account["subject"],
                method=ProofMethod.COUNTER,
                status=ProofStatus.VERIFIED,
                submitted_at=_now(),
                reviewed_by=staff_id,
                reviewed_at=_now(),
            )
        )
    return rows[0]["id"]


async def review(staff_id: int, proof_id: int, approve: bool, note: str = "") -> None:
    if not approve and not note.strip():
        raise ProofError("不通过时请填写原因")
    changed = (
        await P.update(
            {
                P.status: ProofStatus.VERIFIED if approve else ProofStatus.REJECTED,
                P.reviewed_by: staff_id,
                P.reviewed_at: _now(),
                P.note: note.strip()[:200],
            }
        )
        .where((P.id == proof_id) & (P.status == ProofStatus.PENDING))
        .returning(P.id)
    )
    if not changed:
        raise ProofError("该申请已处理或不存在")


async def pending() -> list[dict]:
    return (
        await P.select(
            P.id,
            P.method,
            P.submitted_at,
            P.account.username.as_alias("username"),
            P.account.display_name.as_alias("display_name"),
            P.subject.name.as_alias("subject_name"),
            P.subject.kind.as_alias("subject_kind"),
            P.subject.uscc.as_alias("subject_uscc"),
            P.subject.id_number_masked.as_alias("subject_id_masked"),
            P.document.token.as_alias("document_token"),
            P.letter.token.as_alias("letter_token"),
        )
        .where(P.status == ProofStatus.PENDING)
        .order_by(P.id)
        .limit(200)
    )
