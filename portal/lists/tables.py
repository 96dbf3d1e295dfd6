"""红名单 / 黑名单: 守信激励 and 失信惩戒 list entries (R-P5)."""

from piccolo.columns import Date, ForeignKey, Text, Timestamptz, Varchar
from piccolo.table import Table

from portal.agencies.tables import Agency
from portal.subjects.tables import Subject

__all__ = ["ListEntry", "ListType"]


class ListType:
    RED = "red"
    BLACK = "black"
    LABELS = {RED: "红名单（守信激励）", BLACK: "黑名单（失信惩戒）"}


class ListEntry(Table, tablename="list_entry"):
    subject = ForeignKey(references=Subject, index=True)
    list_type = Varchar(length=8)
    """``red`` or ``black``."""
    list_name = Varchar(length=100)
    """e.g. A级纳税人, 失信被执行人, 重大税收违法失信主体."""
    reason = Text(default="")
    """列入原因 / 认定依据."""
    decided_by = ForeignKey(references=Agency)
    """认定单位."""
    doc_number = Varchar(length=100, default="")
    listed_on = Date()
    expires_on = Date(null=True, default=None)
    """有效期至: after it the entry is no longer shown."""
    disclosure_class = Varchar(length=1, default="A")
    status = Varchar(length=16, default="in_force")
    """in_force / removed."""
    created_at = Timestamptz()
