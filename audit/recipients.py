"""Who received a disclosure of a subject's records (R-19, R-24): the read behind correction notices.

When a record is found wrong, every party that was shown it is told. Entries carry no record ids, so
"was shown it" is read from what the entry does carry: an *allowed* entry of a query method (not an
access view, not a refusal) about the subject, made at or after ``since``, whose scope covered the
record's class — and, for class C, its category (R-15: C is shared per category).

Scope text as the disclosure path writes it: ``"A,B,C"`` (the subject's own query: all of class C)
or ``"B,C;court_judgment,tax"`` (class C limited to the listed categories).

The subject's own queries (``web_self``, or ``counter`` by its own account) are returned like any
other: the audit log cannot tell whose account is the subject's, so the caller drops them.

Cost: one range read on ``ix_entries_subject (subject_ref, created_at, seq)``, grouped in the
database by (account, role, org, method, scope). Grouped rows come back in keyset pages of
``PAGE`` (never one unbounded fetch), each page re-reading the same index range; the result is
complete — a notice duty must not silently drop a recipient.
"""

from __future__ import annotations

from datetime import datetime

from audit.db import Conn
from audit.events import ALLOWED, QUERY_METHODS

__all__ = ["PAGE", "covers", "recipients_query"]

PAGE = 1000
_GROUP = ("requester_account", "requester_role", "requester_org", "method", "scope")


def covers(scope: str, record_class: str, category: str | None = None) -> bool:
    """Did an entry of this scope disclose a record of ``record_class`` (and ``category`` for C)?

    ``category=None`` for class C means any category: over-inclusive, never missing a recipient."""
    classes, _, categories = scope.partition(";")
    if record_class not in classes.split(","):
        return False
    if record_class != "C" or not categories or category is None:
        return True  # no category list: all of class C
    return category in categories.split(",")


async def _grouped(conn: Conn, subject_ref: str, since: datetime, page: int) -> list[tuple]:
    methods = ", ".join(f"${i + 4}" for i in range(len(QUERY_METHODS)))
    group = ", ".join(_GROUP)
    base = [subject_ref, conn.time(since), ALLOWED, *QUERY_METHODS]
    out: list[tuple] = []
    after: tuple | None = None
    while True:
        args = list(base)
        keyset = ""
        if after is not None:
            marks = ", ".join(f"${len(args) + i + 1}" for i in range(len(after)))
            args += after
            keyset = f" AND ({group}) > ({marks})"
        rows = await conn.fetch(
            f"SELECT {group}, min(created_at), max(created_at), count(*) FROM entries "
            f"WHERE subject_ref = $1 AND created_at >= $2 AND outcome = $3 AND method IN ({methods}){keyset} "
            f"GROUP BY {group} ORDER BY {group} LIMIT {page}",
            *args,
        )
        out += [tuple(r) for r in rows]
        if len(rows) < page:
            return out
        after = tuple(rows[-1][: len(_GROUP)])


async def recipients_query(
    conn: Conn,
    subject_ref: str,
    since: datetime,
    record_class: str,
    category: str | None = None,
    *,
    page: int = PAGE,
) -> list[dict]:
    """Distinct requesters (account, role, org) with their methods, first/last time and count of
    allowed disclosures covering the record; ordered by account, role, org (same on both engines)."""
    if since.tzinfo is None:
        raise ValueError("since must be timezone-aware")
    found: dict[tuple[str, str, str], dict] = {}
    for account, role, org, method, scope, first, last, count in await _grouped(conn, subject_ref, since, max(1, page)):
        if not covers(scope, record_class, category):
            continue
        first, last = conn.as_time(first), conn.as_time(last)
        item = found.setdefault(
            (account, role, org),
            {
                "requester_account": account,
                "requester_role": role,
                "requester_org": org,
                "methods": set(),
                "first_at": first,
                "last_at": last,
                "count": 0,
            },
        )
        item["methods"].add(method)
        item["first_at"], item["last_at"] = min(item["first_at"], first), max(item["last_at"], last)
        item["count"] += int(count)
    items = [found[key] for key in sorted(found)]
    for item in items:
        item["methods"] = sorted(item["methods"])
    return items
