"""Timeliness of reporting (R-12, R-13): the periodic reports staff expect of each agency, and the
written reminders (催报) the centre issues to late agencies."""

from piccolo.columns import Date, ForeignKey, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from portal.agencies.tables import Agency

__all__ = ["Period", "ReportingObligation", "UrgeNotice"]


class Period:
    """R-12: periodic reports are due within 10 working days after each period."""

    MONTH, QUARTER, HALF, YEAR = "month", "quarter", "half", "year"
    LABELS = {MONTH: "按月", QUARTER: "按季度", HALF: "按半年", YEAR: "按年"}
    MONTHS = {MONTH: 1, QUARTER: 3, HALF: 6, YEAR: 12}


class ReportingObligation(Table, tablename="reporting_obligation"):
    """An agency must report a category every period (set by staff)."""

    agency = ForeignKey(references=Agency, index=True, null=False, on_delete=OnDelete.restrict)
    category = Varchar(length=32)
    """Category code (portal.records.categories)."""
    period = Varchar(length=8)
    """One of Period: month, quarter, half, year."""
    starts_on = Date()
    """Periods ending before this day are not owed."""
    created_by = Varchar(length=64)
    created_at = Timestamptz()
    ended_at = Timestamptz(null=True, default=None)
    """When staff lifted the obligation; past periods before it still count."""


class UrgeNotice(Table, tablename="urge_notice"):
    """A 催报 (R-13): what was late when it was issued, frozen, so the PDF prints the same later."""

    agency = ForeignKey(references=Agency, index=True, null=False, on_delete=OnDelete.restrict)
    number = Varchar(length=40, unique=True)
    """e.g. 郑信催〔2026〕3号."""
    issued_on = Date()
    issued_at = Timestamptz()
    issued_by = Varchar(length=64)
    facts = Text()
    """The late items and missed periods as printed, one per line."""
    sent_at = Timestamptz(null=True, default=None)
    """When it went to the agency's officers as an in-app notice (None: printed only)."""
