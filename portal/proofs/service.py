"""Identity proof (R-18, DESIGN rule 8): submit, review by credit-centre staff, counter check.

An account's registration is a claim (``portal.proofs.claims``). Only when staff accept a proof is
the account linked to its subject (created then, with the name staff confirmed, if the ID number is
not on the platform yet) and given the organisation name others see. The subject's name on record
is never taken from an applicant.
"""

from __future__ import annotations

from datetime import datetime, timezone

from portal.accounts.tables import Account, Role
from portal.lib import id_number as idn
from portal.proofs.claims import claim_of
from portal.proofs.tables import ClaimKind, IdentityProof, ProofMethod, ProofStatus
from portal.subjects.identity import id_number_digest
from portal.subjects.tables import Subject, SubjectKind, SubjectType
from portal.uploads.tables import Upload

__all__ = [
    "ProofError",
    "PROVABLE_ROLES",
    "is_proven",
    "is_verified",
    "latest_proof",
    "submit_document",
    "submit_enterprise",
    "submit_organisation",
    "record_counter_check",
    "review",
    "pending",
]

P = IdentityProof
PROVABLE_ROLES = (Role.CITIZEN, Role.ENTERPRISE, Role.THIRD_PARTY)


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
    """True when staff accepted this account's proof (DESIGN rule 8, R-18).

    Citizens and enterprises: the accepted proof links the account to the subject it speaks for
    (``Account.subject``). Credit-service bodies: their organisation proof was accepted. Other
    roles have no proof path (accounts made by the administrator): False.
    """
    account = await Account.select(Account.role, Account.subject).where(Account.id == account_id).first()
    if account is None:
        return False
    if account["role"] in (Role.CITIZEN, Role.ENTERPRISE):
        return await is_verified(account_id, account["subject"])
    if account["role"] == Role.THIRD_PARTY:
        return await P.exists().where(
            (P.account == account_id) & (P.method == ProofMethod.ORGANISATION) & (P.status == ProofStatus.VERIFIED)
        )
    return False


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


async def _submit(account: dict, method: str, document_id: int, letter_id: int | None = None) -> int:
    await _no_open_proof(account["id"])
    rows = await P.insert(
        P(
            account=account["id"],
            # The subject is linked when staff accept the proof; an account linked earlier keeps it.
            subject=account["subject"],
            method=method,
            document=document_id,
            letter=letter_id,
            submitted_at=_now(),
        )
    )
    return rows[0]["id"]


async def submit_document(account: dict, document_id: int) -> int:
    """A citizen's identity document for staff to check against the claimed name and number."""
    if account["role"] != Role.CITIZEN:
        raise ProofError("仅个人用户可提交身份证明材料")
    await _owned_upload(document_id, account["id"], "identity_document")
    return await _submit(account, ProofMethod.DOCUMENT, document_id)


async def submit_enterprise(account: dict, license_id: int, letter_id: int) -> int:
    """An enterprise's business licence and the letter naming this staff account (经办人)."""
    if account["role"] != Role.ENTERPRISE:
        raise ProofError("仅企业用户可提交营业执照及授权经办函")
    await _owned_upload(license_id, account["id"], "business_license")
    await _owned_upload(letter_id, account["id"], "enterprise_letter")
    return await _submit(account, ProofMethod.ENTERPRISE, license_id, letter_id)


async def submit_organisation(account: dict, license_id: int, letter_id: int) -> int:
    """A credit-service body's business licence and the letter naming this staff account."""
    if account["role"] != Role.THIRD_PARTY:
        raise ProofError("仅信用服务机构可提交机构核验材料")
    await _owned_upload(license_id, account["id"], "business_license")
    await _owned_upload(letter_id, account["id"], "enterprise_letter")
    return await _submit(account, ProofMethod.ORGANISATION, license_id, letter_id)


# --- acceptance: the only place an account gets its subject and its organisation name ---------


def _checked_name(name: str, what: str) -> str:
    name = " ".join((name or "").split())
    if not 2 <= len(name) <= 100:
        raise ProofError(f"请填写核实的{what}")
    return name


async def _natural_subject(claim: dict | None, account: dict, confirmed_name: str) -> dict:
    """The natural person of the claimed number; created with the name staff confirmed when the
    number is not on the platform yet (never with the applicant's typed name unconfirmed)."""
    if claim is None or not claim["id_number_digest"]:
        subject = await Subject.select(Subject.id, Subject.name).where(Subject.id == account["subject"]).first()
        if subject is None:
            raise ProofError("该账号没有登记公民身份号码，不能核验")
        return subject
    where = Subject.id_number_digest == claim["id_number_digest"]
    subject = await Subject.select(Subject.id, Subject.name).where(where).first()
    if subject is not None:
        return subject
    name = _checked_name(confirmed_name, "姓名（平台尚无该证件号码的主体）")
    try:
        await Subject.insert(
            Subject(
                kind=SubjectKind.NATURAL,
                subject_type=SubjectType.NATURAL,
                name=name,
                id_number_digest=claim["id_number_digest"],
                id_number_masked=claim["id_number_masked"],
                id_number_sealed=claim["id_number_sealed"],
            )
        )
    except Exception:  # another review created it just now (unique digest): use that one
        pass
    subject = await Subject.select(Subject.id, Subject.name).where(where).first()
    if subject is None:
        raise ProofError("建立信用主体失败，请重试")
    return subject


