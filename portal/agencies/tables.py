"""有关机关和组织: agencies that report (征集) and use credit information."""

from piccolo.columns import Boolean, Timestamptz, Varchar
from piccolo.table import Table

__all__ = ["Agency"]


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
