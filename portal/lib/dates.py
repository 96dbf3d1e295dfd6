"""Date helpers in China time (records are dated by Chinese calendar days)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

__all__ = ["CHINA_TZ", "today_cn", "years_before", "to_china"]

CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


def today_cn() -> date:
    return datetime.now(CHINA_TZ).date()


def to_china(value: datetime) -> datetime:
    """Stored UTC (naive from SQLite, aware from PostgreSQL) → China time for display."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(CHINA_TZ)


def years_before(day: date, years: int) -> date:
    """Same calendar day N years earlier; 29 Feb falls back to 28 Feb."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)
