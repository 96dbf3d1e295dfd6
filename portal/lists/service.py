"""Red and black lists (R-P5, R-20): listing by the deciding agency, removal (移出), and the history.

The only module that writes list entries. Public pages read them through portal.publication,
whose ``public_list_entry`` drops removed entries and entries past ``expires_on`` by date, so a
removal or an expiry leaves the public pages and the API at once, without any job.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone

import asyncpg
from piccolo.engine.sqlite import TransactionType

from portal.agencies.tables import Agency
from portal.authorizations import service as auths
from portal.lib.dates import today_cn
from portal.lists.tables import ListAction, ListChange, ListEntry, ListStatus, ListType, RemovalReason
from portal.publication.rules import DISHONESTY_YEARS

__all__ = ["Actor", "Listing", "ListError", "list_subject", "remove", "amend", "entry_agency", "period"]

L, C = ListEntry, ListChange
TEXT_MAX = 2000
_MAX_ID = 2**31 - 1


class ListError(ValueError):
    """A refused listing or removal, with the Chinese message shown as is."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Actor:
    """Who acts: an agency officer (``agency_id`` set) or credit-centre staff (``agency_id`` None)."""

    account_id: int
    name: str
    agency_id: int | None

    @property
    def is_staff(self) -> bool:
        return self.agency_id is None


