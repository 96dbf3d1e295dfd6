"""Issued self-query reports: what the verification page checks a token against."""

from piccolo.columns import ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

from portal.subjects.tables import Subject

__all__ = ["IssuedReport"]


class IssuedReport(Table, tablename="issued_report"):
    """One PDF report handed to a subject (R-15 self-query). Holds no record content: the digest
    and count prove what was printed without keeping a second copy of B/C information."""

    report_no = Varchar(length=32, unique=True)
    """报告编号, printed on every page and carried in the verification token."""
    subject = ForeignKey(references=Subject, index=True)
    subject_label = Varchar(length=200, default="")
    """The subject's name as the verification page may show it (masked for natural persons, R-17)."""
    digest = Varchar(length=64)
    """SHA-256 of the report's canonical content (portal.reports.content.report_digest)."""
    record_count = Integer(default=0)
    issued_at = Timestamptz()
    """UTC, whole seconds (the token carries the same instant)."""
    audit_receipt = Varchar(length=128, default="")
    """The query-audit receipt of the disclosure this report was built from (R-19)."""
    revoked_at = Timestamptz(null=True, default=None)
    """Set when the centre withdraws a report; verification then says so."""
    revoke_reason = Text(default="")
    expires_at = Timestamptz(null=True, default=None)
    """End of validity (R-P2/R-P3: a credit product is valid 1 year); the token carries the same
    instant. None for reports issued before expiry existed: issued_at + 1 year."""
    revoked_by = Integer(null=True, default=None)
    """Account id of the staff member who revoked it (SPEC §5: every change is attributable)."""
