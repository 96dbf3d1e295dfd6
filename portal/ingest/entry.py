"""逐条录入 (R-12): the entry form of each record type, and the mapping from a submitted form to the
item shape ``items.parse`` checks — the one rule set every reporting path shares. Pure.

Form fields are named as the item's fields (``subject.uscc``, ``penalty.authority``), so an error
from ``parse`` lands beside the field it names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from portal.ingest.items import CORRECTABLE, LICENSE_FIELDS, PENALTY_FIELDS, FieldError
from portal.lib import uscc as uscc_rules
from portal.records.categories import LEGAL, NATURAL
from portal.records.tables import RecordType

__all__ = [
    "Field",
    "SUBJECT",
    "text_field",
    "names",
    "TYPES",
    "form_fields",
    "categories_for",
    "create_item",
    "correct_item",
    "errors_by_field",
    "public_link",
    "echo",
    "SECRET",
]

SECRET = "subject.id_number"
"""DESIGN rule 4: never echoed back, never in a URL or a log."""

TYPES = {RecordType.PENALTY: "行政处罚", RecordType.LICENSE: "行政许可", RecordType.GENERAL: "其他信用信息"}
_TYPE_CATEGORIES = {
    RecordType.LICENSE: ("license", "person_license"),
    RecordType.PENALTY: ("penalty", "person_penalty"),
}


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"
    """text / textarea / date / money / select."""
    required: bool = False
    limit: int = 200
    hint: str = ""

    @property
    def html_id(self) -> str:
        return "f-" + self.name.replace(".", "-")


SUBJECT = (
    Field("subject.uscc", "统一社会信用代码（法人和其他组织）", limit=18),
    Field("subject.name", "主体名称（自然人填姓名）", hint="平台尚无该代码的主体时必填"),
    Field(SECRET, "公民身份号码（自然人）", "secret", limit=18, hint="只用于核对身份，提交后不再显示"),
)
_COMMON = (
    Field(
        "record_id", "本单位记录编号", required=True, limit=64, hint="1–64 位字母、数字或 ._:/-，更正和撤销时按此编号"
    ),
    Field("title", "信息名称", required=True),
    Field("content", "信息内容", "textarea", limit=4000),
    Field("doc_number", "决定书文号", limit=100),
    Field("decision_date", "决定日期", "date", required=True),
    Field("publicity_end", "公示截止日期", "date"),
)
_GENERAL_ONLY = (Field("act_end_date", "失信行为结束日期", "date"),)
_CONSENT = (
    Field(
        "consent_ref",
        "书面同意编号（可选）",
        limit=60,
        hint="含收入、存款、纳税数额等信息时，填写信息主体书面同意的编号",
    ),
)


def _detail_fields(prefix: str, spec: dict) -> tuple[Field, ...]:
    kinds = {"violation_facts": "textarea", "legal_basis": "textarea", "penalty_content": "textarea"}
    kinds["license_content"] = "textarea"
    return tuple(
        Field(f"{prefix}.{key}", label, kinds.get(key, "text"), required, limit)
        for key, (label, required, limit) in spec.items()
    )


_DETAIL = {
    RecordType.PENALTY: _detail_fields("penalty", PENALTY_FIELDS)
    + (
        Field("penalty.fine_amount", "罚款金额（万元）", "money"),
        Field("penalty.confiscated_amount", "没收违法所得金额（万元）", "money"),
        Field("penalty.valid_to", "处罚有效期", "date"),
    ),
    RecordType.LICENSE: _detail_fields("license", LICENSE_FIELDS)
    + (Field("license.valid_from", "有效期自", "date"), Field("license.valid_to", "有效期至", "date")),
    RecordType.GENERAL: (),
}


def form_fields(record_type: str) -> dict[str, tuple[Field, ...]]:
    """The text-like fields of the form, by section (the subject, category and class have their own
    controls in the template)."""
    common = _COMMON + (_GENERAL_ONLY if record_type == RecordType.GENERAL else ())
    return {"subject": SUBJECT, "record": common, "detail": _DETAIL[record_type], "consent": _CONSENT}


def names(record_type: str) -> frozenset[str]:
    """Every field of the type's form."""
    fields_ = {f.name for group in form_fields(record_type).values() for f in group}
    return frozenset(fields_ | {"subject.kind", "category", "disclosure_class", "polarity"})


def text_field(record_type: str, name: str) -> Field | None:
    """The field re-rendered whole by inline validation; None for a select, a radio or the ID
    number, whose error alone is swapped (the ID number is never sent back)."""
    for group in form_fields(record_type).values():
        for f in group:
            if f.name == name and f.kind != "secret":
                return f
    return None


def categories_for(record_type: str) -> dict[str, list[tuple[str, str]]]:
    """The categories valid for the type, by subject kind (``items.parse`` checks both)."""
    allowed = _TYPE_CATEGORIES.get(record_type)
    special = {code for codes in _TYPE_CATEGORIES.values() for code in codes}

    def pick(group) -> list[tuple[str, str]]:
        return [(c.code, c.label) for c in group if (c.code in allowed if allowed else c.code not in special)]

    return {"legal": pick(LEGAL), "natural": pick(NATURAL)}


def _value(form: Mapping, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def create_item(record_type: str, form: Mapping) -> dict:
    """A create item from the entry form."""
    kind = _value(form, "subject.kind") or "legal"
    subject = {"kind": kind, "name": _value(form, "subject.name")}
    subject["uscc" if kind == "legal" else "id_number"] = _value(form, "subject.uscc" if kind == "legal" else SECRET)
    raw: dict = {"action": "create", "record_type": record_type, "subject": subject}
    for name in ("record_id", "category", "disclosure_class", "consent_ref"):
        raw[name] = _value(form, name)
    for f in form_fields(record_type)["record"]:
        raw[f.name] = _value(form, f.name)
    if polarity := _value(form, "polarity"):
        raw["polarity"] = polarity
    if record_type != RecordType.GENERAL:
        raw[record_type] = {f.name.split(".", 1)[1]: _value(form, f.name) for f in _DETAIL[record_type]}
    return raw


def correct_item(ref: str, current: Mapping, form: Mapping) -> dict:
    """A correct item with only what the officer changed (R-11: a correction says what changed)."""
    raw: dict = {"action": "correct", "record_id": ref, "reason": _value(form, "reason")}
    for name in CORRECTABLE:
        if name not in form:
            continue
        now = current.get(name)
        before = now.isoformat() if hasattr(now, "isoformat") else str(now or "")
        if _value(form, name) != before:
            raw[name] = _value(form, name)
    return raw


def public_link(raw: Mapping) -> str | None:
    """Where the public sees a class-A record (R-15): the profile of a legal person; a natural
    person's licence or penalty only in the 双公示 list."""
    if raw.get("disclosure_class", "").upper() != "A":
        return None
    if raw["subject"]["kind"] == "legal":
        return f"/subjects/{uscc_rules.normalize(raw['subject']['uscc'])}"
    return f"/disclosures?type={raw['record_type']}" if raw["record_type"] in _TYPE_CATEGORIES else None


def errors_by_field(errors: list[FieldError]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for error in errors:
        out.setdefault(error.field, []).append(error.message)
    return out


def echo(form: Mapping) -> dict[str, str]:
    """What the form shows again after a refusal: everything typed but the ID number."""
    return {k: _value(form, k) for k in form if k != SECRET and not k.startswith("_")}
