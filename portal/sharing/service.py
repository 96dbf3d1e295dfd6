"""Class-C sharing rules (R-15, R-18): what the query policy reads, and the staff changes that keep
every step in ``sharing_change`` (SPEC §5). The only module that touches the sharing tables.

Class C goes only to the bodies named per data category: a third party under a subject's written
authorisation receives the categories marked here (default: none); an agency receives the
categories it is granted. The query policy applies these sets; this module keeps them. A change
without a legal basis is refused.
"""

from __future__ import annotations

import sqlite3
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timezone

import asyncpg
from piccolo.engine.sqlite import TransactionType

from portal.agencies.tables import LEGACY_GRANT_BASIS, Agency, AgencyGrant
from portal.records.categories import CATEGORIES
from portal.sharing.tables import ChangeAction, RuleKind, ShareableCategory, SharingChange

__all__ = [
    "Actor",
    "SharingError",
    "shareable_under_authorisation",
    "agency_c_grants",
    "mark_shareable",
    "unmark_shareable",
    "grant_agency",
    "revoke_agency",
    "overview",
    "history",
    "HISTORY_PAGE",
    "LEGACY_GRANT_BASIS",
]

HISTORY_PAGE = 50
BASIS_MAX = 500
_MAX_ID = 2**31 - 1  # Serial ids: a larger number names no row (and overflows PostgreSQL)


class SharingError(ValueError):
    """A refused change, with the Chinese message shown to staff."""


@dataclass(frozen=True)
class Actor:
    """The staff account making a change; ``account_id`` None only for the demo loader."""

    account_id: int | None
    name: str


# --- what the query policy calls --------------------------------------------------------------


async def shareable_under_authorisation() -> frozenset[str]:
    """Categories whose class-C records a subject's written authorisation may open (R-15)."""
    rows = await ShareableCategory.select(ShareableCategory.category)
    return frozenset(r["category"] for r in rows)


async def agency_c_grants(agency_id: int | None) -> frozenset[str]:
    """Categories of class C this agency is granted: one query on the (agency, category) index."""
    if agency_id is None or not 0 < agency_id <= _MAX_ID:
        return frozenset()
    rows = await AgencyGrant.select(AgencyGrant.category).where(AgencyGrant.agency == agency_id)
    return frozenset(r["category"] for r in rows)


# --- staff changes ------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(timezone.utc)


_RACE = "该规则刚被他人修改，请刷新页面核对后再提交"


@asynccontextmanager
async def _transaction():
    """One change and its history row commit together. Two staff changing the same rule at once:
    the second is refused (unique index, or the basis it read has changed), never half-applied."""
    db = SharingChange._meta.db
    try:
        if db.engine_type == "sqlite":
            async with db.transaction(transaction_type=TransactionType.immediate):  # STACK: avoid "locked"
                yield
        else:
            async with db.transaction():
                yield
    except (sqlite3.IntegrityError, asyncpg.UniqueViolationError):
        raise SharingError(_RACE) from None


def _category(code: str) -> str:
    code = (code or "").strip()
    if code not in CATEGORIES:
        raise SharingError("请选择信息类别")
    return code


def _basis(text: str) -> str:
    text = " ".join((text or "").split())
    if len(text) < 2:
        raise SharingError("请填写法律依据（法律法规或文件名称及条款、文号），依据为必填项")
    if len(text) > BASIS_MAX:
        raise SharingError(f"法律依据请控制在{BASIS_MAX}字以内")
    if text == LEGACY_GRANT_BASIS:
        raise SharingError("请填写实际的法律依据，不能使用占位说明")
    return text


async def _agency(agency_id: int | str) -> dict:
    try:
        number = int(str(agency_id).strip())
    except ValueError:
        number = 0
    row = None
    if 0 < number <= _MAX_ID:
        row = await Agency.select(Agency.id, Agency.name, Agency.is_active).where(Agency.id == number).first()
    if row is None:
        raise SharingError("请选择部门")
    return row


async def _log(actor: Actor, rule: str, category: str, action: str, old: str, new: str, basis: str, agency=None):
    await SharingChange.insert(
        SharingChange(
            changed_at=_now(),
            actor=actor.account_id,
            actor_name=actor.name[:64],
            rule=rule,
            agency=agency,
            category=category,
            action=action,
            old_basis=old,
            new_basis=new,
            basis=basis,
        )
    )


async def mark_shareable(actor: Actor, category: str, legal_basis: str) -> str:
    """Mark a category shareable under written authorisation, or replace the basis of a mark.
    Returns the action recorded (grant or amend)."""
    category, basis = _category(category), _basis(legal_basis)
    S = ShareableCategory
    async with _transaction():
        current = await S.select(S.legal_basis).where(S.category == category).first()
        if current is None:
            await S.insert(S(category=category, legal_basis=basis, marked_by=actor.account_id, marked_at=_now()))
            action, old = ChangeAction.GRANT, ""
        elif current["legal_basis"] == basis:
            raise SharingError("该类别已标记为可共享，依据未变化")
        else:
            old = current["legal_basis"]
            changed = (
                await S.update({S.legal_basis: basis, S.marked_by: actor.account_id, S.marked_at: _now()})
                .where((S.category == category) & (S.legal_basis == old))
                .returning(S.id)
            )
            if not changed:
                raise SharingError(_RACE)
            action = ChangeAction.AMEND
        await _log(actor, RuleKind.AUTHORISATION, category, action, old, basis, basis)
    return action


