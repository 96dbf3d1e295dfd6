"""逢办必查 (R-P5): the measures catalogue staff keep and the checks agencies make."""

from piccolo.columns import JSON, BigInt, Boolean, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from portal.accounts.tables import Account
from portal.agencies.tables import Agency
from portal.ingest.tables import ApiKey
from portal.subjects.tables import Subject

__all__ = ["Measure", "CreditCheck", "MeasureStatus"]


class MeasureStatus:
    CURRENT = "current"
    SUPERSEDED = "superseded"
    WITHDRAWN = "withdrawn"
    LABELS = {CURRENT: "现行", SUPERSEDED: "已被新版本替代", WITHDRAWN: "已停止适用"}


class Measure(Table, tablename="measure"):
    """One version of a 联合奖惩措施 (R-P5): rows are never edited, a change is a new version and
    the old one is marked superseded, so the catalogue's history stays readable."""

    code = Varchar(length=32, index=True)
    """Stable code shared by all versions of the measure, e.g. ``M0001``."""
    version = Integer(default=1)
    list_type = Varchar(length=8)
    """``red`` (激励) or ``black`` (惩戒)."""
    domain = Varchar(length=32)
    """Matter domain (a reason code of portal.authorizations.reasons) or ``all``."""
    content = Text()
    """The measure, e.g. 在行政审批中给予“绿色通道”和“容缺受理”等便利."""
    basis = Text()
    """Its legal basis (文件及条款)."""
    status = Varchar(length=16, default=MeasureStatus.CURRENT)
    changed_by = Varchar(length=100, default="")
    change_note = Text(default="")
    changed_at = Timestamptz()


class CreditCheck(Table, tablename="credit_check"):
    """One 逢办必查 check (R-P5, R-28): who asked, for which matter, and what was answered.
    The raw ID number of a natural person is never stored: only the subject (if found) and its
    masked label."""

    number = Varchar(length=32, unique=True)
    """核查编号, e.g. ``JC20261204A1B2C3D4``."""
    agency = ForeignKey(references=Agency, index=True)
    api_key = ForeignKey(references=ApiKey, null=True, default=None, on_delete=OnDelete.restrict)
    officer = ForeignKey(references=Account, null=True, default=None, on_delete=OnDelete.restrict)
    subject = ForeignKey(references=Subject, null=True, default=None, on_delete=OnDelete.restrict)
    subject_label = Varchar(length=200, default="")
    matter_name = Varchar(length=200)
    """事项名称."""
    case_no = Varchar(length=64)
    """办件编号: the case the query record is filed with (R-28)."""
    domain = Varchar(length=32)
    found = Boolean(default=False)
    class_b = Boolean(default=False)
    """Class-B records were within the agency's duties and included."""
    audit_seq = BigInt(default=0)
    audit_hash = Varchar(length=64, default="")
    answer = JSON()
    """The answer as given (no raw ID number), for the printable record."""
    checked_on = Date()
    """China date of the check (quarterly figures)."""
    created_at = Timestamptz()
