"""身份核验: a subject proving its identity before it may see its own non-public records (R-18)."""

from piccolo.columns import ForeignKey, Timestamptz, Varchar
from piccolo.table import Table

from portal.accounts.tables import Account
from portal.subjects.tables import Subject
from portal.uploads.tables import Upload

__all__ = ["IdentityProof", "ProofMethod", "ProofStatus"]


class ProofMethod:
    DOCUMENT = "document"  # citizen: uploaded identity document, checked by credit-centre staff
    COUNTER = "counter"  # citizen: identity checked at the counter, recorded by staff
    ENTERPRISE = "enterprise"  # enterprise: business licence + letter naming the staff account
    LABELS = {DOCUMENT: "上传身份证明材料", COUNTER: "窗口现场核验", ENTERPRISE: "营业执照及授权经办函"}


class ProofStatus:
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"
    LABELS = {PENDING: "待审核", VERIFIED: "已核验", REJECTED: "未通过"}


class IdentityProof(Table, tablename="identity_proof"):
    """One attempt by an account to prove that it speaks for its subject."""

    account = ForeignKey(references=Account, index=True)
    """The citizen or enterprise account asking to see its own records."""
    subject = ForeignKey(references=Subject)
    """The subject the account claims (Account.subject at submission)."""
    method = Varchar(length=16)
    status = Varchar(length=16, default=ProofStatus.PENDING)
    document = ForeignKey(references=Upload, null=True, default=None)
    """Identity document (citizen) or business licence (enterprise)."""
    letter = ForeignKey(references=Upload, null=True, default=None)
    """Enterprise only: the letter naming this staff account (授权经办函)."""
    submitted_at = Timestamptz()
    reviewed_by = ForeignKey(references=Account, null=True, default=None)
    reviewed_at = Timestamptz(null=True, default=None)
    note = Varchar(length=200, default="")
    """Staff's reason for a rejection, shown to the applicant."""
