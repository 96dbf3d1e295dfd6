"""The 信用信息查询意见 (R-P2) as an A4 PDF with the CJK font embedded. Pure rendering: no
database, no clock; everything printed comes from the `opinion` dict the service builds (the same
dict its digest covers)."""

from __future__ import annotations

from datetime import date

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from portal.records.categories import CATEGORIES, Polarity
from portal.records.tables import DisclosureClass
from portal.reports.fonts import ReportFont, resolve_font
from portal.reports.letter import NumberedLetter, verification_block
from portal.reports.pdf import BRAND, FAMILY, MUTED, PLATFORM, kv_table, para, register
from portal.settings import get_settings

__all__ = ["TITLE", "FREE_NOTE", "render_opinion"]

TITLE = "信用信息查询意见"
FREE_NOTE = "本查询意见免费出具，不收取任何费用。"
NOTES = (
    "本查询意见依据《郑州市使用信用产品实施办法》第八条至第十条出具，内容以出具时点平台记录为准；"
    "各项信息由提供单位负责其真实性、准确性。",
    FREE_NOTE,
    "有效期一年，有效期内可在不同事项中重复使用。有效期内信用主体重大信用信息发生变化的，"
    "本意见即被更新取代，应重新申请出具。",
    "本意见包含社会公开类和部门共享类信息，请仅用于所列事项，勿向无关人员提供。",
    "扫描二维码或访问核验链接，可核验本意见的编号、有效状态和内容摘要（SHA-256）。",
)


def _day(value: date | None) -> str:
    return value.strftime("%Y年%m月%d日") if value else "—"


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(2)
    para(pdf, text, size=11.5, height=7, style="B", color=BRAND)


def _record_lines(records: list[dict]) -> list[str]:
    out = []
    for i, r in enumerate(records, 1):
        category = CATEGORIES[r["category"]].label if r["category"] in CATEGORIES else r["category"]
        out.append(
            f"{i}. 【{Polarity.LABELS.get(r['polarity'], r['polarity'])}·"
            f"{DisclosureClass.LABELS.get(r['disclosure_class'], r['disclosure_class'])}】{r['title']}"
            f"（{category}；{r['provider_name'] or '—'}；{r['decision_date'] or '—'}；{r['doc_number'] or '无文号'}）"
        )
    return out


def render_opinion(opinion: dict, verify_url: str, font: ReportFont | None = None) -> bytes:
    """The opinion as PDF bytes. Raises ReportFontMissing when no CJK font is available."""
    font = font or resolve_font()
    pdf = NumberedLetter("查询意见编号", opinion["opinion_no"], side_margin=18)
    register(pdf, font)
    pdf.set_title(f"{TITLE} {opinion['opinion_no']}")
    pdf.set_author(get_settings().operator_name)
    pdf.set_creator(PLATFORM)
    pdf.set_lang("zh-CN")
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 19)
    pdf.set_text_color(*BRAND)
    pdf.cell(0, 11, TITLE, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "", 10)
    pdf.set_text_color(*MUTED)
    pdf.cell(0, 6, f"编号：{opinion['opinion_no']}", align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    subject = opinion["subject"]
    kv_table(
        pdf,
        [
            ("信用主体", subject["name"], "", ""),
            (subject["code_label"], subject["code"], "主体类别", subject["kind_label"]),
            ("申请人", opinion["applicant"], "申请编号", opinion["number"]),
            ("使用领域", opinion["purpose"], "", ""),
            ("事项", opinion["matter"], "", ""),
            ("查询时点", opinion["as_of"], "出具日期", _day(opinion["issued_on"])),
            ("有效期至", _day(opinion["valid_until"]), "收费", "免费"),
            ("内容摘要", opinion["digest"], "", ""),
        ],
        (24, 58, 20, 40),
        small=frozenset({"内容摘要"}),
    )
    _heading(pdf, "一、查询结论")
    para(pdf, opinion["summary"], size=10.5, height=6.2)
    _heading(pdf, "二、红名单、黑名单")
    lines = [
        f"{e['label']}：{e['list_name']}（{e['authority'] or '—'}，{_day(e['listed_on'])}列入）"
        for e in opinion["lists"]
    ]
    para(pdf, "\n".join(lines) or "未列入红名单或黑名单。", size=10, height=5.8)
    _heading(pdf, "三、信用信息明细")
    para(pdf, "\n".join(_record_lines(opinion["records"])) or "平台未查询到该主体的信用信息。", size=9.5, height=5.4)
    _heading(pdf, "说明")
    para(pdf, "\n".join(f"{i}. {n}" for i, n in enumerate(NOTES, 1)), size=9, height=5)
    pdf.ln(6)
    pdf.set_font(FAMILY, "", 11)
    for line in (get_settings().operator_name, _day(opinion["issued_on"])):
        pdf.cell(0, 7, line, align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    verification_block(
        pdf, verify_url, "扫描二维码或访问下方链接，核验本查询意见是否有效、已过期或已被更新取代。", space_before=3
    )
    return bytes(pdf.output())
