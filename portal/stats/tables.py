"""Precomputed headline counts: counting 10 million records on every home page is not an option."""

from piccolo.columns import BigInt, Timestamptz, Varchar
from piccolo.table import Table

__all__ = ["SiteStat"]


class SiteStat(Table, tablename="site_stat"):
    key = Varchar(length=32, unique=True)
    value = BigInt()
    computed_at = Timestamptz()
