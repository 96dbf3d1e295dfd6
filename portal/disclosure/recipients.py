"""Who was shown a record (R-19, R-20, R-24): the parties a correction notice goes to.

The audit service answers from its log (``audit.recorder.disclosure_recipients``): allowed query
disclosures of the subject whose scope covered the record's class (and category, for class C).
The log names requesters by login name; this maps them to accounts that are still active and
drops the subject's own accounts (its own queries are no third-party disclosure). Class-A records
are also public pages, which nobody logs: only logged disclosures can be answered for.
"""

from __future__ import annotations

from datetime import datetime, timezone

from audit import recorder
from portal.accounts.tables import Account
from portal.disclosure.service import load_subject
from portal.subjects.identity import subject_ref

__all__ = ["LOOK_BACK_YEARS", "past_recipients", "recipients_since"]

LOOK_BACK_YEARS = 5  # query records are kept 5 years; R-20: provided for 5 years


def recipients_since(record_created_at: datetime, now: datetime) -> datetime:
    """The later of the record's creation and ``now`` − 5 years: nobody saw it before it existed,
    and the log keeps no older entries (R-19)."""
    try:
        floor = now.replace(year=now.year - LOOK_BACK_YEARS)
    except ValueError:  # 29 February
        floor = now.replace(year=now.year - LOOK_BACK_YEARS, day=28)
    created = record_created_at if record_created_at.tzinfo else record_created_at.replace(tzinfo=timezone.utc)
    return max(created, floor)


async def past_recipients(subject_id: int, record: dict, *, now: datetime | None = None) -> list[dict]:
    """Active accounts, other than the subject's own, that received a disclosure of ``record``
    (a credit-record row: ``created_at``, ``disclosure_class``, ``category``) in the last 5 years.

    One dict per account, by account id: ``account_id``, ``username``, ``role``, ``organisation``
    (as logged at the latest disclosure, else the account's), ``methods``, ``first_at``, ``last_at``,
    ``count``. Raises ``AuditUnavailable`` when the log cannot be read."""
    subject = await load_subject(subject_id)
    if subject is None:
        raise LookupError(f"no subject {subject_id}")
    since = recipients_since(record["created_at"], now or datetime.now(timezone.utc))
    category = record["category"] if record["disclosure_class"] == "C" else None
    rows = await recorder.disclosure_recipients(subject_ref(subject), since, record["disclosure_class"], category)
    if not rows:
        return []
    accounts = await Account.select(
        Account.id,
        Account.username,
        Account.role,
        Account.organisation,
        Account.display_name,
        Account.agency.name.as_alias("agency_name"),
    ).where(
        Account.username.is_in(sorted({r["requester_account"] for r in rows}))
        & (Account.is_active == True)  # noqa: E712 (a Piccolo expression)
        & (Account.subject.is_null() | (Account.subject != subject_id))
    )
    by_name = {a["username"]: a for a in accounts}
    found: dict[int, dict] = {}
    for row in sorted(rows, key=lambda r: r["last_at"]):
        account = by_name.get(row["requester_account"])
        if account is None:
            continue
        item = found.setdefault(
            account["id"],
            {
                "account_id": account["id"],
                "username": account["username"],
                "role": account["role"],
                "methods": set(),
                "first_at": row["first_at"],
                "count": 0,
            },
        )
        org = row["requester_org"] or account["organisation"] or account["agency_name"] or account["display_name"]
        item.update(organisation=org, last_at=row["last_at"], first_at=min(item["first_at"], row["first_at"]))
        item["methods"].update(row["methods"])
        item["count"] += row["count"]
    return [{**item, "methods": sorted(item["methods"])} for _, item in sorted(found.items())]
