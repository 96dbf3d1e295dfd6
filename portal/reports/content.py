"""What a self-query report says, in one canonical form (R-15: the subject's own A+B+C records).

The PDF and the digest are both built from these views, so the digest covers exactly what is
printed: a changed title, date, class, status… changes the digest; the PDF's bytes (fonts,
compression, layout) do not matter.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timezone
from decimal import Decimal

from portal.lib.masking import mask_id_number
from portal.records.tables import DisclosureClass, RecordType

__all__ = ["subject_view", "record_view", "canonical_json", "report_digest", "utc_seconds", "CLASS_ORDER", "TYPE_ORDER"]

CLASS_ORDER = (DisclosureClass.A, DisclosureClass.B, DisclosureClass.C)
TYPE_ORDER = (RecordType.LICENSE, RecordType.PENALTY, RecordType.GENERAL)
DIGEST_VERSION = 1


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return utc_seconds(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value).strip()


def utc_seconds(value: datetime) -> datetime:
    """Aware UTC, whole seconds: the precision a token and both databases keep alike."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).replace(microsecond=0)


def subject_view(subject: dict) -> dict:
    """Name, kind, type and code. A natural person's ID number is printed masked even in the
    subject's own report (R-17, R-28): a printed report travels."""
    kind = _text(subject.get("kind"))
    if kind == "legal" and subject.get("uscc"):
        code = _text(subject.get("uscc"))
    else:
        code = mask_id_number(_text(subject.get("id_number_masked") or subject.get("id_number")))
    return {
        "kind": kind,
        "subject_type": _text(subject.get("subject_type")),
        "name": _text(subject.get("name")),
        "code": code,
        "legal_representative": _text(subject.get("legal_representative")) if kind == "legal" else "",
    }


def _provider(record: dict) -> str:
    provider = record.get("provider_name") or record.get("provider")
    if isinstance(provider, dict):
        provider = provider.get("name")
    return "" if isinstance(provider, int) else _text(provider)


def record_view(record: dict) -> dict:
    """The printed fields of one record (the same keys whatever shape the caller's dict has)."""
    return {
        "id": _text(record.get("id")),
        "disclosure_class": _text(record.get("disclosure_class")) or DisclosureClass.A,
        "record_type": _text(record.get("record_type")) or RecordType.GENERAL,
        "category": _text(record.get("category")),
        "polarity": _text(record.get("polarity")),
        "title": _text(record.get("title")),
        "content": _text(record.get("content")),
        "provider": _provider(record),
        "decision_date": _text(record.get("decision_date")),
        "doc_number": _text(record.get("doc_number")),
        "status": _text(record.get("status")) or "in_force",
        "objection_pending": bool(record.get("objection_pending")),
    }


def canonical_json(value) -> bytes:
    """Sorted keys, no whitespace, UTF-8: one byte string per content."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def report_digest(subject: dict, records: list[dict], issued_at: datetime) -> str:
    """SHA-256 (hex) of the report's content: subject key fields, every record's printed fields
    (order-independent) and the issue time. Deterministic across runs, engines and PDF libraries."""
    views = sorted((record_view(r) for r in records), key=canonical_json)
    payload = {
        "v": DIGEST_VERSION,
        "subject": subject_view(subject),
        "records": views,
        "count": len(views),
        "issued_at": utc_seconds(issued_at).isoformat(),
    }
    return hashlib.sha256(canonical_json(payload)).hexdigest()
