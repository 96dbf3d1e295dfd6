"""有关机关和组织: agencies that report (征集) and use credit information."""

from piccolo.columns import Boolean, ForeignKey, Timestamptz, Varchar
from piccolo.table import Table

__all__ = ["Agency", "AgencyGrant"]


class Agency(Table, tablename="agency"):
    """A government body or organisation with public-affairs powers (provider / user)."""

    code = Varchar(length=32, unique=True)
    """Stable short code used by interfaces and batch templates, e.g. ``ZZ-SCJGJ``."""
    name = Varchar(length=100, unique=True)
    """Official name, e.g. 郑州市市场监督管理局."""
    uscc = Varchar(length=18, null=True, default=None)
    """The agency's own 统一社会信用代码 (机关 codes start with 1)."""
    is_active = Boolean(default=True)
    created_at = Timestamptz()


class AgencyGrant(Table, tablename="agency_grant"):
    """A class-C category an agency may query, with an official letter each time (R-15, R-18).
    Class C is limited-shared: only the agencies named per data category."""

    agency = ForeignKey(references=Agency, index=True)
    category = Varchar(length=32)
    """Category code (portal.records.categories)."""
    granted_at = Timestamptz()
