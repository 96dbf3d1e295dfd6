"""Parsing of integers, dates and keyset cursors, once, into values the databases accept (DESIGN rule 9).

Pure code: bad input raises ``InputError`` (a domain error naming the field and the reason in
Chinese); the web layer turns it into a 400 page or a precise JSON error. Integers are bounded to
the 64-bit range both SQLite and PostgreSQL take, so no value parsed here can overflow a query.
Cursors are opaque (DESIGN: keyset paging, never OFFSET): ``base64url("part|part")``.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import date

__all__ = [
    "DB_INT_MAX",
    "InputError",
    "parse_int",
    "parse_date",
    "date_range",
    "encode_cursor",
    "decode_id_cursor",
    "decode_tagged_id_cursor",
    "decode_date_id_cursor",
]

DB_INT_MAX = 2**63 - 1
"""Largest SQLite INTEGER and PostgreSQL bigint."""
MAX_CURSOR = 200
_INT = re.compile(r"[0-9]{1,19}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
BAD_CURSOR = "翻页参数无效，请重新查询"


class InputError(ValueError):
    """A request parameter that cannot be used; ``message`` is Chinese, for the user."""

    def __init__(self, field: str, message: str, source: str = "query") -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.source = source


def parse_int(raw: str | int | None, field: str, *, minimum: int = 0, maximum: int = DB_INT_MAX) -> int | None:
    """Decimal digits only (no sign, spaces, exponent or underscores), within [minimum, maximum]."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and _INT.fullmatch(raw):
        value = int(raw)
    else:
        raise InputError(field, f"参数“{field}”应为整数")
    if not minimum <= value <= maximum:
        raise InputError(field, f"参数“{field}”超出允许的范围（{minimum} 至 {maximum}）")
    return value


def parse_date(raw: str | None, field: str, label: str = "日期") -> date | None:
    """``YYYY-MM-DD`` only; empty means "no limit" (filter forms always send both dates)."""
    if not raw:
        return None
    try:
        if not _DATE.fullmatch(raw):
            raise ValueError
        return date.fromisoformat(raw)
    except ValueError:
        raise InputError(field, f"{label}格式应为 年-月-日，如 2026-01-31") from None


def date_range(raw_from: str | None, raw_to: str | None) -> tuple[date | None, date | None]:
    date_from, date_to = parse_date(raw_from, "from", "起始日期"), parse_date(raw_to, "to", "截止日期")
    if date_from and date_to and date_from > date_to:
        raise InputError("from", "起始日期不能晚于截止日期")
    return date_from, date_to


def encode_cursor(*parts: object) -> str:
    raw = "|".join(p.isoformat() if isinstance(p, date) else str(p) for p in parts)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, n: int) -> list[str]:
    if len(cursor) > MAX_CURSOR:
        raise InputError("cursor", BAD_CURSOR)
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        parts = base64.urlsafe_b64decode(padded.encode()).decode().split("|")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InputError("cursor", BAD_CURSOR) from None
    if len(parts) != n:
        raise InputError("cursor", BAD_CURSOR)
    return parts


def _cursor_id(raw: str) -> int:
    try:
        value = parse_int(raw, "cursor")
    except InputError:
        value = None
    if value is None:
        raise InputError("cursor", BAD_CURSOR)
    return value


def decode_id_cursor(cursor: str | None) -> int:
    """The last id of the previous page (0: first page)."""
    if not cursor:
        return 0
    return _cursor_id(_decode(cursor, 1)[0])


def decode_tagged_id_cursor(cursor: str | None, tags: tuple[str, ...]) -> tuple[str, int]:
    """(tag, last id): a plain id cursor has tag "", ``encode_cursor(tag, id)`` one of ``tags``."""
    if not cursor:
        return "", 0
    if len(cursor) > MAX_CURSOR:
        raise InputError("cursor", BAD_CURSOR)
    try:
        return "", decode_id_cursor(cursor)
    except InputError:
        tag, last_id = _decode(cursor, 2)
    if tag not in tags:
        raise InputError("cursor", BAD_CURSOR)
    return tag, _cursor_id(last_id)


def decode_date_id_cursor(cursor: str | None) -> tuple[date, int] | None:
    """(last date, last id) of the previous page, or None for the first page."""
    if not cursor:
        return None
    day, last_id = _decode(cursor, 2)
    try:
        parsed = parse_date(day, "cursor")
    except InputError:
        raise InputError("cursor", BAD_CURSOR) from None
    if parsed is None:
        raise InputError("cursor", BAD_CURSOR)
    return parsed, _cursor_id(last_id)
