"""红名单 / 黑名单: 守信激励 and 失信惩戒 list entries (R-P5, R-20).

The deciding agency lists a subject and removes it (移出); every listing, amendment and removal is
appended to ``ListChange`` with who, when, why and a snapshot (SPEC §5).
"""

from piccolo.columns import JSON, Date, ForeignKey, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from portal.accounts.tables import Account
from portal.agencies.tables import Agency
from portal.subjects.tables import Subject

__all__ = ["ListEntry", "ListChange", "ListType", "ListStatus", "ListAction", "RemovalReason"]


class ListType:
    RED = "red"
    BLACK = "black"
    LABELS = {RED: "红名单（守信激励）", BLACK: "黑名单（失信惩戒）"}


class ListStatus:
    IN_FORCE = "in_force"
    REMOVED = "removed"
    LABELS = {IN_FORCE: "有效", REMOVED: "已移出"}


class ListAction:
    LIST = "list"
    AMEND = "amend"
    REMOVE = "remove"
    LABELS = {LIST: "列入", AMEND: "变更", REMOVE: "移出"}


class RemovalReason:
    REPAIR = "repair"
    EXPIRED = "expired"
    REVOKED = "revoked"
    OTHER = "other"
    LABELS = {REPAIR: "信用修复", EXPIRED: "期满", REVOKED: "撤销认定", OTHER: "其他"}


class ListEntry(Table, tablename="list_entry"):
    subject = ForeignKey(references=Subject, index=True)
    list_type = Varchar(length=8)
    """``red`` or ``black``."""
    list_name = Varchar(length=100)
    """e.g. A级纳税人, 失信被执行人, 重大税收违法失信主体."""
    reason = Text(default="")
    """列入原因 / 认定依据: the decision and its legal basis."""
    measures = Text(default="")
    """激励或惩戒措施, one per line."""
    decided_by = ForeignKey(references=Agency)
    """认定单位."""
    doc_number = Varchar(length=100, default="")
    """认定决定文号."""
    listed_on = Date()
    """认定（列入）日期: the date of the decision."""
    expires_on = Date(null=True, default=None)
    """有效期至: after it the entry is no longer shown (read by date, no job needed)."""
    disclosure_class = Varchar(length=1, default="A")
    status = Varchar(length=16, default="in_force")
    """in_force / removed."""
    created_at = Timestamptz()
    listed_by = ForeignKey(references=Account, null=True, default=None, on_delete=OnDelete.restrict)
    """The officer who entered it (None for entries loaded in bulk)."""
    removed_at = Timestamptz(null=True, default=None)
    removal_reason = Varchar(length=16, default="")
    """RemovalReason code once removed."""


class ListChange(Table, tablename="list_change"):
    """One listing, amendment or removal of a list entry: who, when, why, and the entry as it stood
    after the change. Append-only (database triggers refuse UPDATE and DELETE)."""

    entry = ForeignKey(references=ListEntry, on_delete=OnDelete.restrict)
    action = Varchar(length=16)
    """ListAction: list, amend or remove."""
    reason = Text(default="")
    actor = ForeignKey(references=Account, null=True, default=None, on_delete=OnDelete.restrict)
    actor_name = Varchar(length=100, default="")
    """The account's user name and its agency (or 信用中心) when the change was made."""
    snapshot = JSON()
    """The entry after the change (no raw ID number: the subject is referenced by id)."""
    changed_at = Timestamptz()
