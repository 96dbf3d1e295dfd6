"""Applying reported items (R-11, R-12): each item behind its own savepoint, so an item is taken
whole or not at all and one bad item never costs the others; the same report twice changes nothing.

- create: the subject is found (a legal person by USCC, a natural person by the digest of the ID
  number, whose name must match) or registered from the report; the record gets the provider's
  own id. Sent again unchanged: ``unchanged``; changed under the same id: refused (use correct).
- correct / revoke: through the record's history (``portal.records.service``), at once public.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from piccolo.columns.combination import WhereRaw
from piccolo.engine.sqlite import TransactionType

from portal.catalogue import service as catalogue
from portal.ingest.items import FieldError, Item, ItemRejected, forbidden_errors, not_correctable, parse
from portal.ingest.tables import IngestBatch
from portal.lib.dates import today_cn
from portal.lib.masking import mask_id_number
from portal.records import service as records
from portal.records.tables import CreditRecord, LicenseDetail, PenaltyDetail, RecordStatus, RecordType
from portal.search.index import index_subject
from portal.subjects.identity import id_number_digest, seal_id_number
from portal.subjects.tables import Subject, SubjectKind, SubjectType

__all__ = [
    "Reporter",
    "ItemResult",
    "report",
    "batch",
    "apply_in",
    "apply_many",
    "apply_parsed",
    "apply_one",
    "ref_of",
    "MAX_ITEMS",
    "COMPARED",
]

MAX_ITEMS = 500
CHUNK = 100
R = CreditRecord
COMPARED = (
    "title",
    "content",
    "doc_number",
    "decision_date",
    "publicity_end",
    "act_end_date",
    "category",
    "polarity",
    "disclosure_class",
)
"""What makes a repeated create or correct "the same" (idempotency)."""


@dataclass(frozen=True)
class Reporter:
    """Who reports: the agency, by which path, and (for a key) which categories it may report."""

    agency_id: int
    channel: str
    actor: str
    """Shown in the record's history: the key's prefix or the officer's login name."""
    categories: frozenset[str] | None = None
    """None: every category (an officer of the agency); a key is scoped."""
    api_key_id: int | None = None
    account_id: int | None = None


@dataclass
class ItemResult:
    index: int
    record_id: str
    status: str
    """created / corrected / revoked / unchanged / rejected."""
    version: int | None = None
    errors: list[FieldError] = field(default_factory=list)

    def as_dict(self) -> dict:
        out = {"index": self.index, "record_id": self.record_id, "status": self.status}
        if self.version is not None:
            out["version"] = self.version
        if self.errors:
            out["errors"] = [e.as_dict() for e in self.errors]
        return out


def _transaction():
    db = R._meta.db
    if db.engine_type == "sqlite":
        return db.transaction(transaction_type=TransactionType.immediate)  # STACK: avoid "locked"
    return db.transaction()


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def _find_subject(item: Item) -> dict | None:
    if item.subject_kind == SubjectKind.LEGAL:
        return await Subject.select(Subject.id, Subject.name).where(Subject.uscc == item.uscc).first()
    digest = id_number_digest(item.id_number)
    return await Subject.select(Subject.id, Subject.name).where(Subject.id_number_digest == digest).first()


async def _subject_id(item: Item) -> int:
    row = await _find_subject(item)
    if item.subject_kind == SubjectKind.LEGAL:
        if row:
            return row["id"]
        if not item.subject_name:
            raise ItemRejected(
                FieldError("subject.name", "unknown_subject", "平台尚无该统一社会信用代码的主体，请同时填写主体名称")
            )
        subject = Subject(
            kind=SubjectKind.LEGAL, subject_type=SubjectType.ENTERPRISE, name=item.subject_name, uscc=item.uscc
        )
        subject.created_at = subject.updated_at = _now()
        await subject.save()
        await index_subject(subject.id, subject.name, SubjectKind.LEGAL)
        return subject.id
    if row:
        if row["name"] != item.subject_name:
            # Say nothing about which of the two differs.
            raise ItemRejected(FieldError("subject", "subject_mismatch", "姓名与公民身份号码不一致，请核对"))
        return row["id"]
    subject = Subject(
        kind=SubjectKind.NATURAL,
        subject_type=SubjectType.NATURAL,
        name=item.subject_name,
        id_number_digest=id_number_digest(item.id_number),
        id_number_masked=mask_id_number(item.id_number),
        id_number_sealed=seal_id_number(item.id_number),
    )
    subject.created_at = subject.updated_at = _now()
    await subject.save()
    return subject.id


def _same(current: dict, values: dict) -> bool:
    return all(current.get(k) == v for k, v in values.items() if k in COMPARED)


def _in_scope(reporter: Reporter, category: str) -> None:
    if reporter.categories is not None and category not in reporter.categories:
        raise ItemRejected(FieldError("category", "category_not_in_scope", "该密钥无权报送此类别的信息"))


