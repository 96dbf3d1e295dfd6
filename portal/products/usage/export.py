"""The usage figures as an XLSX workbook (openpyxl, write_only: constant memory)."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook

from portal.authorizations.reasons import label as domain_label
from portal.products.usage.tables import Product

__all__ = ["HEADERS", "workbook"]

HEADERS = [
    "部门代码",
    "部门",
    "核查次数",
    *[f"使用：{v}" for v in Product.LABELS.values()],
    "激励",
    "惩戒",
    "报送办件",
    "未经核查办件",
    "核查率",
]


def workbook(label: str, rows: list[dict], unchecked: list[dict]) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("信用产品使用统计")
    ws.append([f"{label} 信用产品使用情况"])
    ws.append(HEADERS)
    for r in rows:
        rate = None if r["check_rate"] is None else round(r["check_rate"], 4)
        ws.append(
            [
                r["agency"]["code"],
                r["agency"]["name"],
                r["checks"],
                *[r["uses"].get(p, 0) for p in Product.LABELS],
                r["incentives"],
                r["sanctions"],
                r["matters"],
                r["without_check"],
                rate,
            ]
        )
    ws2 = wb.create_sheet("未经核查的办件")
    ws2.append(["部门", "办件编号", "事项名称", "事项领域", "办结日期"])
    for m in unchecked:
        ws2.append([m["agency_name"], m["case_no"], m["matter_name"], domain_label(m["domain"]), str(m["handled_on"])])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
