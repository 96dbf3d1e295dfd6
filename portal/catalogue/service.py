"""The shared indicator catalogue (信用信息共享指标目录, Z80 第二十六条): the only module touching its tables.

``entry(code)`` is called for every ingested row and by the public reader, so the catalogue is held
in a per-process cache: dropped at once in the process that changes it, and reloaded by the other
processes within ``CACHE_SECONDS``.
"""

from __future__ import annotations

import json
import sqlite3
import time
from calendar import monthrange
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import date, datetime, timezone

import asyncpg
from piccolo.engine.sqlite import TransactionType

from portal.catalogue.tables import CatalogueChange, CatalogueEntry
from portal.lib.masking import mask_name

__all__ = [
    "Actor",
    "CatalogueError",
    "Entry",
    "MASKABLE",
    "MASK_TEXT",
    "CLASS_LABELS",
    "entry",
    "entries",
    "check_class",
    "publicity_end",
    "invalidate",
    "update",
    "history",
]

CACHE_SECONDS = 30.0
HISTORY_PAGE = 50
REASON_MAX = 500
MASK_TEXT = "（涉及个人隐私，不予公示）"

# Items that may be masked when a natural person appears in class A.
MASKABLE = {
    "name": "姓名（显示为“张*”）",
    "content": "信息内容（正文）",
    "violation_facts": "违法事实",
    "penalty_content": "处罚内容",
    "license_action": "暂扣或吊销证照名称及编号",
    "license_content": "许可内容",
}
CLASS_LABELS = {"A": "社会公开类（A）", "B": "部门共享类（B）", "C": "有限共享类（C）"}
_OPENNESS = {"A": 0, "B": 1, "C": 2}
_KIND_LABELS = {"legal": "法人和其他组织", "natural": "自然人"}
_POLARITIES = ("positive", "negative", "neutral")
_FIELD_LABELS = {
    "label": "名称",
    "default_class": "默认公开类别",
    "polarity": "信息性质",
    "publicity_months": "公示期限（月）",
    "natural_class_a": "自然人可列为社会公开类",
    "masked_items": "自然人公开时隐去的项目",
    "active": "启用",
}


class CatalogueError(ValueError):
    """A refused change, with the Chinese message shown to staff."""


@dataclass(frozen=True)
class Actor:
    account_id: int | None
    name: str


@dataclass(frozen=True)
class Entry:
    code: str
    label: str
    subject_kind: str
    default_class: str
    polarity: str
    publicity_months: int | None
    natural_class_a: bool
    masked_items: tuple[str, ...]
    active: bool
    rule: str
    version: int


_cache: dict[str, Entry] | None = None
_loaded_at = 0.0


def _entry(row: dict) -> Entry:
    return Entry(
        code=row["code"],
        label=row["label"],
        subject_kind=row["subject_kind"],
        default_class=row["default_class"],
        polarity=row["polarity"],
        publicity_months=row["publicity_months"],
        natural_class_a=bool(row["natural_class_a"]),
        masked_items=tuple(i for i in (row["masked_items"] or "").split(",") if i),
        active=bool(row["active"]),
        rule=row["rule"],
        version=row["version"],
    )


def invalidate() -> None:
    global _cache
    _cache = None


async def _all() -> dict[str, Entry]:
    global _cache, _loaded_at
    cache = _cache
    if cache is None or time.monotonic() - _loaded_at > CACHE_SECONDS:
        rows = await CatalogueEntry.select().order_by(CatalogueEntry.id)
        cache = {r["code"]: _entry(r) for r in rows}
        _cache, _loaded_at = cache, time.monotonic()
    return cache


async def entry(code: str) -> Entry | None:
    """The catalogue entry of a category code, or None when the catalogue does not know it."""
    return (await _all()).get(code)


async def entries() -> list[Entry]:
    return list((await _all()).values())


async def check_class(code: str, disclosure_class: str, subject_kind: str) -> str | None:
    """The problem (Chinese, naming the rule) with a provider reporting ``code`` for a subject of
    ``subject_kind`` in ``disclosure_class``, or None when the catalogue allows it."""
    e = await entry(code)
    if e is None:
        return f"信息类别“{code}”不在信用信息共享指标目录中"
    if not e.active:
        return f"信息类别“{e.label}”已在信用信息共享指标目录中停用，不再接收"
    if subject_kind != e.subject_kind:
        return f"信息类别“{e.label}”仅适用于{_KIND_LABELS.get(e.subject_kind, e.subject_kind)}（{e.rule}）"
    if disclosure_class not in _OPENNESS:
        return "信息公开类别须为社会公开类（A）、部门共享类（B）或有限共享类（C）（R-15）"
    if subject_kind == "natural" and disclosure_class == "A" and not e.natural_class_a:
        return (
            f"依信用信息共享指标目录，自然人的“{e.label}”不得列为社会公开类（A），"
            "请报送为部门共享类（B）或有限共享类（C）（R-17）"
        )
    if _OPENNESS[disclosure_class] < _OPENNESS[e.default_class]:
        return (
            f"依信用信息共享指标目录，“{e.label}”为{CLASS_LABELS[e.default_class]}，"
            f"不得报送为更公开的{CLASS_LABELS[disclosure_class]}（R-15）"
        )
    return None


def publicity_end(e: Entry, decision_date: date) -> date | None:
    """公示截止期 from the catalogue's publicity period when the provider gives none."""
    if not e.publicity_months:
        return None
    months = decision_date.month - 1 + e.publicity_months
    year, month = decision_date.year + months // 12, months % 12 + 1
    return date(year, month, min(decision_date.day, monthrange(year, month)[1]))


# --- public reader (portal.publication) -----------------------------------------------------------


