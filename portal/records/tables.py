"""公共信用信息: credit records, their 双公示 detail items, and their change history (R-11)."""

from piccolo.columns import JSON, Date, ForeignKey, Integer, Numeric, Text, Timestamptz, Varchar
from piccolo.table import Table

from portal.agencies.tables import Agency
from portal.subjects.tables import Subject

__all__ = [
    "CreditRecord",
    "LicenseDetail",
    "PenaltyDetail",
    "RecordChange",
    "RecordType",
    "RecordStatus",
    "DisclosureClass",
]


class DisclosureClass:
    """R-15: A 社会公开类, B 部门共享类, C 有限共享类."""

    A, B, C = "A", "B", "C"
    LABELS = {A: "社会公开类", B: "部门共享类", C: "有限共享类"}


class RecordType:
    LICENSE = "license"  # 行政许可 (双公示)
    PENALTY = "penalty"  # 行政处罚 (双公示)
    GENERAL = "general"
    LABELS = {LICENSE: "行政许可", PENALTY: "行政处罚", GENERAL: "其他信用信息"}


class RecordStatus:
    IN_FORCE = "in_force"
    CORRECTED = "corrected"  # superseded by a correction
    REVOKED = "revoked"
    EXPIRED = "expired"
    LABELS = {IN_FORCE: "有效", CORRECTED: "已更正", REVOKED: "已撤销", EXPIRED: "已过期"}


class CreditRecord(Table, tablename="credit_record"):
    """One item of public credit information about a subject."""

    subject = ForeignKey(references=Subject, index=True)
    record_type = Varchar(length=16, default=RecordType.GENERAL)
    """``license`` / ``penalty`` (the two 双公示 types) or ``general``."""
    category = Varchar(length=32)
    """Category code from portal.records.categories (R-07, R-08)."""
    polarity = Varchar(length=8)
    """positive / negative / neutral."""
    disclosure_class = Varchar(length=1)
    """A / B / C (R-15). Only A is ever public (R-17)."""
    provider = ForeignKey(references=Agency)
    """数据来源单位: the agency that reported the record and answers for it (R-11). Indexed as the
    first column of ``credit_record_provider_publicity`` and ``credit_record_provider_ref``."""
    title = Varchar(length=200)
    """Short heading shown in lists."""
    content = Text(default="")
    """The information itself, in plain Chinese."""
    doc_number = Varchar(length=100, default="")
    """决定书文号 / 文件编号."""
    decision_date = Date()
    """Date of the decision or fact."""
    publicity_end = Date(null=True, default=None)
    """公示截止期: after it the record leaves the public site (R-17; penalties)."""
    act_end_date = Date(null=True, default=None)
    """End of the dishonest act or event: dishonesty info is provided for 5 years after (R-20)."""
    status = Varchar(length=16, default=RecordStatus.IN_FORCE)
    version = Integer(default=1)
    """Bumped by every change; earlier versions live in RecordChange (R-11)."""
    provider_ref = Varchar(length=64, default="")
    """The provider's own id of this record ('' for records from before collection, e.g. demo
    data): a provider creates, corrects and revokes by it (R-11); unique per provider."""
    channel = Varchar(length=8, default="")
    """How it came: api 系统对接 / xlsx 批量上传 / entry 逐条录入 (R-12); '' before collection."""
    consent_ref = Varchar(length=60, default="")
    """The subject's written consent (文书编号) that allowed income, deposits … in it (R-09); ''."""
    created_at = Timestamptz()
    updated_at = Timestamptz()


class LicenseDetail(Table, tablename="license_detail"):
    """行政许可 双公示 standard data items not already on CreditRecord/Subject."""

    record = ForeignKey(references=CreditRecord, unique=True)
    subject_name = Varchar(length=200)
    """行政相对人名称 as at the decision."""
    subject_code = Varchar(length=18, default="")
    """行政相对人代码: USCC, or the masked ID number of a natural person (R-17)."""
    legal_representative = Varchar(length=64, default="")
    project_name = Varchar(length=200)
    """项目名称."""
    approval_category = Varchar(length=16)
    """审批类别: 普通 / 特许 / 认可 / 核准 / 登记 / 其他."""
    license_content = Text(default="")
    """许可内容."""
    valid_from = Date(null=True, default=None)
    valid_to = Date(null=True, default=None)
    """有效期至 / 许可截止期."""
    authority = Varchar(length=100)
    """许可机关."""
    current_status = Varchar(length=8, default="有效")
    """当前状态: 有效 / 无效."""
    data_source = Varchar(length=100)
    """数据来源单位."""


class PenaltyDetail(Table, tablename="penalty_detail"):
    """行政处罚 双公示 standard data items."""

    record = ForeignKey(references=CreditRecord, unique=True)
    subject_name = Varchar(length=200)
    subject_code = Varchar(length=18, default="")
    legal_representative = Varchar(length=64, default="")
    violation_type = Varchar(length=100)
    """违法行为类型."""
    violation_facts = Text(default="")
    """违法事实."""
    legal_basis = Text(default="")
    """处罚依据."""
    penalty_category = Varchar(length=64)
    """处罚类别: 警告 / 罚款 / 没收违法所得、没收非法财物 / 责令停产停业 / 暂扣或者吊销许可证 …"""
    penalty_content = Text(default="")
    """处罚内容."""
    fine_amount = Numeric(digits=(14, 4), null=True, default=None)
    """罚款金额（万元）."""
    confiscated_amount = Numeric(digits=(14, 4), null=True, default=None)
    """没收违法所得、没收非法财物的金额（万元）."""
    license_action = Varchar(length=200, default="")
    """暂扣或吊销证照名称及编号."""
    valid_to = Date(null=True, default=None)
    """处罚有效期."""
    authority = Varchar(length=100)
    """处罚机关."""
    data_source = Varchar(length=100)


class RecordChange(Table, tablename="record_change"):
    """The state of a record *before* each change, with who changed it and why (R-11, §5)."""

    record = ForeignKey(references=CreditRecord, index=True)
    version = Integer()
    """The version this snapshot was (the record now has a higher one)."""
    action = Varchar(length=16)
    """correct / revoke / reclassify / expire."""
    reason = Text(default="")
    actor = Varchar(length=100)
    """Account or interface that made the change."""
    snapshot = JSON()
    changed_at = Timestamptz()
