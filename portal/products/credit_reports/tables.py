"""信用服务机构备案 and the 信用报告 they upload (R-P3; Z105 第十三—十六条, KS 第十五—二十一条、第二十六条)."""

from piccolo.columns import Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from portal.accounts.tables import Account
from portal.authorizations.tables import Authorization
from portal.subjects.tables import Subject
from portal.uploads.tables import Upload

__all__ = ["AgencyStatus", "CreditServiceAgency", "CreditAgencyChange", "CreditAgencyMember", "CreditReport", "GRADES"]


class AgencyStatus:
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"
    LABELS = {ACTIVE: "备案有效", SUSPENDED: "暂停", CANCELLED: "注销"}


# R-P3: a fixed scale of credit grades, best first.
GRADES = ("AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C")


class CreditServiceAgency(Table, tablename="credit_service_agency"):
    """A third-party credit-service agency registered (备案) with the credit authority (KS 第二十条)."""

    name = Varchar(length=200)
    uscc = Varchar(length=18, unique=True)
    """Its 统一社会信用代码 (check character validated); links it to its own subject (KS 第二十六条)."""
    filing_no = Varchar(length=60, unique=True)
    """备案编号."""
    registered_on = Date()
    business_scope = Text(default="")
    contact = Varchar(length=200, default="")
    status = Varchar(length=16, default=AgencyStatus.ACTIVE)
    status_reason = Text(default="")
    """Why it was last suspended, cancelled or reinstated."""
    created_at = Timestamptz()


class CreditAgencyChange(Table, tablename="credit_agency_change"):
    """History of an agency's registration: filed, suspended, reinstated, cancelled. Append-only."""

    agency = ForeignKey(references=CreditServiceAgency, index=True, null=False, on_delete=OnDelete.restrict)
    action = Varchar(length=16)
    """register / suspend / reinstate / cancel."""
    status = Varchar(length=16)
    """The status after the change."""
    reason = Text(default="")
    actor = Varchar(length=64)
    at = Timestamptz()


class CreditAgencyMember(Table, tablename="credit_agency_member"):
    """A ``third_party`` account acting for a registered agency (one agency per account)."""

    agency = ForeignKey(references=CreditServiceAgency, index=True, null=False, on_delete=OnDelete.restrict)
    account = ForeignKey(references=Account, unique=True, null=False, on_delete=OnDelete.restrict)
    linked_by = Varchar(length=64)
    linked_at = Timestamptz()


class CreditReport(Table, tablename="credit_report"):
    """One 信用报告 an agency issued for a subject with its written authorisation (R-P3)."""

    agency = ForeignKey(references=CreditServiceAgency, index=True, null=False, on_delete=OnDelete.restrict)
    subject = ForeignKey(references=Subject, index=True, null=False, on_delete=OnDelete.restrict)
    authorization = ForeignKey(references=Authorization, null=False, on_delete=OnDelete.restrict)
    report_no = Varchar(length=60)
    """The agency's own report number."""
    grade = Varchar(length=8)
    """One of GRADES."""
    risk_warnings = Text()
    content = Text()
    """The Z105 第十四条 sections as canonical JSON (never public)."""
    report_date = Date()
    valid_until = Date()
    """One year from the report date (Z105 第十六条, KS 第十九条)."""
    file = ForeignKey(references=Upload, null=False, on_delete=OnDelete.restrict)
    uploaded_by = ForeignKey(references=Account, null=False, on_delete=OnDelete.restrict)
    replaces = Integer(null=True, default=None)
    """Id of the report this re-rating replaces (None for a first rating)."""
    replaced_at = Timestamptz(null=True, default=None)
    """Set when a re-rating replaced it; a replaced report is no longer valid."""
    created_at = Timestamptz()
