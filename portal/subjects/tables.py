"""信用主体: legal persons (法人和其他组织) and natural persons (自然人)."""

from piccolo.columns import Date, Integer, Numeric, Text, Timestamptz, Varchar
from piccolo.table import Table

__all__ = ["Subject", "SubjectFormerName", "SubjectKind", "SubjectType"]


class SubjectKind:
    LEGAL = "legal"
    NATURAL = "natural"


class SubjectType:
    """Finer type, shown as 主体类型 on the profile."""

    ENTERPRISE = "enterprise"  # 企业
    INDIVIDUAL_BUSINESS = "individual_business"  # 个体工商户
    SOCIAL_ORG = "social_org"  # 社会组织
    PUBLIC_INSTITUTION = "public_institution"  # 事业单位
    NATURAL = "natural"  # 自然人

    LABELS = {
        ENTERPRISE: "企业法人",
        INDIVIDUAL_BUSINESS: "个体工商户",
        SOCIAL_ORG: "社会组织",
        PUBLIC_INSTITUTION: "事业单位",
        NATURAL: "自然人",
    }


class Subject(Table, tablename="subject"):
    """One credit subject. Legal persons carry a USCC; natural persons an ID number that is
    stored only as a keyed digest (for look-up), a masked form (for display) and a sealed
    (encrypted) form shown to the subject alone (R-17, DESIGN rule 4)."""

    kind = Varchar(length=8, index=True)
    """``legal`` or ``natural`` (SubjectKind)."""
    subject_type = Varchar(length=24)
    """SubjectType value."""
    name = Varchar(length=200, index=True)
    """Registered name of the legal person, or the natural person's name."""
    uscc = Varchar(length=18, null=True, default=None, unique=True)
    """统一社会信用代码 (legal persons only), validated by GB 32100-2015."""
    id_number_digest = Varchar(length=64, null=True, default=None, unique=True)
    """HMAC-SHA256 of the normalised 公民身份号码, keyed by the server secret: look-up only."""
    id_number_masked = Varchar(length=18, null=True, default=None)
    """Display form such as ``4101**********123X``."""
    id_number_sealed = Text(null=True, default=None)
    """The number encrypted with the server key, opened only in the subject's own view."""
    legal_representative = Varchar(length=64, default="")
    """法定代表人 / 负责人 / 经营者."""
    registration_authority = Varchar(length=100, default="")
    """登记机关."""
    established_on = Date(null=True, default=None)
    """成立日期."""
    registered_capital = Numeric(digits=(16, 2), null=True, default=None)
    """注册资本（万元）."""
    address = Varchar(length=200, default="")
    """住所 of a legal person. Natural persons' addresses are never stored here (R-17)."""
    business_scope = Text(default="")
    """经营范围."""
    registration_status = Varchar(length=16, default="存续")
    """登记状态: 存续 / 在业 / 吊销 / 注销."""
    created_at = Timestamptz()
    updated_at = Timestamptz()


class SubjectFormerName(Table, tablename="subject_former_name"):
    """曾用名: a name a legal person was registered under before ``changed_on``. Searched like
    the current name (portal/search) and shown in results and on the profile."""

    subject_id = Integer(index=True)
    """subject.id (foreign key, ON DELETE CASCADE, in the migration)."""
    name = Varchar(length=200)
    changed_on = Date(null=True, default=None)
    """The day the name was changed from this one."""
