"""通知公告: notices the credit centre publishes on the portal (e.g. a service interruption, a
new list procedure). Withdrawing keeps the row, so what was once said stays on record."""

from piccolo.columns import ForeignKey, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from portal.accounts.tables import Account

__all__ = ["Announcement"]


class Announcement(Table, tablename="announcement"):
    title = Varchar(length=100)
    """标题."""
    body = Text()
    """正文 (plain text; paragraphs separated by blank lines)."""
    published_at = Timestamptz()
    published_by = ForeignKey(Account, on_delete=OnDelete.restrict, null=True)
    publisher_name = Varchar(length=100, default="")
    """Display name of the staff member, kept as it was when published."""
    withdrawn_at = Timestamptz(null=True, default=None)
    """Set when staff withdraw it: it leaves the public pages."""
    withdrawn_reason = Varchar(length=200, default="")
