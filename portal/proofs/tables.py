"""身份核验: an account proving who it is before it may query, file requests or see non-public records
(R-18, DESIGN rule 8).

Registration only makes a claim (``IdentityClaim``); the link to a subject, and any organisation
name shown to others, come from a proof that staff accepted (``IdentityProof``).
"""

from piccolo.columns import ForeignKey, Text, Timestamptz, Varchar
from piccolo.table import Table

from portal.accounts.tables import Account
from portal.subjects.tables import Subject
from portal.uploads.tables import Upload

__all__ = ["ClaimKind", "IdentityClaim", "IdentityProof", "ProofMethod", "ProofStatus"]


class ProofMethod:
    DOCUMENT = "document"  # citizen: uploaded identity document, checked by credit-centre staff
    COUNTER = "counter"  # citizen: identity checked at the counter, recorded by staff
    ENTERPRISE = "enterprise"  # enterprise: business licence + letter naming the staff account
    ORGANISATION = "organisation"  # credit-service body: business licence + letter, like enterprises
    LABELS = {
        DOCUMENT: "上传身份证明材料",
        COUNTER: "窗口现场核验",
        ENTERPRISE: "营业执照及授权经办函",
        ORGANISATION: "机构营业执照及授权经办函",
    }


class ProofStatus:
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"
    LABELS = {PENDING: "待审核", VERIFIED: "已核验", REJECTED: "未通过"}


class ClaimKind:
    NATURAL = "natural"  # citizen: name + ID number
    LEGAL = "legal"  # enterprise: company name + USCC
    ORGANISATION = "organisation"  # credit-service body: organisation name
    LABELS = {NATURAL: "个人", LEGAL: "企业", ORGANISATION: "信用服务机构"}


class IdentityClaim(Table, tablename="identity_claim"):
    """What an account said about who it is, at registration (or account creation): a claim, never
    a fact — nothing here is shown to others or acted on until a proof is accepted (DESIGN rule 8)."""

    account = ForeignKey(references=Account, unique=True)
    """The account making the claim (one claim per account)."""
    kind = Varchar(length=16)
    """ClaimKind value."""
    claimed_name = Varchar(length=200, default="")
    """The person's or organisation's name as typed (unverified)."""
    uscc = Varchar(length=18, null=True, default=None, index=True)
    """Enterprise: the USCC typed at registration."""
    id_number_digest = Varchar(length=64, null=True, default=None, index=True)
    """Citizen: keyed digest of the ID number typed (finds the subject and other claimants)."""
    id_number_masked = Varchar(length=18, null=True, default=None)
    id_number_sealed = Text(null=True, default=None)
    """Citizen: the number sealed with the server key; opened only on the staff review page (audited)
    and to create the subject on acceptance when the number is not on the platform yet."""
    created_at = Timestamptz()


class IdentityProof(Table, tablename="identity_proof"):
    """One attempt by an account to prove that it is who its claim says."""

    account = ForeignKey(references=Account, index=True)
    """The account asking to be proven."""
    subject = ForeignKey(references=Subject)
    """The subject the proof links the account to: set when staff accept it (citizen/enterprise);
    empty for credit-service bodies and for proofs not yet accepted."""
    method = Varchar(length=16)
    status = Varchar(length=16, default=ProofStatus.PENDING)
    document = ForeignKey(references=Upload, null=True, default=None)
    """Identity document (citizen) or business licence (enterprise, credit-service body)."""
    letter = ForeignKey(references=Upload, null=True, default=None)
    """Enterprise / credit-service body: the letter naming this staff account (授权经办函)."""
    submitted_at = Timestamptz()
    reviewed_by = ForeignKey(references=Account, null=True, default=None)
    reviewed_at = Timestamptz(null=True, default=None)
    note = Varchar(length=200, default="")
    """Staff's reason for a rejection, shown to the applicant."""
