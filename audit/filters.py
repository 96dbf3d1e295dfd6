"""The auditor's filter form ⇄ ``BrowseFilters`` (issue 3 item 10): parsing, checks, query strings.

Dates are China calendar days (Asia/Shanghai, UTC+8, no DST) turned into a UTC half-open range:
``from=2026-03-01&to=2026-03-31`` is ``[2026-02-28T16:00Z, 2026-03-31T16:00Z)``. Bad input raises
``FilterError`` with a Chinese message (the page answers 400, never 500).

The subject filter is only ever the keyed ``subject_ref`` digest: a value that looks like an ID
number or USCC is refused, so a raw identifier cannot be browsed by URL (DESIGN rule 4). The
identifier itself is posted to ``/audit/subjects`` and turned into the digest there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time, timedelta, timezone
from urllib.parse import urlencode

from audit.events import looks_like_id
from audit.service import BrowseFilters, decode_key

__all__ = ["CHINA", "FilterError", "FilterForm", "to_china"]

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:_.\-]{0,199}$")
_CODE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
SEQ_MAX = 2**63 - 1  # a sequence number both SQLite and PostgreSQL can compare with
_OUTCOME = re.compile(r"^(allowed|refused|refused:[a-z0-9_]{1,64})$")

# URL parameter → form field (the same names on /audit/log and the exports).
PARAMS = {
    "from": "date_from",
    "to": "date_to",
    "requester": "requester",
    "org": "org",
    "subject_ref": "subject_ref",
    "method": "method",
    "reason": "reason",
    "outcome": "outcome",
}
_LIMITS = {"date_from": 10, "date_to": 10, "requester": 64, "org": 200, "method": 32, "reason": 64, "outcome": 80}


ID_IN_FILTER = (
    "“查询账号”和“查询机构”筛选不接受公民身份号码或统一社会信用代码。要查看某一信用主体被查询的记录，"
    "请在“按主体汇总”页的表单中提交统一社会信用代码，或姓名和公民身份号码，系统会换算为主体摘要。"
)


class FilterError(ValueError):
    """Bad filter input; ``str(exc)`` is the Chinese message for the auditor."""


def to_china(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(CHINA)


def _day(value: str, label: str) -> date | None:
    if not value:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError
        day = date.fromisoformat(value)
        if not 1900 <= day.year <= 9000:
            raise ValueError
        return day
    except ValueError:
        raise FilterError(f"{label}格式应为 年-月-日，如 2026-01-31") from None


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), CHINA).astimezone(timezone.utc)


@dataclass(frozen=True)
class FilterForm:
    """The filter values as typed (echoed back into the form and into paging/export links)."""

    date_from: str = ""
    date_to: str = ""
    requester: str = ""
    org: str = ""
    subject_ref: str = ""
    method: str = ""
    reason: str = ""
    outcome: str = ""

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> FilterForm:
        values = {}
        for param, name in PARAMS.items():
            raw = query.get(param) or ""
            values[name] = raw.strip() if isinstance(raw, str) else ""
        return cls(**values)

    def query(self, **extra: str | None) -> str:
        """``from=…&to=…`` with the non-empty values (plus ``extra``), for links."""
        pairs = [(param, getattr(self, name)) for param, name in PARAMS.items() if getattr(self, name)]
        pairs += [(k, v) for k, v in extra.items() if v]
        return urlencode(pairs)

    def without_ids(self) -> FilterForm:
        """The form to echo back after a refusal: an identifier is never written into the page (rule 4)."""
        cleared = {n: "" for n in ("requester", "org", "subject_ref") if looks_like_id(getattr(self, n))}
        return replace(self, **cleared)

    @property
    def active(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    def to_filters(self, methods: Mapping[str, str] | None = None) -> BrowseFilters:
        """Checked ``BrowseFilters``; ``FilterError`` (Chinese) for anything malformed."""
        for name, limit in _LIMITS.items():
            value = getattr(self, name)
            if len(value) > limit or _CONTROL.search(value):
                raise FilterError("筛选条件过长或含有不允许的字符")
        # Rule 4: an ID number typed here would sit in the URL, the server log and the export.
        if looks_like_id(self.requester) or looks_like_id(self.org):
            raise FilterError(ID_IN_FILTER)
        day_from, day_to = _day(self.date_from, "起始日期"), _day(self.date_to, "截止日期")
        if day_from and day_to and day_from > day_to:
            raise FilterError("起始日期不能晚于截止日期")
        ref = self.subject_ref
        if ref and (looks_like_id(ref) or not _REF.match(ref)):
            raise FilterError(
                "主体筛选只接受主体摘要。请在“按主体查询”中提交统一社会信用代码，或姓名和公民身份号码，"
                "系统会换算为摘要；地址栏中不得出现身份号码。"
            )
        if self.method and (not _CODE.match(self.method) or (methods is not None and self.method not in methods)):
            raise FilterError("未知的查询方式")
        if self.reason and not _CODE.match(self.reason):
            raise FilterError("查询事由代码格式不正确")
        if self.outcome and not _OUTCOME.match(self.outcome):
            raise FilterError("未知的查询结果")
        return BrowseFilters(
            time_from=_start_of(day_from) if day_from else None,
            time_to=_start_of(day_to + timedelta(days=1)) if day_to else None,
            requester_account=self.requester or None,
            requester_org=self.org or None,
            subject_ref=ref or None,
            method=self.method or None,
            reason_code=self.reason or None,
            outcome=self.outcome or None,
        )


def check_key(after: str | None) -> str | None:
    """The paging key from the URL, checked (``FilterError`` if it was mangled)."""
    if not after:
        return None
    if len(after) > 80:
        raise FilterError("翻页参数无效，请重新查询")
    try:
        _, seq = decode_key(after)
    except ValueError:
        raise FilterError("翻页参数无效，请重新查询") from None
    if not 0 <= seq <= SEQ_MAX:
        raise FilterError("翻页参数无效，请重新查询")
    return after
