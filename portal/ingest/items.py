"""One reported item, parsed and checked (R-07 … R-12): the rules every reporting path shares —
system interface, Excel upload, single entry. Pure: no database, no clock but ``today``.

An item is a mapping (JSON object, workbook row, form) with an ``action``:

- ``create``: a new record, keyed by the provider's own ``record_id``;
- ``correct``: changed items of an existing record, with a ``reason`` (R-11);
- ``revoke``: withdraw a wrong record, with a ``reason`` (R-11, R-23).

``parse`` returns an ``Item`` or the complete list of ``FieldError``s (every problem at once, each
naming the field, a code and a Chinese message). A message never repeats what was typed: a value
that is refused because it must not be collected (R-09) must not travel on in an error report.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from portal.ingest import forbidden
from portal.lib import id_number as idn
from portal.lib import uscc as uscc_rules
from portal.records.categories import CATEGORIES, Polarity
from portal.records.tables import DisclosureClass, RecordType

__all__ = [
    "Item",
    "FieldError",
    "ItemRejected",
    "parse",
    "forbidden_errors",
    "checked_correction",
    "not_correctable",
    "ACTIONS",
    "FIXED_LABELS",
    "CORRECTABLE",
    "PENALTY_FIELDS",
    "LICENSE_FIELDS",
]

ACTIONS = ("create", "correct", "revoke")
CORRECTABLE = (
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
PENALTY_FIELDS = {
    "violation_type": ("违法行为类型", True, 100),
    "violation_facts": ("违法事实", False, 2000),
    "legal_basis": ("处罚依据", False, 2000),
    "penalty_category": ("处罚类别", True, 64),
    "penalty_content": ("处罚内容", False, 2000),
    "license_action": ("暂扣或吊销证照", False, 200),
    "authority": ("处罚机关", True, 100),
}
LICENSE_FIELDS = {
    "project_name": ("项目名称", True, 200),
    "approval_category": ("审批类别", True, 16),
    "license_content": ("许可内容", False, 2000),
    "authority": ("许可机关", True, 100),
}
_CREATE_KEYS = frozenset(
    {"action", "record_id", "subject", "record_type", "category", "disclosure_class", "polarity", "title", "content"}
    | {"doc_number", "decision_date", "publicity_end", "act_end_date", "penalty", "license", "consent_ref"}
)
_SUBJECT_KEYS = frozenset({"kind", "uscc", "name", "id_number"})
_DETAIL_KEYS = {
    "penalty": frozenset(PENALTY_FIELDS) | {"fine_amount", "confiscated_amount", "valid_to"},
    "license": frozenset(LICENSE_FIELDS) | {"valid_from", "valid_to"},
}
FIXED_LABELS = {
    "record_type": "信息种类",
    "subject.kind": "行政相对人类别",
    "subject.name": "行政相对人名称",
    "subject.uscc": "统一社会信用代码",
    "subject.id_number": "公民身份号码",
    **{f"penalty.{k}": label for k, (label, _, _) in PENALTY_FIELDS.items()},
    "penalty.fine_amount": "罚款金额（万元）",
    "penalty.confiscated_amount": "没收违法所得金额（万元）",
    "penalty.valid_to": "处罚有效期",
    **{f"license.{k}": label for k, (label, _, _) in LICENSE_FIELDS.items()},
    "license.valid_from": "有效期自",
    "license.valid_to": "有效期至",
}
"""What a correction cannot change (the subject, the type, the details), named as the template's
columns: a correction may repeat them as stored, never change them (R-11)."""
# The Chinese names of the fields a message may name (the templates' column headers).
FIELD_LABELS = {"title": "信息名称", "content": "信息内容", "doc_number": "决定书文号", **FIXED_LABELS}
_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$")
_TYPE_CATEGORIES = {
    RecordType.LICENSE: {"license", "person_license"},
    RecordType.PENALTY: {"penalty", "person_penalty"},
}


@dataclass(frozen=True)
class FieldError:
    field: str
    code: str
    message: str

    def as_dict(self) -> dict:
        return {"field": self.field, "code": self.code, "message": self.message}


class ItemRejected(ValueError):
    """Raised by the apply step for a problem it finds against stored data."""

    def __init__(self, *errors: FieldError) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = list(errors)


@dataclass
class Item:
    action: str
    ref: str
    """The provider's own record id."""
    reason: str = ""
    subject_kind: str = ""
    uscc: str = ""
    id_number: str = ""
    subject_name: str = ""
    record_type: str = RecordType.GENERAL
    values: dict = field(default_factory=dict)
    """Record columns (create: all; correct: the changed ones)."""
    detail: dict = field(default_factory=dict)
    """PenaltyDetail or LicenseDetail columns."""
    consent_ref: str = ""
    raw: Mapping = field(default_factory=dict)
    """The item as received, for the checks that need the stored subject (R-09 on a correction)."""
    fixed: dict = field(default_factory=dict)
    """correct: what it repeats of the items it cannot change (``FIXED_LABELS``), to be compared
    with the stored record, never applied."""


