"""信用承诺 (R-P1): the standard texts (承诺书范本) in versions, and the signed commitments."""

from piccolo.columns import Boolean, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from portal.accounts.tables import Account
from portal.agencies.tables import Agency
from portal.records.tables import CreditRecord
from portal.subjects.tables import Subject

__all__ = ["CommitmentDomain", "CommitmentStatus", "CommitmentText", "Commitment"]


class CommitmentDomain:
    """Application domains of a commitment (Z105 第七条 (一)–(六))."""

    PUBLIC_RESOURCES = "public_resources"
    PROCUREMENT = "procurement"
    SUPERVISION = "supervision"
    AWARDS = "awards"
    QUALIFICATION = "qualification"
    OTHER = "other"
    LABELS = {
        PUBLIC_RESOURCES: "公共资源分配、财政性资金、国有产权交易及融资项目",
        PROCUREMENT: "政府和社会资本合作、招商引资、政府采购及招投标",
        SUPERVISION: "事中事后监管、行政审批、资质审核、定期检验、市场准入",
        AWARDS: "表彰奖励、荣誉授予、职称评定等评优评先",
        QUALIFICATION: "绩效评价、资质评测、备案管理、许可管理等资质认定",
        OTHER: "其他行政管理活动",
    }


class CommitmentStatus:
    SIGNED = "signed"
    BREACHED = "breached"
    WITHDRAWN = "withdrawn"
    LABELS = {SIGNED: "履约中", BREACHED: "已违诺", WITHDRAWN: "已撤回"}


class CommitmentText(Table, tablename="commitment_text"):
    """One version of the standard text of a domain. A change is a new row (version + 1); rows are
    never updated except to move ``is_current``, so a signed commitment keeps the text it signed."""

    domain = Varchar(length=32, index=True)
    version = Integer()
    title = Varchar(length=200)
    body = Text()
    text_sha256 = Varchar(length=64)
    """SHA-256 of the text as signed (title, blank line, body; UTF-8)."""
    is_current = Boolean(default=False)
    note = Varchar(length=500, default="")
    """Why staff changed it."""
    created_by = ForeignKey(references=Account, null=True, default=None, on_delete=OnDelete.restrict)
    """None for the texts the platform was installed with."""
    created_at = Timestamptz()


class Commitment(Table, tablename="commitment"):
    """A commitment a subject signed online for one matter of an accepting agency (R-P1)."""

    number = Varchar(length=24, unique=True)
    """承诺书编号 shown to people, e.g. XYCN20261205K7M2P9QA."""
    subject = ForeignKey(references=Subject, index=True, null=False, on_delete=OnDelete.restrict)
    text = ForeignKey(references=CommitmentText, null=False, on_delete=OnDelete.restrict)
    domain = Varchar(length=32)
    text_version = Integer()
    text_sha256 = Varchar(length=64)
    matter = Varchar(length=200)
    """事项名称."""
    case_no = Varchar(length=64, default="")
    """办件编号 (optional)."""
    agency = ForeignKey(references=Agency, index=True, null=False, on_delete=OnDelete.restrict)
    """The accepting agency: the one that may record a breach."""
    signed_by = ForeignKey(references=Account, null=False, on_delete=OnDelete.restrict)
    signer_name = Varchar(length=200)
    signed_at = Timestamptz()
    signed_on = Date()
    """China date of signing."""
    valid_until = Date(null=True, default=None)
    """None: in force until the matter is closed."""
    form_token = Varchar(length=64, unique=True)
    """The signing form's one-time value: a double submit finds the first commitment."""
    status = Varchar(length=16, default=CommitmentStatus.SIGNED)
    breached_on = Date(null=True, default=None)
    breach_facts = Text(default="")
    breach_basis = Text(default="")
    breach_by = ForeignKey(references=Account, null=True, default=None, on_delete=OnDelete.restrict)
    breach_record = ForeignKey(references=CreditRecord, null=True, default=None, on_delete=OnDelete.restrict)
    """The negative credit record the breach became (R-P1, KS 第九条)."""