WITH_REF = WhereRaw("provider_ref <> ''")
"""The predicate of the unique (provider, provider_ref) index, spelled out so that both engines use
it: without it they scan every record of the provider for each lookup (EXPLAIN QUERY PLAN)."""


async def _existing(reporter: Reporter, ref: str) -> dict | None:
    return await R.select().where((R.provider == reporter.agency_id) & (R.provider_ref == ref) & WITH_REF).first()


async def _checked_by_catalogue(category: str, disclosure_class: str, subject_kind: str) -> None:
    """The provider's class against the shared indicator catalogue (80号 第二十六条; R-15, R-17)."""
    if problem := await catalogue.check_class(category, disclosure_class, subject_kind):
        raise ItemRejected(FieldError("disclosure_class", "class_not_allowed", problem))


async def _create(reporter: Reporter, item: Item) -> tuple[str, int]:
    _in_scope(reporter, item.values["category"])
    await _checked_by_catalogue(item.values["category"], item.values["disclosure_class"], item.subject_kind)
    if item.values.get("publicity_end") is None and (entry := await catalogue.entry(item.values["category"])):
        item.values["publicity_end"] = catalogue.publicity_end(entry, item.values["decision_date"])
    current = await _existing(reporter, item.ref)
    if current is not None:
        same_subject = (await _find_subject(item) or {}).get("id") == current["subject"]
        if same_subject and _same(current, item.values):
            return "unchanged", current["version"]
        raise ItemRejected(
            FieldError("record_id", "duplicate_record_id", "该记录编号已报送过，内容不同；修改请用 correct")
        )
    subject_id = await _subject_id(item)
    now = _now()
    row = R(
        subject=subject_id,
        provider=reporter.agency_id,
        record_type=item.record_type,
        provider_ref=item.ref,
        channel=reporter.channel,
        consent_ref=item.consent_ref,
        status=RecordStatus.IN_FORCE,
        created_at=now,
        updated_at=now,
        **item.values,
    )
    await row.save()
    if item.record_type != RecordType.GENERAL:
        await _save_detail(row.id, item)
    return "created", 1


async def _save_detail(record_id: int, item: Item) -> None:
    subject = (
        await Subject.select(Subject.name, Subject.uscc, Subject.id_number_masked)
        .where(Subject.id == (await R.select(R.subject).where(R.id == record_id).first())["subject"])
        .first()
    )
    common = {
        "record": record_id,
        "subject_name": subject["name"],
        "subject_code": subject["uscc"] or subject["id_number_masked"] or "",
        "data_source": item.detail.get("authority", ""),
    }
    if item.record_type == RecordType.PENALTY:
        await PenaltyDetail(**common, **item.detail).save()
    else:
        await LicenseDetail(**common, **item.detail).save()


async def _refuse_forbidden(item: Item, subject_id: int) -> None:
    """R-09 on a correction or revocation: the stored subject decides how strict the check is."""
    kind = (await Subject.select(Subject.kind).where(Subject.id == subject_id).first())["kind"]
    if refused := forbidden_errors(item.raw, kind, item.consent_ref):
        raise ItemRejected(*refused)


def _with_consent(item: Item) -> str:
    return f"{item.reason}（书面同意：{item.consent_ref}）" if item.consent_ref else item.reason


async def _changed_fixed(current: dict, fixed: dict) -> list[str]:
    """Which of the items a correction repeats differ from the stored subject, type and details."""
    S = Subject
    subject = await S.select(S.kind, S.name, S.uscc, S.id_number_digest).where(S.id == current["subject"]).first()
    stored = {
        "record_type": current["record_type"],
        "subject.kind": subject["kind"],
        "subject.name": subject["name"],
        "subject.uscc": subject["uscc"] or "",
    }
    detail_table = {RecordType.PENALTY: PenaltyDetail, RecordType.LICENSE: LicenseDetail}.get(current["record_type"])
    if detail_table is not None:
        row = await detail_table.select().where(detail_table.record == current["id"]).first() or {}
        stored |= {f"{current['record_type']}.{k}": v for k, v in row.items()}
    changed = []
    for path, value in fixed.items():
        if path == "subject.name" and subject["kind"] == "legal":
            continue  # the code identifies a legal person; its name as written is ignored, as on 新增
        if path == "subject.id_number":
            differs = id_number_digest(value) != subject["id_number_digest"]
        else:
            now = stored.get(path)
            differs = (now if now is not None else "") != value
        if differs:
            changed.append(path)
    return changed