class _Errors:
    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, name: str, code: str, message: str) -> None:
        self.items.append(FieldError(name, code, message))


def _text(raw: Mapping, name: str, label: str, errors: _Errors, *, required: bool, limit: int) -> str:
    value = raw.get(name)
    if value is None:
        value = ""
    if not isinstance(value, (str, int, float, Decimal)):
        errors.add(name, "invalid", f"{label}应为文字")
        return ""
    value = str(value).strip()
    if required and not value:
        errors.add(name, "required", f"请填写{label}")
    elif len(value) > limit:
        errors.add(name, "too_long", f"{label}不能超过{limit}字")
        return ""
    return value


def _date(raw: Mapping, name: str, label: str, errors: _Errors, *, required: bool) -> date | None:
    value = raw.get(name)
    if value in (None, ""):
        if required:
            errors.add(name, "required", f"请填写{label}")
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        errors.add(name, "invalid_date", f"{label}应为日期，格式 YYYY-MM-DD")
        return None


def _money(raw: Mapping, name: str, label: str, errors: _Errors) -> Decimal | None:
    value = raw.get(name)
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        errors.add(name, "invalid_amount", f"{label}应为数字（万元）")
        return None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e10"):
        errors.add(name, "invalid_amount", f"{label}应为不小于 0 的数字（万元）")
        return None
    return amount.quantize(Decimal("0.0001"))


def _subject(raw: Mapping, item: Item, errors: _Errors) -> None:
    subject = raw.get("subject")
    if not isinstance(subject, Mapping):
        errors.add("subject", "required", "请填写信用主体（统一社会信用代码，或自然人姓名和公民身份号码）")
        return
    kind = str(subject.get("kind") or "legal")
    if kind not in ("legal", "natural"):
        errors.add("subject.kind", "invalid", "主体类型应为 legal（法人和其他组织）或 natural（自然人）")
        return
    item.subject_kind = kind
    item.subject_name = _text(
        subject, "name", "主体名称", _Prefixed(errors, "subject."), required=kind == "natural", limit=200
    )
    if kind == "legal":
        code = uscc_rules.normalize(str(subject.get("uscc") or ""))
        if problem := uscc_rules.validation_error(code):
            errors.add("subject.uscc", "invalid_uscc", problem)
        item.uscc = code
    else:
        number = idn.normalize(str(subject.get("id_number") or ""))
        if problem := idn.validation_error(number):
            errors.add("subject.id_number", "invalid_id_number", problem)  # never echoes the number
        item.id_number = number


class _Prefixed(_Errors):
    """Errors of a nested object, named ``subject.name`` etc."""

    def __init__(self, parent: _Errors, prefix: str) -> None:
        self.parent, self.prefix = parent, prefix

    def add(self, name: str, code: str, message: str) -> None:
        self.parent.add(self.prefix + name, code, message)