async def natural_public_codes() -> list[str]:
    """Natural-person categories whose class-A records may be published (R-17)."""
    return [e.code for e in await entries() if e.subject_kind == "natural" and e.natural_class_a]


async def mask_natural(rows: list[dict]) -> None:
    """Mask, in place, the items the catalogue hides for natural persons in class A (R-17).

    Rows carry ``category`` and ``subject_kind``; ``detail`` (双公示 items) is masked too."""
    cache = await _all()
    for row in rows:
        if row.get("subject_kind") != "natural":
            continue
        e = cache.get(row["category"])
        items = e.masked_items if e else tuple(MASKABLE)  # unknown category: hide all it could
        detail = row.get("detail") or {}
        for item in items:
            if item == "name":
                for holder in (row, detail):
                    if holder.get("subject_name"):
                        holder["subject_name"] = mask_name(holder["subject_name"])
            elif item == "content" and row.get("content"):
                row["content"] = MASK_TEXT
            elif detail.get(item):
                detail[item] = MASK_TEXT


# --- staff changes --------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(timezone.utc)


_RACE = "该条目刚被他人修改，请刷新页面核对后再提交"


@asynccontextmanager
async def _transaction():
    db = CatalogueEntry._meta.db
    try:
        if db.engine_type == "sqlite":
            async with db.transaction(transaction_type=TransactionType.immediate):  # STACK: avoid "locked"
                yield
        else:
            async with db.transaction():
                yield
    except (sqlite3.IntegrityError, asyncpg.UniqueViolationError):
        raise CatalogueError(_RACE) from None


@dataclass
class Change:
    """What staff submit for one entry (form values, validated here)."""

    label: str
    default_class: str
    polarity: str
    publicity_months: str
    natural_class_a: bool
    masked_items: list[str]
    active: bool
    reason: str
    version: int


def _values(current: Entry, change: Change) -> dict:
    label = " ".join((change.label or "").split())
    if not 2 <= len(label) <= 100:
        raise CatalogueError("名称须为2至100个字")
    if change.default_class not in _OPENNESS:
        raise CatalogueError("默认公开类别须为A、B或C（R-15）")
    if change.polarity not in _POLARITIES:
        raise CatalogueError("请选择信息性质")
    months_text = (change.publicity_months or "").strip()
    if months_text:
        if not months_text.isdigit() or not 1 <= int(months_text) <= 600:
            raise CatalogueError("公示期限须为1至600之间的整数（月），不设期限请留空")
        months = int(months_text)
    else:
        months = None
    masked = sorted(set(change.masked_items))
    if any(m not in MASKABLE for m in masked):
        raise CatalogueError("隐去项目不在可选范围内")
    if current.subject_kind != "natural" and (change.natural_class_a or masked):
        raise CatalogueError("法人和其他组织的类别不适用自然人公开规则")
    return {
        "label": label,
        "default_class": change.default_class,
        "polarity": change.polarity,
        "publicity_months": months,
        "natural_class_a": bool(change.natural_class_a),
        "masked_items": ",".join(masked),
        "active": bool(change.active),
    }


def _reason(text: str) -> str:
    text = " ".join((text or "").split())
    if len(text) < 2:
        raise CatalogueError("请填写修改理由（如依据的文件、文号），理由为必填项")
    if len(text) > REASON_MAX:
        raise CatalogueError(f"修改理由请控制在{REASON_MAX}字以内")
    return text


def _snapshot(e: Entry) -> dict:
    data = asdict(e)
    data["masked_items"] = ",".join(e.masked_items)
    return {k: data[k] for k in _FIELD_LABELS}


async def update(actor: Actor, code: str, change: Change) -> Entry:
    """Change one entry; the reason is required and the change is kept with before/after."""
    reason = _reason(change.reason)
    E = CatalogueEntry
    async with _transaction():
        row = await E.select().where(E.code == code).first()
        if row is None:
            raise CatalogueError("指标目录中没有这个类别")
        current = _entry(row)
        if current.version != change.version:
            raise CatalogueError(_RACE)
        before, after = _snapshot(current), _values(current, change)
        if before == after:
            raise CatalogueError("未作任何修改")
        changed = (
            await E.update({**after, E.version: current.version + 1, E.updated_at: _now()})
            .where((E.code == code) & (E.version == current.version))
            .returning(E.id)
        )
        if not changed:
            raise CatalogueError(_RACE)
        await CatalogueChange.insert(
            CatalogueChange(
                code=code,
                version=current.version + 1,
                changed_at=_now(),
                actor=actor.account_id,
                actor_name=actor.name[:64],
                reason=reason,
                before=json.dumps(before, ensure_ascii=False),
                after=json.dumps(after, ensure_ascii=False),
            )
        )
    invalidate()
    return await entry(code)


def _shown(field: str, value) -> str:
    if value is None or value == "":
        return "（无）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if field == "default_class":
        return CLASS_LABELS.get(value, value)
    if field == "masked_items":
        return "、".join(MASKABLE.get(i, i) for i in value.split(","))
    return str(value)


async def history(code: str | None = None, limit: int = HISTORY_PAGE) -> list[dict]:
    """Changes newest first, each with the fields it changed (before → after)."""
    C = CatalogueChange
    query = C.select().order_by(C.id, ascending=False).limit(limit)
    if code is not None:
        query = query.where(C.code == code)
    rows = await query
    for r in rows:
        before, after = json.loads(r.pop("before")), json.loads(r.pop("after"))
        r["fields"] = [
            {"label": label, "before": _shown(k, before.get(k)), "after": _shown(k, after.get(k))}
            for k, label in _FIELD_LABELS.items()
            if before.get(k) != after.get(k)
        ]
    return rows
