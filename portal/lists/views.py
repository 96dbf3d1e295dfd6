"""What the agency desk and the staff page show of the lists: every class-A entry, whatever its state,
with its history. Not for public pages (those go through portal.publication).

Only class A: a listing made here is published (R-P5), and an entry of another class reaches anyone
only through the audited disclosure path (DESIGN rule 2), never through a management page."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from portal.lib.dates import today_cn
from portal.lists.service import ListError
from portal.lists.tables import ListChange, ListEntry, ListStatus, ListType

__all__ = ["Filters", "STATES", "entries", "history", "PAGE"]

L, C = ListEntry, ListChange
PAGE = 50
STATES = {"active": "有效", "expired": "已到期", "removed": "已移出"}


@dataclass(frozen=True)
class Filters:
    list_type: str = ""
    state: str = ""
    agency_id: int | None = None

    def check(self) -> Filters:
        if self.list_type and self.list_type not in ListType.LABELS:
            raise ListError("名单类型只能是红名单或黑名单")
        if self.state and self.state not in STATES:
            raise ListError("状态只能是有效、已到期或已移出")
        return self


def _state_condition(state: str, today: date):
    in_force = L.status == ListStatus.IN_FORCE
    if state == "active":
        return in_force & (L.expires_on.is_null() | (L.expires_on >= today))
    if state == "expired":
        return in_force & (L.expires_on < today)
    return L.status == ListStatus.REMOVED


def _state(row: dict, today: date) -> str:
    if row["status"] == ListStatus.REMOVED:
        return "removed"
    return "expired" if row["expires_on"] is not None and row["expires_on"] < today else "active"


async def entries(filters: Filters, before: int | None = None, today: date | None = None):
    """Entries newest first, keyset-paged by id; returns the rows and the ``before`` of the next page."""
    today = today or today_cn()
    filters.check()
    where = L.disclosure_class == "A"  # DESIGN rule 2
    if filters.list_type:
        where &= L.list_type == filters.list_type
    if filters.state:
        where &= _state_condition(filters.state, today)
    if filters.agency_id is not None:
        where &= L.decided_by == filters.agency_id
    if before is not None:
        where &= L.id < before
    rows = (
        await L.select(
            L.id,
            L.list_type,
            L.list_name,
            L.reason,
            L.measures,
            L.doc_number,
            L.listed_on,
            L.expires_on,
            L.status,
            L.removal_reason,
            L.removed_at,
            L.decided_by,
            L.decided_by.name.as_alias("authority"),
            L.subject.kind.as_alias("subject_kind"),
            L.subject.name.as_alias("subject_name"),
            L.subject.uscc.as_alias("subject_uscc"),
            L.subject.id_number_masked.as_alias("subject_id_masked"),
        )  # fmt: skip
        .where(where)
        .order_by(L.id, ascending=False)
        .limit(PAGE + 1)
    )
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    for row in rows:
        row["state"] = _state(row, today)
        row["subject_code"] = row.pop("subject_uscc") or row.pop("subject_id_masked", None) or ""
        row.pop("subject_id_masked", None)
        row["measure_list"] = [m for m in (row["measures"] or "").split("\n") if m]
    return rows, (rows[-1]["id"] if more else None)


async def history(agency_id: int | None = None, limit: int = PAGE) -> list[dict]:
    """The latest listings, amendments and removals (of one agency's entries when given)."""
    query = C.select(
        C.id, C.entry, C.action, C.reason, C.actor_name, C.snapshot, C.changed_at,
        C.entry.list_name.as_alias("list_name"), C.entry.subject.name.as_alias("subject_name"),
    )  # fmt: skip
    where = C.entry.disclosure_class == "A"  # DESIGN rule 2
    if agency_id is not None:
        where &= C.entry.decided_by == agency_id
    query = query.where(where)
    rows = await query.order_by(C.id, ascending=False).limit(limit)
    for row in rows:
        if isinstance(row["snapshot"], str):
            row["snapshot"] = json.loads(row["snapshot"])
    return rows
