"""信用信息核查 (R-P2): one row per application; once issued it also holds the opinion."""

from piccolo.columns import Bytea, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from portal.accounts.tables import Account
from portal.agencies.tables import Agency
from portal.subjects.tables import Subject

__all__ = ["Verification", "Status", "ApplicantKind"]


class Status:
    PENDING = "pending"
    ISSUED = "issued"
    LABELS = {PENDING: "待出具", ISSUED: "已出具"}


class ApplicantKind:
    SUBJECT = "subject"
    AGENCY = "agency"
    LABELS = {SUBJECT: "信用主体本人", AGENCY: "行政机关（履职）"}


class Verification(Table, tablename="verification"):
    """An application for a 信用信息查询意见 and, once issued, the opinion itself (R-P2)."""

    number = Varchar(length=32, unique=True)
    """申请编号, e.g. HCSQ20260929XXXXXXXX."""
    subject = ForeignKey(references=Subject, index=True, null=False, on_delete=OnDelete.restrict)
    applicant = ForeignKey(references=Account, index=True, null=False, on_delete=OnDelete.restrict)
    applicant_kind = Varchar(length=8)
    """subject (its own opinion) or agency (an officer, in its duties)."""
    agency = ForeignKey(references=Agency, index=True, null=True, default=None, on_delete=OnDelete.restrict)
    """The officer's agency: its other officers see and download the opinion too."""
    applicant_label = Varchar(length=200)
    """申请人 as printed: the agency's name, or the subject's (masked for natural persons, R-17)."""
    purpose = Varchar(length=32)
    """Code from portal.products.verifications.purposes (Z105 第九条, KS 第十二条)."""
    matter = Text()
    """事项: the administrative matter the opinion is for."""
    applied_on = Date()
    """China date of the application; the 5-working-day deadline counts from it (rules.due_of)."""
    applied_at = Timestamptz()
    status = Varchar(length=8, default=Status.PENDING)
    opinion_no = Varchar(length=32, default="")
    """查询意见编号, printed and carried in the verification token; '' until issued."""
    issued_on = Date(null=True, default=None)
    issued_at = Timestamptz(null=True, default=None)
    """The instant the records were read ("as of"); later changes supersede (rules.state_of)."""
    issued_by = Integer(null=True, default=None)
    """Staff account that issued it (SPEC §5: attributable)."""
    valid_until = Date(null=True, default=None)
    """Last day of the one-year validity (R-P2)."""
    digest = Varchar(length=64, default="")
    """SHA-256 of the opinion's canonical content (service.content_digest)."""
    summary = Text(default="")
    """The opinion's conclusion line (counts only, no record content): what the verify page shows."""
    record_count = Integer(default=0)
    audit_seq = Integer(null=True, default=None)
    """The query-audit entry of the disclosure the opinion was built from (R-19)."""
    pdf = Bytea(null=True, default=None)
    """The PDF as issued: downloads return exactly what was issued, never a re-read."""
