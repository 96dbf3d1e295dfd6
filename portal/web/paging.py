"""Opaque keyset cursors (DESIGN: never OFFSET)."""

from __future__ import annotations

import base64
import binascii
from datetime import date

from litestar.exceptions import ValidationException

__all__ = ["encode_cursor", "decode_id_cursor", "decode_date_id_cursor"]


def encode_cursor(*parts: object) -> str:
    raw = "|".join(p.isoformat() if isinstance(p, date) else str(p) for p in parts)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> list[str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.urlsafe_b64decode(padded.encode()).decode().split("|")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValidationException("翻页参数无效，请重新查询") from None


def decode_id_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    parts = _decode(cursor)
    try:
        return int(parts[0])
    except (ValueError, IndexError):
        raise ValidationException("翻页参数无效，请重新查询") from None


def decode_date_id_cursor(cursor: str | None) -> tuple[date, int] | None:
    if not cursor:
        return None
    parts = _decode(cursor)
    try:
        return date.fromisoformat(parts[0]), int(parts[1])
    except (ValueError, IndexError):
        raise ValidationException("翻页参数无效，请重新查询") from None
