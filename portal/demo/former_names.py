"""曾用名 for the demo: one legal person in FORMER_EVERY gets a former name, derived from its
current one as registrations are usually renamed (a business word or the company form changes)."""

from __future__ import annotations

from datetime import date

__all__ = ["FORMER_EVERY", "former_name", "seed_former_names"]

FORMER_EVERY = 200
_SWAPS = (
    ("信息技术", "科技"),
    ("科技", "信息技术"),
    ("商贸", "贸易"),
    ("贸易", "商贸"),
    ("实业", "工贸"),
    ("有限责任公司", "有限公司"),
    ("有限公司", "有限责任公司"),
)


def former_name(subject_id: int, name: str) -> tuple[str, date] | None:
    """(former name, day of the change), or None when the name offers nothing to change."""
    for old, new in _SWAPS[subject_id % 3 :] + _SWAPS[: subject_id % 3]:
        if old in name:
            return name.replace(old, new, 1), date(2016 + subject_id % 9, 1 + subject_id % 12, 1 + subject_id % 28)
    return None


async def seed_former_names() -> int:
    from portal.search.index import replace_former_names
    from portal.subjects.tables import Subject

    rows = await Subject.raw(
        "SELECT id, name FROM subject WHERE kind = 'legal' AND id % {} = 0 ORDER BY id", FORMER_EVERY
    )
    formers = [(r["id"], *f) for r in rows if (f := former_name(r["id"], r["name"]))]
    await replace_former_names(formers)
    return len(formers)
