"""有关机关和组织: agencies that report (征集) and use credit information."""

from piccolo.columns import Boolean, ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

__all__ = ["Agency", "AgencyGrant", "LEGACY_GRANT_BASIS"]

LEGACY_GRANT_BASIS = "历史授权（待补充依据）"
"""The basis that grants made before bases were recorded carry until staff supply the real one."""


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
    parent = ForeignKey(references="self", null=True, default=None, on_delete=OnDelete.restrict)
    """The body it belongs to (a district bureau under the city bureau), or None."""


class AgencyGrant(Table, tablename="agency_grant"):
    """A class-C category an agency may query, with an official letter each time (R-15, R-18).
    Class C is limited-shared: only the agencies named per data category. One row per
    (agency, category) in force; every grant, amendment and revocation is in ``sharing_change``
    (portal.sharing), so a revoked grant leaves no row here."""

    agency = ForeignKey(references=Agency, index=True)
    category = Varchar(length=32)
    """Category code (portal.records.categories)."""
    granted_at = Timestamptz()
    legal_basis = Varchar(length=500, default=LEGACY_GRANT_BASIS)
    """The law, regulation or document naming this agency for this category (R-15)."""
    granted_by = ForeignKey(
        references=LazyTableReference("Account", module_path="portal.accounts.tables"),
        null=True,
        default=None,
        on_delete=OnDelete.restrict,
    )
    """The staff account that granted it or last amended its basis (None for grants made before)."""
