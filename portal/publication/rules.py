"""Which records are provided at all, and which of those are public (R-15, R-17, R-20).

These Piccolo conditions are the only definition of "public" in the code base: every public
page and the public API reach records through portal.publication.service, which applies them.
"""

from __future__ import annotations

from datetime import date

from portal.lib.dates import years_before
from portal.lists.tables import ListEntry
from portal.records.tables import CreditRecord, DisclosureClass, RecordStatus

__all__ = ["provided", "public", "public_list_entry", "DISHONESTY_YEARS"]

DISHONESTY_YEARS = 5  # R-20 / Z105 第十一条


def provided(today: date):
    """In force, and negative info not older than 5 years after the act ended (R-20).

    Applies to every query, the subject's own included. When the act's end is not recorded,
    the decision date stands for it.
    """
    cutoff = years_before(today, DISHONESTY_YEARS)
    R = CreditRecord
    fresh = (
        (R.polarity != "negative")
        | (R.act_end_date >= cutoff)
        | (R.act_end_date.is_null() & (R.decision_date >= cutoff))
    )
    return (R.status == RecordStatus.IN_FORCE) & fresh


def public(today: date):
    """Provided, class A, and within its publicity window (公示截止期, R-17)."""
    R = CreditRecord
    return (
        provided(today)
        & (R.disclosure_class == DisclosureClass.A)
        & (R.publicity_end.is_null() | (R.publicity_end >= today))
    )


def public_list_entry(today: date):
    L = ListEntry
    return (
        (L.disclosure_class == DisclosureClass.A)
        & (L.status == "in_force")
        & (L.expires_on.is_null() | (L.expires_on >= today))
    )
