"""Day-indexed lookup tables shared by the generators (pure).

A "day" is an int index (days since 1940-01-01). Formatting a date is then one list lookup; the
ISO strings serve both engines (SQLite stores dates as ISO text; PostgreSQL COPY parses them).
"""

from __future__ import annotations

from datetime import date

__all__ = ["D0", "DATES", "day", "START", "END", "TODAY", "PLATFORM", "ISO", "CN", "YM", "YEAR", "TS", "JAN1"]

D0 = date(1940, 1, 1).toordinal()


def day(d: date) -> int:
    return d.toordinal() - D0


START = day(date(2019, 1, 1))
"""Earliest decision date of generated records."""
END = day(date(2026, 11, 20))
"""Latest decision date."""
TODAY = day(date(2026, 11, 22))
"""The data set's "now": validity and expiry are judged against it."""
PLATFORM = day(date(2018, 1, 1))
"""When the platform started collecting: no row was created before it."""

DATES = [date.fromordinal(D0 + i) for i in range(day(date(2045, 12, 31)) + 1)]
ISO = [d.isoformat() for d in DATES]
CN = [f"{d.year}年{d.month}月{d.day}日" for d in DATES]
YM = [f"{d.year}年{d.month}月" for d in DATES]
YEAR = [d.year for d in DATES]
TS = [f"{iso} 01:30:00+00:00" for iso in ISO]
"""created_at / updated_at values: 09:30 Beijing time that day, written in UTC."""
JAN1 = {y: day(date(y, 1, 1)) for y in range(1940, 2046)}
