"""The full 公民身份号码, shown to two people only and never without a record (R-17, R-28):
credit-centre staff on the review page of a pending proof, and the proven owner on request.

Each view is appended to the audit log first; if that fails (AuditUnavailable) nothing is shown.
The number is never put in a URL, a log line or the audit entry (DESIGN rule 4).
"""

from __future__ import annotations

import uuid

from audit.recorder import QueryEvent, record
from portal.accounts.sessions import Principal
from portal.accounts.tables import Account, Role
from portal.lib.masking import mask_name
from portal.proofs.claims import claim_of
from portal.proofs.service import ProofError, is_proven
from portal.proofs.tables import IdentityProof, ProofStatus
from portal.subjects.identity import open_id_number, subject_ref
from portal.subjects.tables import Subject, SubjectKind

__all__ = ["number_for_review", "number_for_owner"]

_COLUMNS = (Subject.id, Subject.kind, Subject.name, Subject.id_number_digest, Subject.id_number_masked)


async def _record(principal: Principal, method: str, reason: str, person: dict, request_id: str) -> None:
    await record(
        QueryEvent(
            requester_account=principal.username,
            requester_role=principal.role,
            requester_org=principal.organisation,
            method=method,
            reason_code=method,
            reason_text=reason,
            subject_ref=subject_ref({"kind": SubjectKind.NATURAL, "id_number_digest": person["digest"]}),
            subject_label=f"{mask_name(person['name'])}（{person['masked']}）",
            scope="id_number",
            request_id=request_id or uuid.uuid4().hex,
        )
    )


def _open(sealed: str | None) -> str:
    number = open_id_number(sealed) if sealed else None
    if not number:
        raise ProofError("没有可查看的证件号码")
    return number


async def number_for_review(staff: Principal, proof_id: int, request_id: str = "") -> str:
    """The number a pending proof claims, for the reviewing staff member; recorded first."""
    if staff.role != Role.STAFF:
        raise ProofError("无权查看")
    proof = (
        await IdentityProof.select(IdentityProof.account, IdentityProof.account.subject.as_alias("linked"))
        .where((IdentityProof.id == proof_id) & (IdentityProof.status == ProofStatus.PENDING))
        .first()
    )
    if proof is None:
        raise ProofError("该申请已处理或不存在")
    claim = await claim_of(proof["account"])
    if claim is not None and claim["id_number_sealed"]:
        person = {
            "digest": claim["id_number_digest"],
            "masked": claim["id_number_masked"],
            "name": claim["claimed_name"],
        }
        sealed = claim["id_number_sealed"]
    else:  # an account linked before claims existed
        row = await Subject.select(*_COLUMNS, Subject.id_number_sealed).where(Subject.id == proof["linked"]).first()
        if row is None or not row["id_number_digest"]:
            raise ProofError("没有可查看的证件号码")
        person = {"digest": row["id_number_digest"], "masked": row["id_number_masked"], "name": row["name"]}
        sealed = row["id_number_sealed"]
    number = _open(sealed)
    await _record(staff, "staff_review", f"身份核验审核查看完整证件号码（申请 {proof_id}）", person, request_id)
    return number


async def number_for_owner(principal: Principal, request_id: str = "") -> str:
    """The proven citizen's own number, on request; recorded first."""
    if principal.role != Role.CITIZEN or not await is_proven(principal.account_id):
        raise ProofError("完成身份核验后，方可查看本人完整证件号码")
    account = await Account.select(Account.subject).where(Account.id == principal.account_id).first()
    row = await Subject.select(*_COLUMNS, Subject.id_number_sealed).where(Subject.id == account["subject"]).first()
    if row is None or not row["id_number_digest"]:
        raise ProofError("没有可查看的证件号码")
    number = _open(row["id_number_sealed"])
    person = {"digest": row["id_number_digest"], "masked": row["id_number_masked"], "name": row["name"]}
    await _record(principal, "owner_view", "本人查看完整证件号码", person, request_id)
    return number