async def _correct(reporter: Reporter, item: Item) -> tuple[str, int]:
    current = await _existing(reporter, item.ref)
    if current is None:
        raise ItemRejected(FieldError("record_id", "unknown_record_id", "没有该记录编号的记录"))
    _in_scope(reporter, current["category"])
    await _refuse_forbidden(item, current["subject"])
    if item.fixed and (changed := await _changed_fixed(current, item.fixed)):
        raise ItemRejected(not_correctable(changed))  # never applied in part, never "unchanged"
    if "category" in item.values:
        _in_scope(reporter, item.values["category"])
    if _same(current, item.values):
        return "unchanged", current["version"]
    if current["status"] != RecordStatus.IN_FORCE:
        raise ItemRejected(FieldError("record_id", "not_in_force", "该记录已撤销，不能更正"))
    changes = {k: v for k, v in item.values.items() if current.get(k) != v}
    try:  # the records service checks every correction, whatever its path
        version = await records.correct_record(
            current["id"], changes, reporter.actor, _with_consent(item), consent_ref=item.consent_ref
        )
    except records.RecordError as exc:
        raise ItemRejected(*(exc.errors or [FieldError("", "invalid_correction", str(exc))])) from None
    return "corrected", version


async def _revoke(reporter: Reporter, item: Item) -> tuple[str, int]:
    current = await _existing(reporter, item.ref)
    if current is None:
        raise ItemRejected(FieldError("record_id", "unknown_record_id", "没有该记录编号的记录"))
    _in_scope(reporter, current["category"])
    await _refuse_forbidden(item, current["subject"])
    if current["status"] == RecordStatus.REVOKED:
        return "unchanged", current["version"]
    if current["status"] != RecordStatus.IN_FORCE:
        raise ItemRejected(FieldError("record_id", "not_in_force", "该记录已不在有效状态"))
    return "revoked", await records.revoke_record(
        current["id"], reporter.actor, item.reason, consent_ref=item.consent_ref
    )


_ACTIONS = {"create": _create, "correct": _correct, "revoke": _revoke}


def ref_of(raw: object) -> str:
    """The record id an outcome is reported under (as sent, even when it is not valid)."""
    return str(raw.get("record_id") or "")[:64] if isinstance(raw, dict) else ""


async def _apply(reporter: Reporter, index: int, raw: object, today: date, transaction) -> ItemResult:
    """One item inside the chunk's transaction, behind a savepoint: taken whole or rolled back."""
    parsed = parse(raw, today)
    if isinstance(parsed, list):
        return ItemResult(index, ref_of(raw), "rejected", errors=parsed)
    return await apply_parsed(reporter, index, ref_of(raw), parsed, transaction)


async def apply_parsed(reporter: Reporter, index: int, ref: str, parsed: Item, transaction) -> ItemResult:
    """A parsed item behind a savepoint of its own (the path for whatever a batch cannot settle)."""
    savepoint = await transaction.savepoint()
    try:
        status, version = await _ACTIONS[parsed.action](reporter, parsed)
    except ItemRejected as exc:
        await savepoint.rollback_to()
        return ItemResult(index, ref, "rejected", errors=exc.errors)
    except BaseException:
        await savepoint.rollback_to()
        raise
    await savepoint.release()
    return ItemResult(index, ref, status, version)


def batch():
    """The transaction a caller applies several items in (``apply_in``): one commit for all."""
    return _transaction()


def batches_may_overlap() -> bool:
    """Whether two batches may be written at once (PostgreSQL; SQLite has a single writer)."""
    return R._meta.db.engine_type != "sqlite"


apply_in = _apply


async def apply_many(
    reporter: Reporter, entries: list[tuple[int, object]], today: date, transaction, parsed: dict | None = None
) -> list[ItemResult]:
    """(index, item) pairs in one transaction, each whole or not at all, with a few statements for
    the whole chunk instead of about ten per item; outcomes as if applied one by one, in order.
    ``parsed``: ``parse(item, today)`` by index, when the caller has it already (the upload's reader)."""
    from portal.ingest import bulk  # bulk builds on the rules of this module

    return await bulk.apply_chunk(reporter, entries, today, transaction, parsed)


async def apply_one(reporter: Reporter, index: int, raw: object, today: date) -> ItemResult:
    """One item in a transaction of its own."""
    async with _transaction() as transaction:
        return await _apply(reporter, index, raw, today, transaction)


async def report(reporter: Reporter, raw_items: Iterable[object]) -> list[ItemResult]:
    """Apply every item (each whole or not at all) and log the batch's counts (R-13)."""
    today = today_cn()
    items = list(raw_items)
    results: list[ItemResult] = []
    # One transaction per chunk (a commit per item would cost a disk sync each), one savepoint per
    # item (so each is still whole or not at all).
    for start in range(0, len(items), CHUNK):
        async with _transaction() as transaction:
            chunk = list(enumerate(items[start : start + CHUNK], start))
            results += await apply_many(reporter, chunk, today, transaction)
    counts = {
        s: sum(r.status == s for r in results) for s in ("created", "corrected", "revoked", "unchanged", "rejected")
    }
    await IngestBatch.insert(
        IngestBatch(
            agency=reporter.agency_id,
            channel=reporter.channel,
            api_key=reporter.api_key_id,
            account=reporter.account_id,
            received_at=_now(),
            items=len(results),
            **counts,
        )
    )
    return results
