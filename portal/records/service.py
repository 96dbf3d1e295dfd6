"""Changing a record: providers correct what they sent, the centre revokes wrong info (R-11, R-23).

Every change first stores the record's current state as a RecordChange snapshot and bumps the
version, in one transaction: no change without its history (SPEC §5, tampering is visible).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime, timezone
from decimal import Decimal

from piccolo.engine.sqlite import TransactionType

from portal.catalogue import service as catalogue
from portal.ingest.items import FieldError, checked_correction, forbidden_errors
from portal.lib.dates import today_cn
from portal.records.tables import CreditRecord, RecordChange, RecordStatus
from portal.subjects.tables import Subject

__all__ = ["RecordError", "correct_record", "revoke_record", "history", "CORRECTABLE"]

CORRECTABLE = frozenset(
    {
        "title",
        "content",
        "doc_number",
        "decision_date",
        "publicity_end",
        "act_end_date",
        "category",
        "polarity",
        "disclosure_class",
    }
)


class RecordError(ValueError):
    """A change refused; ``errors`` name the fields (the same ones a report names)."""

    def __init__(self, message: str, errors: Sequence[FieldError] = ()) -> None:
        super().__init__(message)
        self.errors = list(errors)


def _jsonable(row: dict) -> dict:
    def conv(v):
        if isinstance(v, (date, datetime)):
            return v.isoformat()
        if isinstance(v, Decimal):
            return str(v)
        return v

    return {k: conv(v) for k, v in row.items()}


def _transaction():
    db = CreditRecord._meta.db
    if db.engine_type == "sqlite":
        return db.transaction(transaction_type=TransactionType.immediate)  # STACK: avoid "locked"
    return db.transaction()


Check = Callable[[dict], Awaitable[dict]]


async def _change(record_id: int, action: str, actor: str, reason: str, changes: dict | Check) -> int:
    """``changes``: the new values, or a check that returns them from the current row (or raises)."""
    if not reason.strip():
        raise RecordError("请填写变更原因")
    async with _transaction():
        current = await CreditRecord.select().where(CreditRecord.id == record_id).first()
        if current is None:
            raise RecordError("记录不存在")
        if current["status"] != RecordStatus.IN_FORCE:
            raise RecordError("该记录已更正或撤销，不能再次变更")
        if callable(changes):
            changes = await changes(current)
        await RecordChange.insert(
            RecordChange(
                record=record_id,
                version=current["version"],
                action=action,
                reason=reason.strip(),
                actor=actor,
                snapshot=json.dumps(_jsonable(current), ensure_ascii=False),
                changed_at=datetime.now(timezone.utc),
            )
        )
        values = {getattr(CreditRecord, k): v for k, v in changes.items()}
        values[CreditRecord.version] = current["version"] + 1
        values[CreditRecord.updated_at] = datetime.now(timezone.utc)
        await CreditRecord.update(values).where(CreditRecord.id == record_id)
        return current["version"] + 1


async def _subject_kind(current: dict) -> str:
    """The stored subject's kind: how strictly R-09 reads the text (free text only for persons)."""
    return (await Subject.select(Subject.kind).where(Subject.id == current["subject"]).first())["kind"]


async def correct_record(record_id: int, changes: dict, actor: str, reason: str, *, consent_ref: str = "") -> int:
    """Apply a provider's correction; returns the new version. Every path that corrects a record
    comes here, so the rules of a report are applied here (R-11, R-12; R-09 for the new text)."""
    unknown = set(changes) - CORRECTABLE
    if unknown:
        raise RecordError(f"以下字段不能更正：{', '.join(sorted(unknown))}")

    async def checked(current: dict) -> dict:
        kind = await _subject_kind(current)
        result = checked_correction(changes, current, kind, today_cn(), reason=reason, consent_ref=consent_ref)
        if isinstance(result, list):
            raise RecordError("；".join(e.message for e in result), result)
        if {"category", "disclosure_class"} & set(result):  # the shared catalogue
            category = result.get("category", current["category"])
            cls = result.get("disclosure_class", current["disclosure_class"])
            if problem := await catalogue.check_class(category, cls, kind):
                raise RecordError(problem, [FieldError("disclosure_class", "class_not_allowed", problem)])
        return result

    action = "reclassify" if set(changes) == {"disclosure_class"} else "correct"
    return await _change(record_id, action, actor, reason, checked)


async def revoke_record(record_id: int, actor: str, reason: str, *, consent_ref: str = "") -> int:
    """Revoke wrong information (R-23); the record stays, with its history, but is no longer provided.
    Its reason is kept in the history: every path's reason is checked here (R-09), as a correction's is."""

    async def checked(current: dict) -> dict:
        if refused := forbidden_errors({"reason": reason}, await _subject_kind(current), consent_ref):
            raise RecordError("；".join(e.message for e in refused), refused)
        return {"status": RecordStatus.REVOKED}

    return await _change(record_id, "revoke", actor, reason, checked)


async def history(record_id: int) -> list[dict]:
    return await RecordChange.select().where(RecordChange.record == record_id).order_by(RecordChange.version)
