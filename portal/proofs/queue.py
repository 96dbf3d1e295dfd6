"""The staff review queue of identity proofs: each claim next to what the platform holds, with the
cases that need a closer look flagged (DESIGN rule 8): a name that differs from the name on
record, a number or USCC not on the platform, another account claiming the same subject."""

from __future__ import annotations

from collections import defaultdict

from portal.accounts.tables import Account
from portal.proofs.claims import claims_of
from portal.proofs.tables import ClaimKind, IdentityClaim, IdentityProof, ProofStatus
from portal.subjects.tables import Subject, SubjectKind

__all__ = ["pending_with_flags"]

P = IdentityProof
S = Subject
_SUBJECT = (S.id, S.name, S.kind, S.uscc, S.id_number_digest, S.id_number_masked)


async def _subjects(claims: list[dict], linked: set[int]) -> tuple[dict, dict, dict]:
    digests = sorted({c["id_number_digest"] for c in claims if c["id_number_digest"]})
    usccs = sorted({c["uscc"] for c in claims if c["uscc"]})
    by_digest = (
        {r["id_number_digest"]: r for r in await S.select(*_SUBJECT).where(S.id_number_digest.is_in(digests))}
        if digests
        else {}
    )
    by_uscc = (
        {r["uscc"]: r for r in await S.select(*_SUBJECT).where(S.uscc.is_in(usccs) & (S.kind == SubjectKind.LEGAL))}
        if usccs
        else {}
    )
    by_id = {r["id"]: r for r in await S.select(*_SUBJECT).where(S.id.is_in(sorted(linked)))} if linked else {}
    return by_digest, by_uscc, by_id


async def _claimants(digests: list[str], usccs: list[str], subject_ids: list[int]) -> dict:
    """Accounts claiming, or linked to, each digest / USCC / subject id."""
    out: dict = defaultdict(set)
    C = IdentityClaim
    if digests:
        for r in await C.select(C.account, C.id_number_digest).where(C.id_number_digest.is_in(digests)):
            out["n:" + r["id_number_digest"]].add(r["account"])
    if usccs:
        for r in await C.select(C.account, C.uscc).where(C.uscc.is_in(usccs)):
            out["l:" + r["uscc"]].add(r["account"])
    if subject_ids:
        for r in await Account.select(Account.id, Account.subject).where(Account.subject.is_in(subject_ids)):
            out[r["subject"]].add(r["id"])
    return out


def _flags(row: dict, claim: dict | None, record: dict | None, others: set[int]) -> list[str]:
    flags = []
    legal = row["role"] == "enterprise"
    if record is None and row["role"] != "third_party":
        flags.append(
            "平台上没有该统一社会信用代码对应的法人主体，不能核验通过"
            if legal
            else "平台尚无该证件号码的主体：核验通过时将以下方核实的姓名建立主体"
        )
    if record is not None and claim is not None and claim["claimed_name"] and claim["claimed_name"] != record["name"]:
        flags.append(("企业名称" if legal else "姓名") + "与平台登记的不一致")
    if others:
        flags.append(f"另有 {len(others)} 个账号声明或已关联同一主体")
    return flags


async def pending_with_flags(limit: int = 200) -> list[dict]:
    rows = (
        await P.select(
            P.id,
            P.method,
            P.submitted_at,
            P.account.id.as_alias("account_id"),
            P.account.username.as_alias("username"),
            P.account.role.as_alias("role"),
            P.account.display_name.as_alias("display_name"),
            P.account.subject.as_alias("account_subject"),
            P.account.organisation.as_alias("organisation"),
            P.document.token.as_alias("document_token"),
            P.letter.token.as_alias("letter_token"),
        )
        .where(P.status == ProofStatus.PENDING)
        .order_by(P.id)
        .limit(limit)
    )
    claims = await claims_of([r["account_id"] for r in rows])
    linked = {r["account_subject"] for r in rows if r["account_subject"]}
    by_digest, by_uscc, by_id = await _subjects(list(claims.values()), linked)
    records = {}
    for r in rows:
        claim = claims.get(r["account_id"])
        if claim and claim["id_number_digest"]:
            records[r["id"]] = by_digest.get(claim["id_number_digest"])
        elif claim and claim["uscc"]:
            records[r["id"]] = by_uscc.get(claim["uscc"])
        else:
            records[r["id"]] = by_id.get(r["account_subject"])
    claimants = await _claimants(
        sorted({c["id_number_digest"] for c in claims.values() if c["id_number_digest"]}),
        sorted({c["uscc"] for c in claims.values() if c["uscc"]}),
        sorted({s["id"] for s in records.values() if s}),
    )
    out = []
    for r in rows:
        claim, record = claims.get(r["account_id"]), records[r["id"]]
        others: set[int] = set()
        if claim and claim["id_number_digest"]:
            others |= claimants["n:" + claim["id_number_digest"]]
        if claim and claim["uscc"]:
            others |= claimants["l:" + claim["uscc"]]
        if record:
            others |= claimants[record["id"]]
        others.discard(r["account_id"])
        kind = claim["kind"] if claim else (ClaimKind.LEGAL if r["role"] == "enterprise" else ClaimKind.NATURAL)
        out.append(
            {
                **r,
                "kind": kind,
                "claimed_name": (claim["claimed_name"] if claim else "") or r["display_name"],
                "claimed_code": (claim["uscc"] or claim["id_number_masked"] or "") if claim else "",
                "has_number": bool(claim and claim["id_number_sealed"])
                or bool(record and record.get("id_number_digest")),
                "record": record,
                "flags": _flags(r, claim, record, others),
            }
        )
    return out