def _record_values(raw: Mapping, item: Item, errors: _Errors, today: date, *, partial: bool) -> dict:
    values: dict = {}

    def wanted(name: str) -> bool:
        return not partial or name in raw

    if wanted("title"):
        values["title"] = _text(raw, "title", "信息名称", errors, required=True, limit=200)
    if wanted("content"):
        values["content"] = _text(raw, "content", "信息内容", errors, required=False, limit=4000)
    if wanted("doc_number"):
        values["doc_number"] = _text(raw, "doc_number", "决定书文号", errors, required=False, limit=100)
    if wanted("decision_date"):
        decided = _date(raw, "decision_date", "决定日期", errors, required=True)
        if decided and decided > today:
            errors.add("decision_date", "future_date", "决定日期不能晚于今天")
        values["decision_date"] = decided
    for name, label in (("publicity_end", "公示截止日期"), ("act_end_date", "失信行为结束日期")):
        if wanted(name):
            values[name] = _date(raw, name, label, errors, required=False)
    # dishonesty is provided for 5 years from the end of the act; an end not yet reached
    # would keep a record published for ever.
    if values.get("act_end_date") and values["act_end_date"] > today:
        errors.add("act_end_date", "future_date", "失信行为结束日期不能晚于今天；行为尚未结束的请不填")
    decided = values.get("decision_date")
    if decided and values.get("publicity_end") and values["publicity_end"] < decided:
        errors.add("publicity_end", "before_decision", "公示截止日期不能早于决定日期")
    if wanted("category"):
        code = str(raw.get("category") or "").strip()
        category = CATEGORIES.get(code)
        if category is None:
            errors.add("category", "unknown_category", "未知的信息类别，请按模板中的类别代码填写")
        elif item.subject_kind and category.subject_kind != item.subject_kind:
            kind = "自然人" if category.subject_kind == "natural" else "法人和其他组织"
            errors.add("category", "category_kind", f"该类别只用于{kind}")
        values["category"] = code
        if category and not partial and not raw.get("polarity"):
            values["polarity"] = category.polarity  # the category's default polarity
    if raw.get("polarity") or (partial and "polarity" in raw):
        polarity = str(raw.get("polarity") or "").strip()
        if polarity not in Polarity.LABELS:
            errors.add("polarity", "invalid", "信息性质应为 positive（守信）、negative（失信）或 neutral（一般信息）")
        values["polarity"] = polarity
    if wanted("disclosure_class"):
        cls = str(raw.get("disclosure_class") or "").strip().upper()
        if cls not in DisclosureClass.LABELS:
            errors.add("disclosure_class", "invalid_class", "公开类别应为 A（社会公开）、B（部门共享）或 C（有限共享）")
        values["disclosure_class"] = cls
    return values


def _detail(raw: Mapping, item: Item, errors: _Errors, today: date) -> dict:
    if item.record_type == RecordType.GENERAL:
        return {}
    name, fields_ = (
        ("penalty", PENALTY_FIELDS) if item.record_type == RecordType.PENALTY else ("license", LICENSE_FIELDS)
    )
    detail = raw.get(name)
    if not isinstance(detail, Mapping):
        errors.add(name, "required", "行政处罚须填写处罚信息" if name == "penalty" else "行政许可须填写许可信息")
        return {}
    nested = _Prefixed(errors, f"{name}.")
    out = {
        key: _text(detail, key, label, nested, required=req, limit=limit)
        for key, (label, req, limit) in fields_.items()
    }
    if name == "penalty":
        out["fine_amount"] = _money(detail, "fine_amount", "罚款金额", nested)
        out["confiscated_amount"] = _money(detail, "confiscated_amount", "没收违法所得金额", nested)
        out["valid_to"] = _date(detail, "valid_to", "处罚有效期", nested, required=False)
    else:
        out["valid_from"] = _date(detail, "valid_from", "有效期自", nested, required=False)
        out["valid_to"] = _date(detail, "valid_to", "有效期至", nested, required=False)
        if out["valid_from"] and out["valid_to"] and out["valid_to"] < out["valid_from"]:
            nested.add("valid_to", "before_start", "有效期至不能早于有效期自")
    return out


