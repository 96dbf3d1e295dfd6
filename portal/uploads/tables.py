"""One row per uploaded document; the bytes live in a file under settings.uploads_dir."""

from piccolo.columns import ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from portal.accounts.tables import Account
from portal.subjects.tables import Subject

__all__ = ["Upload", "UploadPurpose"]


class UploadPurpose:
    """What a document is for (R-18: written proof, written authorisation, official letter)."""

    AUTHORIZATION_LETTER = "authorization_letter"  # 书面授权书
    IDENTITY_DOCUMENT = "identity_document"  # 身份证明材料
    BUSINESS_LICENSE = "business_license"  # 营业执照
    ENTERPRISE_LETTER = "enterprise_letter"  # 企业授权经办人的证明函
    OFFICIAL_LETTER = "official_letter"  # 正式函件
    OBJECTION_EVIDENCE = "objection_evidence"  # 异议证明材料
    VERIFICATION_DOCUMENT = "verification_document"  # 提供单位核查材料
    CREDIT_REPORT = "credit_report"  # 信用服务机构出具的信用报告 (R-P3)

    LABELS = {
        AUTHORIZATION_LETTER: "书面授权书",
        IDENTITY_DOCUMENT: "身份证明材料",
        BUSINESS_LICENSE: "营业执照",
        ENTERPRISE_LETTER: "经办人授权证明函",
        OFFICIAL_LETTER: "正式函件",
        OBJECTION_EVIDENCE: "异议证明材料",
        VERIFICATION_DOCUMENT: "核查材料",
        CREDIT_REPORT: "信用报告",
    }
    ALL = tuple(LABELS)


class Upload(Table, tablename="upload"):
    token = Varchar(length=43, unique=True)
    """Random public handle used in URLs; the sequential id never leaves the server."""
    owner = ForeignKey(references=Account, index=True, null=False, on_delete=OnDelete.restrict)
    """The account that uploaded it (evidence: deleting the account must not drop it silently)."""
    subject = ForeignKey(references=Subject, null=True, default=None, index=True, on_delete=OnDelete.restrict)
    """The subject concerned, set by the domain that uses the upload; its accounts may read it."""
    purpose = Varchar(length=32)
    """One of UploadPurpose.ALL (checked by the service)."""
    media_type = Varchar(length=32)
    """Sniffed from the content: application/pdf, image/jpeg or image/png."""
    size = Integer()
    """Bytes."""
    sha256 = Varchar(length=64)
    """Hex SHA-256 of the exact stored bytes; the audit log cites it (issue 3 §7)."""
    stored_name = Varchar(length=64, unique=True)
    """Random path under uploads_dir ("ab/abXXXX…"); never derived from the user's file name."""
    original_name = Varchar(length=120, default="")
    """The client's file name, sanitised, for display only."""
    created_at = Timestamptz()