async def _legal_subject(claim: dict | None, account: dict) -> dict:
    if claim is not None and claim["uscc"]:
        where = (Subject.uscc == claim["uscc"]) & (Subject.kind == SubjectKind.LEGAL)
    else:
        where = Subject.id == account["subject"]
    subject = await Subject.select(Subject.id, Subject.name).where(where).first()
    if subject is None:
        raise ProofError("平台上没有该统一社会信用代码对应的法人主体，不能核验通过")
    return subject


async def _link(account: dict, confirmed_name: str) -> tuple[int | None, dict]:
    """The subject the account will speak for, and the account fields acceptance sets."""
    claim = await claim_of(account["id"])
    if account["role"] == Role.CITIZEN:
        subject = await _natural_subject(claim, account, confirmed_name)
        # The account shows the name on record from now on, not the one typed at registration.
        return subject["id"], {Account.subject: subject["id"], Account.display_name: subject["name"][:100]}
    if account["role"] == Role.ENTERPRISE:
        subject = await _legal_subject(claim, account)
        return subject["id"], {Account.subject: subject["id"], Account.organisation: subject["name"]}
    if account["role"] == Role.THIRD_PARTY:
        typed = (claim or {}).get("claimed_name") or account["organisation"]
        return None, {Account.organisation: _checked_name(confirmed_name or typed, "机构名称")[:200]}
    raise ProofError("该账号无需身份核验")


async def _accept(proof_id: int, staff_id: int, confirmed_name: str, note: str = "") -> None:
    proof = await P.select(P.account, P.document, P.letter).where(P.id == proof_id).first()
    if proof is None:
        raise ProofError("该申请已处理或不存在")
    account = await Account.select().where(Account.id == proof["account"]).first()
    subject_id, changes = await _link(account, confirmed_name)
    async with P._meta.db.transaction():
        changed = (
            await P.update(
                {
                    P.status: ProofStatus.VERIFIED,
                    P.subject: subject_id,
                    P.reviewed_by: staff_id,
                    P.reviewed_at: _now(),
                    P.note: note[:200],
                }
            )
            .where((P.id == proof_id) & (P.status == ProofStatus.PENDING))
            .returning(P.id)
        )
        if not changed:
            raise ProofError("该申请已处理或不存在")
        await Account.update(changes).where(Account.id == account["id"])
        uploads = [u for u in (proof["document"], proof["letter"]) if u]
        if subject_id and uploads:
            # The subject's own accounts may now read what was filed in its name.
            await Upload.update({Upload.subject: subject_id}).where(Upload.id.is_in(uploads) & Upload.subject.is_null())


async def record_counter_check(staff_id: int, username: str, id_number: str, name: str = "") -> int:
    """Staff checked the citizen's identity card at the counter: the number typed in must be the
    one the account claimed (compared by keyed digest; the number is not stored again)."""
    account = await Account.select().where(Account.username == username.strip().lower()).first()
    if account is None or account["role"] != Role.CITIZEN:
        raise ProofError("没有该个人用户")
    number = idn.normalize(id_number)
    if error := idn.validation_error(number):
        raise ProofError(error)
    claim = await claim_of(account["id"])
    if claim is not None and claim["kind"] == ClaimKind.NATURAL:
        claimed = claim["id_number_digest"]
    else:
        subject = await Subject.select(Subject.id_number_digest).where(Subject.id == account["subject"]).first()
        claimed = subject["id_number_digest"] if subject else None
    if claimed != id_number_digest(number):
        raise ProofError("证件号码与该账号登记的信息不一致")
    subject_id, changes = await _link(account, name)
    async with P._meta.db.transaction():
        await P.update({P.status: ProofStatus.REJECTED, P.note: "已改为窗口核验"}).where(
            (P.account == account["id"]) & (P.status == ProofStatus.PENDING)
        )
        rows = await P.insert(
            P(
                account=account["id"],
                subject=subject_id,
                method=ProofMethod.COUNTER,
                status=ProofStatus.VERIFIED,
                submitted_at=_now(),
                reviewed_by=staff_id,
                reviewed_at=_now(),
            )
        )
        await Account.update(changes).where(Account.id == account["id"])
    return rows[0]["id"]


async def review(staff_id: int, proof_id: int, approve: bool, note: str = "", confirmed_name: str = "") -> None:
    if approve:
        await _accept(proof_id, staff_id, confirmed_name, note.strip())
        return
    if not note.strip():
        raise ProofError("不通过时请填写原因")
    changed = (
        await P.update(
            {P.status: ProofStatus.REJECTED, P.reviewed_by: staff_id, P.reviewed_at: _now(), P.note: note.strip()[:200]}
        )
        .where((P.id == proof_id) & (P.status == ProofStatus.PENDING))
        .returning(P.id)
    )
    if not changed:
        raise ProofError("该申请已处理或不存在")


async def pending() -> list[dict]:
    from portal.proofs.queue import pending_with_flags

    return await pending_with_flags()