async def unmark_shareable(actor: Actor, category: str, legal_basis: str) -> None:
    """Stop sharing a category under written authorisation; the basis for stopping is required."""
    category, basis = _category(category), _basis(legal_basis)
    S = ShareableCategory
    async with _transaction():
        removed = await S.delete().where(S.category == category).returning(S.legal_basis)
        if not removed:
            raise SharingError("该类别未标记为可共享")
        await _log(actor, RuleKind.AUTHORISATION, category, ChangeAction.REVOKE, removed[0]["legal_basis"], "", basis)


async def grant_agency(actor: Actor, agency_id: int | str, category: str, legal_basis: str) -> str:
    """Grant an agency a class-C category, or replace the basis of its grant (e.g. a grant carried
    over without one). Returns the action recorded (grant or amend)."""
    agency, category, basis = await _agency(agency_id), _category(category), _basis(legal_basis)
    G = AgencyGrant
    where = (G.agency == agency["id"]) & (G.category == category)
    async with _transaction():
        current = await G.select(G.legal_basis).where(where).first()
        if current is None:
            if not agency["is_active"]:
                raise SharingError("该部门已停用，不能新增授权")
            await G.insert(
                G(
                    agency=agency["id"],
                    category=category,
                    granted_at=_now(),
                    legal_basis=basis,
                    granted_by=actor.account_id,
                )
            )
            action, old = ChangeAction.GRANT, ""
        elif current["legal_basis"] == basis:
            raise SharingError("该部门已获此类别授权，依据未变化")
        else:
            old = current["legal_basis"]
            changed = (
                await G.update({G.legal_basis: basis, G.granted_by: actor.account_id})
                .where(where & (G.legal_basis == old))
                .returning(G.id)
            )
            if not changed:
                raise SharingError(_RACE)
            action = ChangeAction.AMEND
        await _log(actor, RuleKind.AGENCY, category, action, old, basis, basis, agency=agency["id"])
    return action


async def revoke_agency(actor: Actor, agency_id: int | str, category: str, legal_basis: str) -> None:
    """Revoke an agency's class-C grant: the row in force goes, the history keeps it."""
    agency, category, basis = await _agency(agency_id), _category(category), _basis(legal_basis)
    G = AgencyGrant
    async with _transaction():
        removed = await G.delete().where((G.agency == agency["id"]) & (G.category == category)).returning(G.legal_basis)
        if not removed:
            raise SharingError("该部门未获此类别授权")
        await _log(
            actor, RuleKind.AGENCY, category, ChangeAction.REVOKE, removed[0]["legal_basis"], "", basis, agency["id"]
        )


# --- the staff page -----------------------------------------------------------------------------


async def overview() -> dict:
    """Every category with its authorisation mark, and every agency with its grants."""
    S, G = ShareableCategory, AgencyGrant
    marks = {
        r["category"]: r
        for r in await S.select(S.category, S.legal_basis, S.marked_at, S.marked_by.username.as_alias("marked_by_name"))
    }
    categories = [
        {"code": c.code, "label": c.label, "subject_kind": c.subject_kind, "mark": marks.get(c.code)}
        for c in CATEGORIES.values()
    ]
    agencies = await Agency.select(Agency.id, Agency.name, Agency.code, Agency.is_active).order_by(Agency.name)
    grants: dict[int, list[dict]] = {}
    for g in await G.select(
        G.agency, G.category, G.legal_basis, G.granted_at, G.granted_by.username.as_alias("granted_by_name")
    ).order_by(G.category):
        g["label"] = CATEGORIES[g["category"]].label if g["category"] in CATEGORIES else g["category"]
        g["legacy"] = g["legal_basis"] == LEGACY_GRANT_BASIS
        grants.setdefault(g["agency"], []).append(g)
    return {
        "categories": categories,
        "agencies": [{**a, "grants": grants.get(a["id"], [])} for a in agencies],
        "granted_agencies": [{**a, "grants": grants[a["id"]]} for a in agencies if a["id"] in grants],
    }


async def history(before: int | None = None, limit: int = HISTORY_PAGE) -> tuple[list[dict], int | None]:
    """Changes newest first, keyset-paged by id; returns the rows and the ``before`` of the next page."""
    C = SharingChange
    query = C.select(
        C.id, C.changed_at, C.actor, C.actor_name, C.rule, C.category, C.action,
        C.old_basis, C.new_basis, C.basis, C.agency.name.as_alias("agency_name"),
    )  # fmt: skip
    if before is not None:
        query = query.where(C.id < before)
    rows = await query.order_by(C.id, ascending=False).limit(limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    for r in rows:
        r["category_label"] = CATEGORIES[r["category"]].label if r["category"] in CATEGORIES else r["category"]
    return rows, (rows[-1]["id"] if more else None)