def forbidden_errors(raw: Mapping, subject_kind: str, consent_ref: str) -> list[FieldError]:
    """R-09: forbidden fields and recognisable forbidden content, by name and (for natural persons)
    by text; income, deposits … only with a well-formed written-consent reference."""
    fields = {k: v for k, v in raw.items() if k not in ("action", "record_id", "consent_ref")}
    return [
        FieldError(p.field, p.code, p.message)
        for p in forbidden.check(fields, subject_kind=subject_kind, consent_ref=consent_ref, labels=FIELD_LABELS)
    ]


def not_correctable(paths: list[str]) -> FieldError:
    """R-11: a correction that would change the subject or the details is refused whole, saying
    which columns and what to do instead."""
    names = "、".join(FIXED_LABELS.get(p, p) for p in paths)
    return FieldError(paths[0], "not_correctable", f"更正不能修改：{names}；请撤销后重新报送")


def _fixed(raw: Mapping, errors: _Errors) -> dict:
    """The items a correction repeats but cannot change, normalised as a create reads them."""
    out: dict = {}
    for name in ("subject", "penalty", "license"):
        if raw.get(name) is not None and not isinstance(raw[name], Mapping):
            errors.add(name, "invalid", "应为一个对象（各项目的名称和值）")
    if raw.get("record_type") not in (None, ""):
        out["record_type"] = str(raw["record_type"]).strip()
    subject = raw.get("subject")
    if isinstance(subject, Mapping):
        for key, value in subject.items():
            if key not in _SUBJECT_KEYS:
                errors.add(f"subject.{str(key)[:64]}", "unknown_field", _UNKNOWN)
            elif value not in (None, ""):
                value = str(value).strip()
                normal = {"uscc": uscc_rules.normalize, "id_number": idn.normalize}.get(key)
                out[f"subject.{key}"] = normal(value) if normal else value
    for name in ("penalty", "license"):
        detail = raw.get(name)
        if not isinstance(detail, Mapping):
            continue
        nested = _Prefixed(errors, f"{name}.")
        for key, value in detail.items():
            label = FIXED_LABELS.get(f"{name}.{key}")
            if label is None:
                errors.add(f"{name}.{str(key)[:64]}", "unknown_field", _UNKNOWN)
            elif value in (None, ""):
                continue
            elif key in ("fine_amount", "confiscated_amount"):
                out[f"{name}.{key}"] = _money(detail, key, label, nested)
            elif key in ("valid_from", "valid_to"):
                out[f"{name}.{key}"] = _date(detail, key, label, nested, required=False)
            else:
                out[f"{name}.{key}"] = _text(detail, key, label, nested, required=False, limit=4000)
    return out


def checked_correction(
    changes: Mapping, current: Mapping, subject_kind: str, today: date, *, reason: str = "", consent_ref: str = ""
) -> dict | list[FieldError]:
    """A correction of a stored record by the rules of a report (R-11, R-12), whichever path it comes
    by: the changed items (typed or as typed in a form) checked as ``parse`` checks them, against the
    record's subject kind, type and the dates it keeps; R-09 on what is written. The normalised
    values, or every problem."""
    errors = _Errors()
    item = Item(action="correct", ref="", subject_kind=subject_kind, record_type=current.get("record_type", ""))
    values = _record_values(changes, item, errors, today, partial=True)
    if not ("decision_date" in values and "publicity_end" in values):  # both new: checked above
        decided = values.get("decision_date", current.get("decision_date"))
        end = values.get("publicity_end", current.get("publicity_end"))
        if decided and end and end < decided and not errors.items:
            name = "publicity_end" if "publicity_end" in values else "decision_date"
            errors.add(name, "before_decision", "公示截止日期不能早于决定日期")
    allowed = _TYPE_CATEGORIES.get(item.record_type)
    if allowed and values.get("category") and values["category"] not in allowed:
        label = RecordType.LABELS[item.record_type]
        errors.add("category", "category_type", f"{label}的类别应为 {'、'.join(sorted(allowed))}")
    errors.items.extend(forbidden_errors({**changes, "reason": reason}, subject_kind, consent_ref))
    return errors.items or values


