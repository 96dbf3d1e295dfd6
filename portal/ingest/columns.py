"""批量上传 (R-12): the columns of the published Excel templates, in ONE table (column → item path)
that writes the template and reads uploaded rows. Headers follow the 双公示 national standard item
names; the provider's own 记录编号 and the 操作 column make a row a create, correct or revoke item
(the same shape the system interface takes, checked by ``items.parse``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from portal.records.categories import CATEGORIES
from portal.records.tables import RecordType

__all__ = ["Column", "COLUMNS", "TEMPLATE_TYPES", "SHEET_TITLES", "ACTION_LABELS", "KIND_LABELS", "to_item"]

ACTION_LABELS = {"新增": "create", "更正": "correct", "撤销": "revoke"}
KIND_LABELS = {"法人及非法人组织": "legal", "自然人": "natural"}
EXAMPLE_ACTION = "示例"
"""A row whose 操作 is 示例 is the template's example: never imported."""
TEMPLATE_TYPES = (RecordType.LICENSE, RecordType.PENALTY, RecordType.GENERAL)
SHEET_TITLES = {RecordType.LICENSE: "行政许可", RecordType.PENALTY: "行政处罚", RecordType.GENERAL: "其他信用信息"}
_TYPE_CATEGORIES = {
    RecordType.LICENSE: ("license", "person_license"),
    RecordType.PENALTY: ("penalty", "person_penalty"),
    RecordType.GENERAL: tuple(
        c for c in CATEGORIES if c not in ("license", "person_license", "penalty", "person_penalty")
    ),
}


@dataclass(frozen=True)
class Column:
    header: str
    path: str | None
    """Where the cell goes in the item (``subject.uscc``, ``penalty.fine_amount``); None: a national
    standard item this platform does not keep (listed so the file matches the standard)."""
    note: str
    kind: str = "text"
    """text / date / money / choice / category."""
    choices: tuple[str, ...] = ()
    example: object = ""
    width: int = 18

    def categories(self, record_type: str) -> tuple[str, ...]:
        return _TYPE_CATEGORIES[record_type]


def _head() -> list[Column]:
    return [
        Column(
            "操作",
            "action",
            "新增、更正或撤销（下拉选择）；填“示例”的行不导入",
            "choice",
            tuple(ACTION_LABELS),
            "新增",
            10,
        ),
        Column(
            "记录编号",
            "record_id",
            "本单位系统中的记录编号，1–64 位字母、数字或 ._:/-；更正、撤销按此编号",
            example="XK-2026-0001",
        ),
        Column(
            "行政相对人类别",
            "subject.kind",
            "法人及非法人组织，或自然人（下拉选择）",
            "choice",
            tuple(KIND_LABELS),
            "法人及非法人组织",
        ),
        Column("行政相对人名称", "subject.name", "法人写全称；自然人写姓名", example="郑州示例建材有限公司", width=28),
        Column("统一社会信用代码", "subject.uscc", "法人及非法人组织必填，18 位", example="", width=22),
        Column("公民身份号码", "subject.id_number", "自然人必填，18 位；不在公开页面显示", width=22),
        Column("法定代表人", None, "国家标准项目；本平台不保存此项", example="张某", width=12),
    ]


def _tail(record_type: str) -> list[Column]:
    return [
        Column("信息名称", "title", "公示标题，200 字以内", example="示例信息名称", width=30),
        Column(
            "信息类别代码",
            "category",
            "按“代码表”填写（下拉选择）",
            "category",
            example=_TYPE_CATEGORIES[record_type][0],
            width=16,
        ),
        Column(
            "公开类别",
            "disclosure_class",
            "A 社会公开、B 部门共享、C 有限共享（下拉选择）",
            "choice",
            ("A", "B", "C"),
            "A",
            10,
        ),
        Column("公示截止期", "publicity_end", "日期，如 2027-12-31；不填按规定期限", "date", width=14),
        Column(
            "更正或撤销原因",
            "reason",
            "更正、撤销时必填。更正可修改信息名称、文号、日期、类别、公开类别和内容；相对人信息和许可、处罚的"
            "具体项目不能更正，可原样保留或不填，填写的与已报送的不同时该行退回，请撤销后重新报送",
            width=30,
        ),
    ]


