"""The shared indicator catalogue (信用信息共享指标目录, Z80 第二十六条) and its change history.

One row per record category (portal.records.categories): the class a provider may report at most
(R-15), whether natural persons may appear in class A and which of their items are then masked
(R-17), and the publicity period. Every change is appended to ``CatalogueChange``; the database
refuses to update or delete it.
"""

from piccolo.columns import Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from portal.accounts.tables import Account

__all__ = ["CatalogueEntry", "CatalogueChange"]


class CatalogueEntry(Table, tablename="catalogue_entry"):
    code = Varchar(length=32, unique=True)
    """Category code (portal.records.categories)."""
    label = Varchar(length=100)
    subject_kind = Varchar(length=8)
    """legal / natural (R-07, R-08)."""
    default_class = Varchar(length=1)
    """A / B / C: the most open class a provider may report for this category (R-15)."""
    polarity = Varchar(length=8)
    publicity_months = Integer(null=True, default=None)
    """公示期限 in months (36 = 3 years); None: no fixed period."""
    natural_class_a = Boolean(default=False)
    """Natural persons may appear in class A for this category (R-17)."""
    masked_items = Varchar(length=200, default="")
    """Comma-separated items masked when a natural person appears in class A (portal.catalogue.service.MASKABLE)."""
    active = Boolean(default=True)
    """False: retired, no new records are accepted."""
    rule = Varchar(length=8, default="")
    version = Integer(default=1)
    updated_at = Timestamptz()


class CatalogueChange(Table, tablename="catalogue_change"):
    """One change of a catalogue entry: who, when, why, and the entry before and after (JSON).
    Append-only (database triggers refuse UPDATE and DELETE)."""

    code = Varchar(length=32, index=True)
    version = Integer()
    """The entry's version after this change."""
    changed_at = Timestamptz()
    actor = ForeignKey(references=Account, null=True, default=None, on_delete=OnDelete.restrict)
    actor_name = Varchar(length=64)
    reason = Varchar(length=500)
    before = Text()
    after = Text()