_FIXED_GROUPS = ("record_type", "subject", "penalty", "license")
_UNKNOWN = "模板中没有这一项，请删除或改用模板中的项目名称"


def _unknown(raw: Mapping, errors: _Errors, flagged: set[str]) -> None:
    """Every field must be one the template names: a typo is not silently dropped, and nothing the
    platform has no column for slips in under another name. (A forbidden one is named as such.)"""
    for key in raw:
        if key not in _CREATE_KEYS and str(key) not in flagged:
            errors.add(str(key)[:64], "unknown_field", _UNKNOWN)
    nested = {"subject": _SUBJECT_KEYS, **_DETAIL_KEYS}
    for name, allowed in nested.items():
        value = raw.get(name)
        if isinstance(value, Mapping):
            for key in value:
                if key not in allowed and f"{name}.{key}" not in flagged:
                    errors.add(f"{name}.{str(key)[:64]}", "unknown_field", _UNKNOWN)


def parse(raw: object, today: date) -> Item | list[FieldError]:
    """The item, or every problem with it (R-12: a report is checked item by item)."""
    errors = _Errors()
    if not isinstance(raw, Mapping):
        return [FieldError("", "invalid", "每一项应为一个对象")]
    action = str(raw.get("action") or "").strip()
    if action not in ACTIONS:
        errors.add("action", "invalid_action", "操作应为新增（create）、更正（correct）或撤销（revoke）")
    ref = str(raw.get("record_id") or "").strip()
    if not _REF.match(ref):
        errors.add("record_id", "invalid_record_id", "记录编号应为本单位的编号：1–64 位字母、数字或 ._:/-")
    item = Item(action=action, ref=ref, raw=raw)
    if action in ("correct", "revoke"):
        item.reason = _text(raw, "reason", "更正或撤销原因", errors, required=True, limit=500)
    consent_ref = str(raw.get("consent_ref") or "").strip()
    if action == "create":
        _subject(raw, item, errors)
        refused = forbidden_errors(raw, item.subject_kind or "natural", consent_ref)
        errors.items.extend(refused)
        _unknown(raw, errors, {e.field for e in refused})
        record_type = str(raw.get("record_type") or RecordType.GENERAL)
        if record_type not in RecordType.LABELS:
            errors.add("record_type", "invalid", "record_type 应为 license（行政许可）、penalty（行政处罚）或 general")
        item.record_type = record_type
        item.values = _record_values(raw, item, errors, today, partial=False)
        allowed = _TYPE_CATEGORIES.get(record_type)
        if allowed and item.values.get("category") and item.values["category"] not in allowed:
            errors.add(
                "category", "category_type", f"{RecordType.LABELS[record_type]}的类别应为 {'、'.join(sorted(allowed))}"
            )
        item.detail = _detail(raw, item, errors, today)
    elif action == "correct":
        item.values = _record_values(raw, item, errors, today, partial=True)
        item.fixed = _fixed(raw, errors)  # compared with the stored record when applied
        known = {*CORRECTABLE, *_FIXED_GROUPS, "action", "record_id", "reason", "consent_ref"}
        extra = [k for k in raw if k not in known]
        if extra:
            errors.add(extra[0], "not_correctable", f"以下项目不能更正：{'、'.join(map(str, extra))}")
        if not item.values and not extra and not item.fixed:
            errors.add("", "nothing_to_correct", "请填写需要更正的项目")
    if consent_ref and not forbidden.consent_ref_ok(consent_ref):
        errors.add("consent_ref", "consent_invalid", "书面同意文书编号格式不正确（2–60 个字符，须含编号数字）")
    item.consent_ref = consent_ref
    return errors.items or item
