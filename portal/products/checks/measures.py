"""联合奖惩措施清单 (R-P5, JX 五(十一)): the incentive and sanction measures per list and matter
domain, with their basis, kept by credit-centre staff. A change never edits a row: it adds a new
version and marks the old one superseded, so the catalogue's history stays readable."""

from __future__ import annotations

from datetime import datetime, timezone

from portal.authorizations.reasons import AGENCY_REASONS
from portal.lists.tables import ListType
from portal.products.checks.tables import Measure, MeasureStatus

__all__ = ["DOMAINS", "MeasureError", "add", "revise", "withdraw", "history", "applicable", "catalogue"]

M = Measure
ALL = "all"
DOMAINS: dict[str, str] = {ALL: "所有事项", **AGENCY_REASONS}
"""Matter domains (事项领域): the duty reasons of an agency's query, plus measures for all."""


class MeasureError(ValueError):
    """The measure cannot be saved as given; the message is Chinese."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _clean(list_type: str, domain: str, content: str, basis: str) -> tuple[str, str, str, str]:
    if list_type not in ListType.LABELS:
        raise MeasureError("请选择红名单（激励）或黑名单（惩戒）")
    if domain not in DOMAINS:
        raise MeasureError("请选择适用的事项领域")
    content, basis = (content or "").strip(), (basis or "").strip()
    if not 4 <= len(content) <= 1000:
        raise MeasureError("措施内容应为 4 至 1000 字")
    if not 4 <= len(basis) <= 1000:
        raise MeasureError("请写明措施依据（文件及条款），4 至 1000 字")
    return list_type, domain, content, basis


async def add(list_type: str, domain: str, content: str, basis: str, actor: str) -> str:
    """A new measure (version 1); returns its code."""
    list_type, domain, content, basis = _clean(list_type, domain, content, basis)
    row = M(
        list_type=list_type,
        domain=domain,
        content=content,
        basis=basis,
        code="",
        changed_by=actor[:100],
        change_note="新增",
        changed_at=_now(),
    )
    await row.save()
    code = f"M{row.id:05d}"
    await M.update({M.code: code}).where(M.id == row.id)
    return code


async def _current_row(code: str) -> dict:
    row = await M.select().where((M.code == code) & (M.status == MeasureStatus.CURRENT)).first()
    if row is None:
        raise MeasureError("没有该现行措施")
    return row


async def revise(code: str, domain: str, content: str, basis: str, note: str, actor: str) -> int:
    """A new version of a current measure; the old one is kept as superseded. Returns the version."""
    old = await _current_row(code)
    _, domain, content, basis = _clean(old["list_type"], domain, content, basis)
    if not (note or "").strip():
        raise MeasureError("请写明修订说明")
    async with M._meta.db.transaction():
        await M.update({M.status: MeasureStatus.SUPERSEDED}).where(M.id == old["id"])
        await M.insert(
            M(
                code=code,
                version=old["version"] + 1,
                list_type=old["list_type"],
                domain=domain,
                content=content,
                basis=basis,
                changed_by=actor[:100],
                change_note=note.strip()[:500],
                changed_at=_now(),
            )
        )
    return old["version"] + 1


async def withdraw(code: str, note: str, actor: str) -> None:
    old = await _current_row(code)
    if not (note or "").strip():
        raise MeasureError("请写明停止适用的原因")
    await M.update(
        {
            M.status: MeasureStatus.WITHDRAWN,
            M.change_note: f"停止适用：{note.strip()[:480]}",
            M.changed_by: actor[:100],
            M.changed_at: _now(),
        }
    ).where(M.id == old["id"])


async def catalogue() -> list[dict]:
    """Current measures, by list and domain."""
    return (
        await M.select()
        .where(M.status == MeasureStatus.CURRENT)
        .order_by(M.list_type)
        .order_by(M.domain)
        .order_by(M.code)
    )


async def history(code: str) -> list[dict]:
    return await M.select().where(M.code == code).order_by(M.version, ascending=False)


async def applicable(list_types: set[str], domain: str) -> list[dict]:
    """Current measures that apply to a subject on these lists in this domain (and to all domains)."""
    if not list_types:
        return []
    return (
        await M.select(M.code, M.version, M.list_type, M.domain, M.content, M.basis)
        .where(
            (M.status == MeasureStatus.CURRENT) & M.list_type.is_in(sorted(list_types)) & M.domain.is_in([domain, ALL])
        )
        .order_by(M.code)
    )
