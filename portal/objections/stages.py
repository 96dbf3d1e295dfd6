"""The objection procedure as pure rules (R-22 … R-24): stages, outcomes, and the deadline of
each stage counted in working days on the PRC calendar (SPEC §6). No I/O here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from portal.lib.workdays import UnknownCalendarYear, WorkdayCalendar

__all__ = [
    "ObjectionError",
    "Stage",
    "STEP_LABELS",
    "Outcome",
    "Channel",
    "Due",
    "DEADLINE_DAYS",
    "due_of",
    "is_open",
    "OPEN_STAGES",
]


MAX_DOCUMENTS = 5
"""Evidence or verification documents per objection and party."""


class ObjectionError(ValueError):
    """A problem the person can fix; the message is shown as is (Chinese)."""

    def __init__(self, message: str, status: int = 400, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.fields = fields or {}
        """Field name → message, shown beside that field of the form."""


class Stage:
    RECEIVED = "received"  # 已受理，待转送提供单位
    FORWARDED = "forwarded"  # 已转送，提供单位核查中
    ANSWERED = "answered"  # 提供单位已答复，待书面告知申请人
    CLOSED = "closed"  # 已书面告知，办结
    WITHDRAWN = "withdrawn"  # 申请人撤回
    LABELS = {
        RECEIVED: "已受理，待转送",
        FORWARDED: "提供单位核查中",
        ANSWERED: "待书面告知",
        CLOSED: "已办结",
        WITHDRAWN: "已撤回",
    }


OPEN_STAGES = (Stage.RECEIVED, Stage.FORWARDED, Stage.ANSWERED)


class Outcome:
    UPHELD = "upheld"  # 维持
    CORRECTED = "corrected"  # 更正
    REVOKED = "revoked"  # 撤销
    FINDINGS = {UPHELD: "信息无误，予以维持", CORRECTED: "信息有误，予以更正", REVOKED: "信息有误，予以撤销"}
    LABELS = {code: f"经核查{finding}" for code, finding in FINDINGS.items()}
    SHORT = {UPHELD: "维持", CORRECTED: "更正", REVOKED: "撤销"}


class Channel:
    ONLINE = "online"
    COUNTER = "counter"
    LABELS = {ONLINE: "网上提出", COUNTER: "窗口书面提出"}


STEP_LABELS = {
    "filed": "网上提出异议",
    "counter": "窗口登记书面异议",
    "forwarded": "信用中心转送提供单位",
    "answered": "提供单位核查答复",
    "told": "信用中心书面告知申请人",
    "withdrawn": "申请人撤回",
    "recipients": "通知曾获提供该信息的查询方",
    "remind": "期限提醒",
    "overdue": "超期提醒",
}


# the centre forwards within 3 working days of receipt; the provider verifies within 15 of
# receiving it; the centre tells the applicant in writing within 2 of the provider's answer.
DEADLINE_DAYS = {Stage.RECEIVED: 3, Stage.FORWARDED: 15, Stage.ANSWERED: 2}
DUTY = {Stage.RECEIVED: "信用中心转送", Stage.FORWARDED: "提供单位核查答复", Stage.ANSWERED: "信用中心书面告知"}


def is_open(stage: str) -> bool:
    """R-24: while open the record stays published and in force, marked 异议处理中."""
    return stage in OPEN_STAGES


def _start(row: dict) -> date | None:
    return {
        Stage.RECEIVED: row.get("received_on"),
        Stage.FORWARDED: row.get("forwarded_on"),
        Stage.ANSWERED: row.get("answered_on"),
    }.get(row["stage"])


@dataclass(frozen=True)
class Due:
    """The deadline of the current stage, or why it cannot be counted."""

    duty: str = ""
    on: date | None = None
    left: int | None = None
    """Working days left after today (0: due today; negative: overdue by that many)."""
    unknown_year: int | None = None
    """Set when the calendar lacks the holiday arrangement of a year the count runs into."""

    @property
    def overdue(self) -> bool:
        return self.left is not None and self.left < 0

    @property
    def message(self) -> str:
        if self.unknown_year:
            return f"无法计算期限：{self.unknown_year}年的法定节假日安排尚未录入工作日历"
        if self.on is None:
            return ""
        if self.left < 0:
            return f"已超期 {-self.left} 个工作日"
        if self.left == 0:
            return "今日到期"
        return f"剩余 {self.left} 个工作日"


def due_of(row: dict, calendar: WorkdayCalendar, today: date) -> Due | None:
    """The current stage's deadline (None once closed or withdrawn). Never guesses a year the
    calendar does not know: the answer then names that year instead of a date."""
    start = _start(row)
    if start is None:
        return None
    stage = row["stage"]
    try:
        on = calendar.add_workdays(start, DEADLINE_DAYS[stage])
        left = calendar.workdays_between(today, on)
    except UnknownCalendarYear as exc:
        return Due(duty=DUTY[stage], unknown_year=exc.year)
    return Due(duty=DUTY[stage], on=on, left=left)