_LICENSE = [
    Column("行政许可决定文书号", "doc_number", "许可决定文书的文号", example="郑审批〔2026〕1号", width=22),
    Column("项目名称", "license.project_name", "行政许可项目名称", example="建筑业企业资质", width=22),
    Column("审批类别", "license.approval_category", "普通、特许、认可、核准、登记或其他", example="普通"),
    Column("许可内容", "license.license_content", "许可的具体内容", example="建筑工程施工总承包三级", width=30),
    Column("许可决定日期", "decision_date", "日期，如 2026-12-01，不晚于今天", "date", width=14),
    Column("有效期自", "license.valid_from", "日期", "date", width=14),
    Column("有效期至", "license.valid_to", "日期，不早于有效期自", "date", width=14),
    Column("许可机关", "license.authority", "作出许可决定的机关全称", example="郑州市行政审批局", width=22),
    Column(
        "数据来源单位", None, "国家标准项目；本平台按报送单位记录，不单独保存", example="郑州市行政审批局", width=22
    ),
]
_PENALTY = [
    Column("行政处罚决定书文号", "doc_number", "处罚决定书文号", example="郑应急罚〔2026〕1号", width=22),
    Column("违法行为类型", "penalty.violation_type", "违法行为的类型", example="安全生产违法", width=20),
    Column("违法事实", "penalty.violation_facts", "主要违法事实", example="作业现场未设置安全警示标志", width=30),
    Column("处罚依据", "penalty.legal_basis", "处罚所依据的法律条款", example="《安全生产法》第九十九条", width=30),
    Column(
        "处罚类别",
        "penalty.penalty_category",
        "警告、罚款、没收违法所得、责令停产停业、暂扣或吊销许可证等",
        example="罚款",
    ),
    Column("处罚内容", "penalty.penalty_content", "处罚的具体内容", example="罚款人民币伍仟元", width=30),
    Column("罚款金额（万元）", "penalty.fine_amount", "数字，单位万元，如 0.5", "money", example=0.5, width=14),
    Column("没收违法所得金额（万元）", "penalty.confiscated_amount", "数字，单位万元", "money", width=14),
    Column("暂扣或吊销证照名称及编号", "penalty.license_action", "无则不填", width=24),
    Column("处罚决定日期", "decision_date", "日期，如 2026-12-01，不晚于今天", "date", width=14),
    Column("处罚机关", "penalty.authority", "作出处罚决定的机关全称", example="郑州市应急管理局", width=22),
    Column(
        "数据来源单位", None, "国家标准项目；本平台按报送单位记录，不单独保存", example="郑州市应急管理局", width=22
    ),
]
_GENERAL = [
    Column("文号", "doc_number", "决定、证书等的文号，无则不填", example="郑政〔2026〕1号", width=22),
    Column("信息内容", "content", "4000 字以内", example="示例内容", width=40),
    Column("决定日期", "decision_date", "日期，如 2026-12-01，不晚于今天", "date", width=14),
    Column("失信行为结束日期", "act_end_date", "日期；失信信息适用", "date", width=14),
]

COLUMNS: dict[str, tuple[Column, ...]] = {
    RecordType.LICENSE: (*_head(), *_LICENSE, *_tail(RecordType.LICENSE)),
    RecordType.PENALTY: (*_head(), *_PENALTY, *_tail(RecordType.PENALTY)),
    RecordType.GENERAL: (*_head(), *_GENERAL, *_tail(RecordType.GENERAL)),
}
_ALWAYS = {"action", "record_id", "reason"}


def example_date(column: Column, today: date) -> date | None:
    if column.kind != "date" or column.path in ("act_end_date",):
        return None
    if column.path in ("publicity_end", "license.valid_to"):
        return today + timedelta(days=365 * 3)
    return today - timedelta(days=1)


def _cell(value: object) -> object:
    if type(value) is str:  # most cells: the common case first
        return value.strip()
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return value


_PLANS: dict[int, tuple] = {}


def _plan(columns: tuple[Column, ...]) -> tuple:
    """Per column: its path, the path's head and leaf, and the labels its cells are read through
    (worked out once per template, not per cell: an upload reads millions of cells)."""
    plan = _PLANS.get(id(columns))
    if plan is None or plan[0] is not columns:
        labels = {"action": ACTION_LABELS, "subject.kind": KIND_LABELS}
        steps = tuple(
            (c.path, *c.path.partition(".")[::2], labels.get(c.path)) if c.path else (None, "", "", None)
            for c in columns
        )
        plan = _PLANS[id(columns)] = (columns, steps)
    return plan[1]


def to_item(record_type: str, columns: tuple[Column, ...], values: Mapping[int, object]) -> dict:
    """One row (column index → cell value, empty cells left out) as a JSON-shaped item."""
    raw: dict = {}
    plan = _plan(columns)
    for index, value in values.items():
        path, head, leaf, labels = plan[index]
        value = _cell(value)
        if path is None or value is None or value == "":
            continue
        if labels is not None:
            value = labels.get(value, value)
        if leaf:
            raw.setdefault(head, {})[leaf] = value
        else:
            raw[head] = value
    if raw.get("action") == "create":
        raw["record_type"] = record_type
        if record_type != RecordType.GENERAL:
            raw.setdefault(record_type, {})
        raw.setdefault("subject", {})
    elif raw.get("action") == "revoke":
        raw = {k: v for k, v in raw.items() if k in _ALWAYS}
    # A correction keeps the whole row: what it cannot change (the subject, the details) is compared
    # with the stored record when applied, and a change refused by name, never dropped.
    return raw
