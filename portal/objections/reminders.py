"""Reminders before an objection's deadline and notices once it passed (R-23, R-13 spirit): the
party whose turn it is — centre staff to forward or tell, the providing agency to answer — hears
once per stage when one working day is left, once when it is overdue, and once when the calendar
lacks the year the deadline runs into. Every reminder is a step of the objection (SPEC §5)."""

from __future__ import annotations

from datetime import date, datetime, timezone

from portal.accounts.tables import Account, Role
from portal.agencies.service import officer_ids
from portal.calendar.service import load_calendar
from portal.lib.dates import today_cn
from portal.notices.service import notify
from portal.objections import outcome
from portal.objections.stages import OPEN_STAGES, Stage, due_of
from portal.objections.tables import Objection, ObjectionStep

__all__ = ["send_reminders", "run"]

OB = Objection


async def _staff() -> list[int]:
    rows = await Account.select(Account.id).where((Account.role == Role.STAFF) & (Account.is_active == True))  # noqa: E712
    return [r["id"] for r in rows]


def _kind_of(due) -> str | None:
    if due is None:
        return None
    if due.unknown_year:
        return "calendar"
    if due.overdue:
        return "overdue"
    if due.left <= 1:
        return "remind"
    return None


def _text(kind: str, number: str, due) -> str:
    if kind == "calendar":
        return f"异议{number}的期限无法计算：{due.unknown_year}年的法定节假日安排尚未录入，请在工作日历中录入并确认。"
    if kind == "overdue":
        return f"异议{number}的“{due.duty}”已于{due.on:%Y年%m月%d日}到期，{due.message}，请立即办理。"
    return f"异议{number}的“{due.duty}”将于{due.on:%Y年%m月%d日}到期（{due.message}），请及时办理。"


async def send_reminders(today: date | None = None) -> int:
    """One pass over the open objections; returns how many reminders went out."""
    today = today or today_cn()
    calendar = await load_calendar()
    rows = await OB.select(
        OB.id, OB.number, OB.agency, OB.stage, OB.received_on, OB.forwarded_on, OB.answered_on
    ).where(OB.stage.is_in(list(OPEN_STAGES)))
    sent_steps = await ObjectionStep.select(ObjectionStep.objection, ObjectionStep.note).where(
        ObjectionStep.action.is_in(["remind", "overdue"])
        & ObjectionStep.objection.is_in([r["id"] for r in rows] or [0])
    )
    sent = {(s["objection"], s["note"]) for s in sent_steps}
    staff = None
    count = 0
    for row in rows:
        due = due_of(row, calendar, today)
        kind = _kind_of(due)
        key = f"{row['stage']}:{kind}"
        if kind is None or (row["id"], key) in sent:
            continue
        if kind == "calendar" or row["stage"] != Stage.FORWARDED:
            staff = staff if staff is not None else await _staff()
            to = staff
        else:
            to = await officer_ids(row["agency"])
        text = _text(kind, row["number"], due)
        base = "/agency/objections/" if row["stage"] == Stage.FORWARDED and kind != "calendar" else "/staff/objections/"
        async with OB._meta.db.transaction():
            for account_id in to:
                await notify(
                    account_id,
                    "objection",
                    "异议办理期限提醒" if kind != "overdue" else "异议办理已超期",
                    text,
                    f"{base}{row['id']}",
                )
            await ObjectionStep.insert(
                ObjectionStep(
                    objection=row["id"],
                    action="overdue" if kind == "overdue" else "remind",
                    actor_label="系统",
                    note=key,
                    at=datetime.now(timezone.utc),
                )
            )
        count += 1
    return count


async def run() -> str:
    """The housekeeping job: reminders, and past recipients not yet told of a correction (R-24)."""
    reminded = await send_reminders()
    retried = await outcome.retry_recipients()
    return f"reminders: {reminded}, recipients retried: {retried}"
