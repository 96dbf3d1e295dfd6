"""The JSON shapes of the system interface (系统对接, R-12), documented in the OpenAPI schema."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

__all__ = ["PushRequest", "PushResponse", "ItemOutcome", "ItemError", "ReportedRecord", "ReportedPage"]


@dataclass
class PushRequest:
    """A batch of at most 500 items. Each item: ``action`` (create / correct / revoke) and
    ``record_id`` (your own id of the record); for create: ``subject`` ({kind: legal, uscc, name}
    or {kind: natural, name, id_number}), ``record_type`` (license / penalty / general),
    ``category``, ``disclosure_class`` (A/B/C), ``title``, ``decision_date`` and, as they apply,
    ``content``, ``doc_number``, ``publicity_end``, ``act_end_date``, ``polarity``, ``penalty`` or
    ``license`` details; for correct: the changed items and ``reason`` (``subject``, ``record_type`` and
    the details may be repeated as stored; a different value is refused, ``not_correctable``: revoke
    and report again); for revoke: ``reason``."""

    items: list[Any]


@dataclass
class ItemError:
    field: str
    """The item's field at fault, e.g. ``subject.uscc`` or ``penalty.authority`` ('' for the item)."""
    code: str
    """Machine-readable, e.g. ``invalid_uscc``, ``forbidden_field``, ``category_not_in_scope``."""
    message: str
    """For people, in Chinese. Never repeats a refused value."""


@dataclass
class ItemOutcome:
    index: int
    """Position of the item in the batch (from 0)."""
    record_id: str
    status: str
    """created / corrected / revoked / unchanged (the same item again) / rejected (see errors)."""
    version: int | None = None
    """The record's version after the item (None when rejected)."""
    errors: list[ItemError] = field(default_factory=list)


@dataclass
class PushResponse:
    received: int
    created: int
    corrected: int
    revoked: int
    unchanged: int
    rejected: int
    results: list[ItemOutcome]


@dataclass
class ReportedRecord:
    record_id: str
    version: int
    status: str
    """in_force / revoked / …"""
    category: str
    disclosure_class: str
    title: str
    decision_date: date
    updated_at: datetime


@dataclass
class ReportedPage:
    items: list[ReportedRecord]
    next_cursor: str | None
