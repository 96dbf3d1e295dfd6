"""异议 (R-22 … R-24): objections to a record, every step of their procedure, their documents,
and the correction notices published when a sanction was found wrong."""

from piccolo.columns import Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from portal.accounts.tables import Account
from portal.agencies.tables import Agency
from portal.records.tables import CreditRecord
from portal.subjects.tables import Subject
from portal.uploads.tables import Upload

__all__ = ["Objection", "ObjectionStep", "ObjectionDocument", "CorrectionNotice"]


class Objection(Table, tablename="objection"):
    """One subject's dispute of one record. Due dates are not stored: they are counted from the
    stored step dates on the working-day calendar when shown, so a year staff enter later applies
    at once and nothing is ever guessed (SPEC §6)."""

    number = Varchar(length=24, unique=True)
    """异议编号 shown to people, e.g. YY202612040001."""
    subject = ForeignKey(references=Subject, index=True, null=False, on_delete=OnDelete.restrict)
    record = ForeignKey(references=CreditRecord, index=True, null=False, on_delete=OnDelete.restrict)
    record_version = Integer()
    """The version of the record the subject disputed (R-11)."""
    agency = ForeignKey(references=Agency, index=True, null=False, on_delete=OnDelete.restrict)
    """The providing agency, which verifies (R-23)."""
    channel = Varchar(length=8)
    """online (R-22 网上提出) or counter (书面异议, entered by staff)."""
    filed_by = ForeignKey(references=Account, null=False, on_delete=OnDelete.restrict)
    applicant_name = Varchar(length=100)
    contact = Varchar(length=200, default="")
    """Where the written decision goes besides the inbox (phone, postal address); owner and staff only."""
    statement = Text()
    received_on = Date()
    """Date of receipt in China time; the 3-working-day forwarding deadline counts from it."""
    received_at = Timestamptz()
    stage = Varchar(length=16)
    forwarded_on = Date(null=True, default=None)
    answered_on = Date(null=True, default=None)
    closed_on = Date(null=True, default=None)
    outcome = Varchar(length=16, default="")
    """upheld / corrected / revoked once the provider answered (R-23)."""
    answer = Text(default="")
    """The provider's reasons."""
    decision_no = Varchar(length=32, default="")
    """Number of the written decision (书面告知) once the applicant was told."""
    decision_text = Text(default="")


class ObjectionStep(Table, tablename="objection_step"):
    """Who did what, when (R-23: every step kept; SPEC §5: attributable)."""

    objection = ForeignKey(references=Objection, index=True, null=False, on_delete=OnDelete.restrict)
    action = Varchar(length=16)
    actor = ForeignKey(references=Account, null=True, default=None, on_delete=OnDelete.restrict)
    """None for steps the system takes (reminders)."""
    actor_label = Varchar(length=120, default="")
    note = Text(default="")
    at = Timestamptz()


class ObjectionDocument(Table, tablename="objection_document"):
    """Evidence from the applicant, or the provider's verification documents."""

    objection = ForeignKey(references=Objection, index=True, null=False, on_delete=OnDelete.restrict)
    upload = ForeignKey(references=Upload, null=False, on_delete=OnDelete.restrict)
    party = Varchar(length=16)
    """applicant or provider."""


class CorrectionNotice(Table, tablename="correction_notice"):
    """更正公告 on the subject's public profile after a wrong sanction was corrected or revoked (R-24)."""

    subject = ForeignKey(references=Subject, index=True, null=False, on_delete=OnDelete.restrict)
    objection = ForeignKey(references=Objection, null=False, on_delete=OnDelete.restrict)
    title = Varchar(length=200)
    body = Text()
    published_at = Timestamptz()
