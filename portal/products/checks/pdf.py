"""The printable check record (查询记录单, R-28): filed with the case, Chinese text, A4 PDF."""

from __future__ import annotations

from fpdf.enums import Align, XPos, YPos

from portal.authorizations.reasons import label as domain_label
from portal.lib.dates import to_china
from portal.reports.fonts import ReportFont, resolve_font
from portal.reports.letter import NumberedLetter
from portal.reports.pdf import BRAND, FAMILY, MUTED, PLATFORM, kv_table, para, register

__all__ = ["TITLE", "render_check", "pdf_filename"]

TITLE = "信用核查记录单（逢办必查）"
ISSUER = "郑州市公共信用信息平台"


def pdf_filename(number: str) -> str:
    return f"信用核查记录单-{number}.pdf"


def render_check(row: dict, font: ReportFont | None = None) -> bytes:
    """The record of one stored check (pure: the row's stored answer, no database, no clock)."""
    font = font or resolve_font()
    a = row["answer"]
    pdf = NumberedLetter("核查编号", row["number"])
    register(pdf, font)
    pdf.set_title(f"{TITLE} {row['number']}")
    pdf.set_author(ISSUER)
    pdf.set_creator(PLATFORM)
    pdf.set_lang("zh-CN")
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 18)
    pdf.set_text_color(*BRAND)
    pdf.cell(0, 11, TITLE, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    created = to_china(row["created_at"]).strftime("%Y年%m月%d日 %H:%M:%S")
    kv_table(
        pdf,
        [
            ("核查编号", row["number"], "核查时间", created),
            ("核查单位", a.get("agency", ""), "查询记录号", str(row["audit_seq"])),
            ("事项名称", row["matter_name"], "", ""),
            ("办件编号", row["case_no"], "事项领域", domain_label(row["domain"])),
            ("信用主体", row["subject_label"] or "（未找到主体）", "", ""),
        ],
        (22, 58, 22, 68),
    )
    pdf.ln(3)
    if not row["found"]:
        para(pdf, "平台上没有与所填信息一致的信用主体。本次核查已记入查询记录。", size=10.5, height=6)
    else:
        for key, heading in (("red", "红名单（守信激励）"), ("black", "黑名单（失信惩戒）")):
            entries = a["lists"][key]
            para(
                pdf,
                f"{heading}：{'无' if not entries else f'{len(entries)} 项'}",
                size=11,
                height=6.5,
                style="B",
                color=BRAND,
            )
            for e in entries:
                para(
                    pdf,
                    f"· {e['list_name']}（{e['authority']}，{e['doc_number'] or '无文号'}，"
                    f"{e['listed_on']} 列入）：{e['reason']}",
                )
        measures = a.get("measures") or []
        para(pdf, "适用的联合奖惩措施", size=11, height=6.5, style="B", color=BRAND)
        para(pdf, "无" if not measures else "")
        for m in measures:
            kind = "激励" if m["list_type"] == "red" else "惩戒"
            para(pdf, f"· [{kind}] {m['content']}（依据：{m['basis']}）")
        para(pdf, "信用产品", size=11, height=6.5, style="B", color=BRAND)
        para(
            pdf,
            f"信用承诺：{len(a.get('commitments') or [])} 项；"
            f"信用信息查询意见：{'有效' if a.get('verification_opinion') else '无'}；"
            f"信用报告：{'有效' if a.get('credit_report') else '无'}",
        )
        b = a["class_b"]
        para(pdf, "部门共享类信息", size=11, height=6.5, style="B", color=BRAND)
        if not b["included"]:
            para(pdf, f"未提供：{b['withheld_reason']}")
        else:
            para(pdf, "无" if not b["records"] else f"{len(b['records'])} 条")
            for r in b["records"]:
                para(
                    pdf, f"· {r['title']}（{r['provider_name']}，{r['doc_number'] or '无文号'}，{r['decision_date']}）"
                )
    pdf.ln(4)
    para(
        pdf,
        "本记录单依据《郑州市公共信用信息管理暂行办法》第十九条记录查询，"
        "应随办件归档（郏信用办〔2021〕2号 四（四））。",
        size=8.5,
        height=4.6,
        color=MUTED,
    )
    return bytes(pdf.output())