@dataclass
class Listing:
    """What the officer fills in. The ID number is used for the look-up only, never stored or echoed."""

    subject_kind: str = "legal"
    uscc: str = ""
    name: str = ""
    id_number: str = ""
    list_type: str = ""
    list_name: str = ""
    reason: str = ""
    measures: str = ""
    doc_number: str = ""
    listed_on: str = ""
    expires_on: str = ""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _years_after(day: date, years: int) -> date:
    """Same calendar day N years later; 29 Feb falls on 28 Feb."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _date(text: str, label: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ListError(f"{label}格式不正确，请按“年-月-日”填写") from None


def _text(value: str, label: str, minimum: int, maximum: int = TEXT_MAX) -> str:
    value = (value or "").strip()
    if len(value) < minimum:
        raise ListError(f"请填写{label}")
    if len(value) > maximum:
        raise ListError(f"{label}请控制在{maximum}字以内")
    return value


def _measures(text: str) -> str:
    lines = [" ".join(line.split()) for line in (text or "").splitlines()]
    return _text("\n".join(line for line in lines if line), "激励或惩戒措施（每行一项）", 2)


def period(list_type: str, listed_on: date, expires_on: date | None) -> date:
    """The end of the listing period. A dishonesty (black) list runs 5 years unless the basis sets
    another end (R-20); a red list has no default and needs its end stated."""
    if expires_on is None:
        if list_type == ListType.RED:
            raise ListError("列入红名单须填写有效期（有效期至）")
        expires_on = _years_after(listed_on, DISHONESTY_YEARS)
    if expires_on <= listed_on:
        raise ListError("有效期至须晚于认定日期")
    return expires_on


async def _subject(listing: Listing) -> dict:
    kind = "natural" if listing.subject_kind == "natural" else "legal"
    filing = auths.Filing(kind, listing.uscc, listing.name, listing.id_number)
    try:
        return await auths.find_subject(filing)
    except auths.AuthorizationError as exc:
        raise ListError(str(exc)) from None


@asynccontextmanager
async def _transaction():
    """The entry and its history row commit together."""
    db = ListChange._meta.db
    try:
        if db.engine_type == "sqlite":
            async with db.transaction(transaction_type=TransactionType.immediate):  # STACK: avoid "locked"
                yield
        else:
            async with db.transaction():
                yield
    except (sqlite3.IntegrityError, asyncpg.IntegrityConstraintViolationError):
        raise ListError("该名单刚被他人修改，请刷新页面核对后再提交", status=409) from None


def _snapshot(row: dict) -> dict:
    keep = ("id", "subject", "list_type", "list_name", "reason", "decided_by", "doc_number", "listed_on",
            "expires_on", "disclosure_class", "status", "removal_reason")  # fmt: skip
    out = {k: row.get(k) for k in keep}
    out["measures"] = [m for m in (row.get("measures") or "").split("\n") if m]
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in out.items()}


async def _log(actor: Actor, entry_id: int, action: str, reason: str) -> None:
    row = await L.select().where(L.id == entry_id).first()
    agency = "信用中心"
    if actor.agency_id is not None:
        found = await Agency.select(Agency.name).where(Agency.id == actor.agency_id).first()
        agency = found["name"] if found else agency
    await C.insert(
        C(
            entry=entry_id,
            action=action,
            reason=reason,
            actor=actor.account_id,
            actor_name=f"{actor.name}（{agency}）"[:100],
            snapshot=json.dumps(_snapshot(row), ensure_ascii=False),
            changed_at=_now(),
        )
    )


async def list_subject(actor: Actor, listing: Listing, today: date | None = None) -> int:
    """The deciding agency lists a subject (郏信用办〔2021〕2号 五; R-P5). Returns the entry id."""
    today = today or today_cn()
    if actor.agency_id is None:
        raise ListError("只有认定单位的工作人员可以列入名单", status=403)
    if listing.list_type not in ListType.LABELS:
        raise ListError("请选择名单类型（红名单或黑名单）")
    list_name = _text(listing.list_name, "名单名称", 2, 100)
    reason = _text(listing.reason, "认定依据（认定决定及其法律依据）", 4)
    measures = _measures(listing.measures)
    doc_number = _text(listing.doc_number, "认定决定文号", 2, 100)
    listed_on = _date(listing.listed_on, "认定日期")
    if listed_on is None:
        raise ListError("请填写认定日期")
    if listed_on > today:
        raise ListError("认定日期不能晚于今天")
    expires_on = period(listing.list_type, listed_on, _date(listing.expires_on, "有效期至"))
    if expires_on < today:
        raise ListError("该认定的有效期已届满，无需列入")
    subject = await _subject(listing)
    async with _transaction():
        rows = await L.insert(
            L(
                subject=subject["id"],
                list_type=listing.list_type,
                list_name=list_name,
                reason=reason,
                measures=measures,
                decided_by=actor.agency_id,
                doc_number=doc_number,
                listed_on=listed_on,
                expires_on=expires_on,
                status=ListStatus.IN_FORCE,
                created_at=_now(),
                listed_by=actor.account_id,
            )
        ).returning(L.id)
        entry_id = rows[0]["id"]
        await _log(actor, entry_id, ListAction.LIST, reason)
    return entry_id


async def entry_agency(entry_id: int) -> int | None:
    if not 0 < entry_id <= _MAX_ID:
        return None
    row = await L.select(L.decided_by).where(L.id == entry_id).first()
    return row["decided_by"] if row else None


async def remove(actor: Actor, entry_id: int, reason_code: str, note: str = "") -> None:
    """移出: by the deciding agency or credit-centre staff, with a reason; the history keeps it."""
    agency = await entry_agency(entry_id)
    if agency is None:
        raise ListError("未找到该名单信息", status=404)
    if not actor.is_staff and actor.agency_id != agency:
        raise ListError("只有认定单位或信用中心可以移出该名单", status=403)
    if reason_code not in RemovalReason.LABELS:
        raise ListError("请选择移出原因")
    note = " ".join((note or "").split())
    if reason_code == RemovalReason.OTHER and len(note) < 2:
        raise ListError("选择“其他”时请写明移出原因")
    if len(note) > 500:
        raise ListError("移出说明请控制在500字以内")
    reason = RemovalReason.LABELS[reason_code] + (f"：{note}" if note else "")
    async with _transaction():
        changed = (
            await L.update({L.status: ListStatus.REMOVED, L.removed_at: _now(), L.removal_reason: reason_code})
            .where((L.id == entry_id) & (L.status == ListStatus.IN_FORCE))
            .returning(L.id)
        )
        if not changed:
            raise ListError("该名单信息已移出", status=409)
        await _log(actor, entry_id, ListAction.REMOVE, reason)


async def amend(actor: Actor, entry_id: int, measures: str, expires_on: str, reason: str, today=None) -> None:
    """变更: the deciding agency changes the measures or the end of the period, with a reason."""
    today = today or today_cn()
    agency = await entry_agency(entry_id)
    if agency is None:
        raise ListError("未找到该名单信息", status=404)
    if actor.agency_id != agency:
        raise ListError("只有认定单位可以变更该名单", status=403)
    reason = _text(reason, "变更原因及依据", 2, 500)
    current = await L.select(L.list_type, L.listed_on, L.measures, L.expires_on).where(L.id == entry_id).first()
    values = {}
    if (measures or "").strip():
        values[L.measures] = _measures(measures)
    if (end := _date(expires_on, "有效期至")) is not None:
        values[L.expires_on] = period(current["list_type"], current["listed_on"], end)
        if end < today:
            raise ListError("有效期至不能早于今天；提前终止请移出名单")
    if not values or all(current[col._meta.name] == v for col, v in values.items()):
        raise ListError("请填写要变更的措施或有效期")
    async with _transaction():
        changed = await L.update(values).where((L.id == entry_id) & (L.status == ListStatus.IN_FORCE)).returning(L.id)
        if not changed:
            raise ListError("该名单信息已移出，不能变更", status=409)
        await _log(actor, entry_id, ListAction.AMEND, reason)
