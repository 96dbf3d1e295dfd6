"""The self-query credit report as an A4 PDF with the CJK font embedded (R-15, R-18).

Pure rendering: no database, no clock. Everything printed comes from content.subject_view /
record_view, the same views the content digest covers.
"""

from __future__ import annotations

import logging
from datetime import datetime
from io import BytesIO

import segno
from fpdf import FPDF
from fpdf.enums import Align, WrapMode, XPos, YPos
from fpdf.fonts import FontFace

from portal.lib.dates import to_china
from portal.records.categories import CATEGORIES, Polarity
from portal.records.tables import DisclosureClass, RecordStatus, RecordType
from portal.reports.content import CLASS_ORDER, TYPE_ORDER, record_view, report_digest, subject_view
from portal.reports.fonts import ReportFont, resolve_font
from portal.subjects.tables import SubjectType

__all__ = ["render_self_report", "TITLE", "FOOTER_NOTE", "register", "para", "kv_table", "qr_png"]
"""The letter helpers are shared by the platform's other PDFs (书面告知, 催报通知)."""

TITLE = "公共信用信息报告（本人查询）"
FOOTER_NOTE = "本报告仅供信用主体本人使用"
PLATFORM = "信用郑州 · 公共信用信息服务平台"
FAMILY = "cjk"
logging.getLogger("fontTools.subset").setLevel(logging.WARNING)  # one INFO line per table per report
BRAND = (155, 36, 35)
INK = (30, 41, 59)
MUTED = (100, 116, 139)
LABEL_FILL = (241, 245, 249)
RULE = (203, 213, 225)
NUMERALS = "一二三四五六七八九十"
NOTES = (
    "本报告依据《郑州市公共信用信息管理暂行办法》第十五条、第十八条，由信用主体本人查询出具，"
    "包含社会公开类、部门共享类和有限共享类信息。",
    "本报告内容以出具时点平台记录为准。各项信息由提供单位负责其真实性、准确性（第十一条）。",
    "扫描二维码或访问核验链接，可核验本报告的编号、出具时间、信息条数和内容摘要（SHA-256）；"
    "摘要与本报告所印不一致的，本报告无效。",
    "本报告涉及部门共享类、有限共享类信息及个人信息，请妥善保管，勿向无关人员提供（第二十八条）。",
    "对报告中的信息有异议的，可向市信用中心提出异议申请（第二十二条）。",
)


class _Report(FPDF):
    def __init__(self, report_no: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.report_no = report_no
        self.set_margins(18, 20, 18)
        self.set_auto_page_break(True, margin=20)
        self.alias_nb_pages()

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_font(FAMILY, "", 8)
        self.set_text_color(*MUTED)
        self.set_xy(self.l_margin, 10)
        self.cell(self.epw / 2, 5, TITLE)
        self.cell(self.epw / 2, 5, f"报告编号：{self.report_no}", align=Align.R)
        self._rule(15.5)
        self.set_xy(self.l_margin, 20)
        self.set_text_color(*INK)

    def footer(self) -> None:
        self._rule(self.h - 15)
        self.set_xy(self.l_margin, self.h - 14)
        self.set_font(FAMILY, "", 8)
        self.set_text_color(*MUTED)
        self.cell(self.epw / 2, 5, FOOTER_NOTE)
        self.cell(self.epw / 2, 5, f"第 {self.page_no()} 页 / 共 {{nb}} 页", align=Align.R)
        self.set_text_color(*INK)

    def _rule(self, y: float) -> None:
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)
        self.line(self.l_margin, y, self.w - self.r_margin, y)


def register(pdf: FPDF, font: ReportFont) -> None:
    pdf.add_font(FAMILY, "", str(font.regular.path), collection_font_number=font.regular.index)
    pdf.add_font(FAMILY, "B", str(font.bold.path), collection_font_number=font.bold.index)


def para(pdf: FPDF, text: str, size: float = 9.5, height: float = 5.2, style: str = "", color=INK) -> None:
    pdf.set_font(FAMILY, style, size)
    pdf.set_text_color(*color)
    pdf.set_x(pdf.l_margin)
    pdf.multi_cell(0, height, text, align=Align.L, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*INK)


def _heading(pdf: FPDF, text: str) -> None:
    if pdf.will_page_break(30):
        pdf.add_page()
    pdf.ln(3)
    y = pdf.get_y()
    pdf.set_fill_color(*BRAND)
    pdf.rect(pdf.l_margin, y + 0.8, 1.4, 5.4, style="F")
    pdf.set_fill_color(255)  # tables drawn later take the current fill colour
    pdf.set_x(pdf.l_margin + 3.5)
    pdf.set_font(FAMILY, "B", 12.5)
    pdf.set_text_color(*BRAND)
    pdf.cell(0, 7, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*INK)
    pdf.ln(1)


def kv_table(
    pdf: FPDF,
    rows: list[tuple[str, str, str, str]],
    col_widths: tuple = (16, 40, 16, 40),
    width: float | None = None,
    small: frozenset = frozenset(),
) -> None:
    """Label/value pairs, two pairs a row (a blank second label makes the first value span);
    values of the labels in `small` print smaller (a 64-digit digest on one line)."""
    label = FontFace(family=FAMILY, emphasis="", size_pt=9, color=MUTED, fill_color=LABEL_FILL)
    value = FontFace(family=FAMILY, emphasis="", size_pt=9, color=INK, fill_color=255)
    tiny = FontFace(family=FAMILY, emphasis="", size_pt=7.5, color=INK, fill_color=255)
    pdf.set_font(FAMILY, "", 9)
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.2)
    with pdf.table(
        col_widths=col_widths,
        width=width,
        align=Align.L,
        first_row_as_headings=False,
        text_align=Align.L,
        v_align="MIDDLE",
        line_height=5,
        wrapmode=WrapMode.CHAR,
        padding=(1.2, 1.8),
    ) as table:
        for key1, value1, key2, value2 in rows:
            row = table.row()
            row.cell(key1, style=label)
            style = tiny if key1 in small else value
            if key2:
                row.cell(value1 or "—", style=style)
                row.cell(key2, style=label)
                row.cell(value2 or "—", style=value)
            else:
                row.cell(value1 or "—", style=style, colspan=3)


def qr_png(url: str) -> BytesIO:
    buffer = BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=8, border=2)
    buffer.seek(0)
    return buffer


def _china_time(value: datetime) -> str:
    return to_china(value).strftime("%Y年%m月%d日 %H:%M:%S（北京时间）")


def _cover(pdf: _Report, subject: dict, count: int, issued_at: datetime, digest: str, verify_url: str) -> None:
    pdf.set_font(FAMILY, "B", 19)
    pdf.set_text_color(*BRAND)
    pdf.cell(0, 11, TITLE, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "", 9.5)
    pdf.set_text_color(*MUTED)
    pdf.cell(0, 6, PLATFORM, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*INK)
    pdf.ln(4)
    legal = subject["kind"] == "legal"
    rows = [
        ("主体名称", subject["name"], "", ""),
        (
            "统一社会信用代码" if legal else "公民身份号码",
            subject["code"],
            "主体类型",
            SubjectType.LABELS.get(subject["subject_type"], subject["subject_type"] or ("法人" if legal else "自然人")),
        ),
    ]
    if legal:
        rows.append(("法定代表人", subject["legal_representative"], "", ""))
    rows += [
        ("报告编号", pdf.report_no, "信息条数", f"{count} 条"),
        ("出具时间", _china_time(issued_at), "", ""),
        ("内容摘要", digest, "", ""),
    ]
    top = pdf.get_y()
    qr_size = 36
    kv_table(pdf, rows, (27, 42, 17, 34), width=pdf.epw - qr_size - 4, small=frozenset({"内容摘要"}))
    bottom = pdf.get_y()
    pdf.image(qr_png(verify_url), x=pdf.w - pdf.r_margin - qr_size, y=top, w=qr_size, h=qr_size)
    pdf.set_xy(pdf.w - pdf.r_margin - qr_size, top + qr_size)
    pdf.set_font(FAMILY, "", 8)
    pdf.set_text_color(*MUTED)
    pdf.cell(qr_size, 4, "扫码核验报告", align=Align.C)
    pdf.set_xy(pdf.l_margin, max(bottom, top + qr_size + 4) + 2)
    para(pdf, f"核验链接：{verify_url}", size=8, height=4, color=MUTED)


def _summary(pdf: FPDF, groups: dict) -> None:
    _heading(pdf, "信息概览")
    header = FontFace(family=FAMILY, emphasis="B", size_pt=9, color=INK, fill_color=LABEL_FILL)
    pdf.set_font(FAMILY, "", 9)
    with pdf.table(
        col_widths=(36, 20, 20, 20, 20), text_align=Align.C, headings_style=header, line_height=6, padding=(0.8, 1.5)
    ) as table:
        table.row(["信息类别", *(RecordType.LABELS[t] for t in TYPE_ORDER), "合计"])
        for cls in CLASS_ORDER:
            counts = [len(groups[cls][t]) for t in TYPE_ORDER]
            table.row([f"{DisclosureClass.LABELS[cls]}（{cls}类）", *map(str, counts), str(sum(counts))])


def _status(view: dict) -> str:
    text = RecordStatus.LABELS.get(view["status"], view["status"])
    return f"{text}（异议处理中）" if view["objection_pending"] else text  # still in force


def _record(pdf: FPDF, number: int, view: dict) -> None:
    if pdf.will_page_break(32):  # keep a record's title with its first rows
        pdf.add_page()
    pdf.ln(1.5)
    para(pdf, f"{number}. {view['title'] or '（无标题）'}", size=10.5, height=5.8, style="B")
    pdf.ln(0.8)
    category = CATEGORIES.get(view["category"])
    kv_table(
        pdf,
        [
            ("信息类别", category.label if category else view["category"], "信息性质", _polarity(view["polarity"])),
            ("决定日期", view["decision_date"], "状态", _status(view)),
            ("文号", view["doc_number"], "提供单位", view["provider"]),
        ],
    )
    if view["content"]:
        pdf.ln(1.2)
        para(pdf, f"内容：{view['content']}", size=9.5, height=5.2)
    pdf.ln(2)


def _polarity(code: str) -> str:
    return Polarity.LABELS.get(code, code or "—")


def _group(records: list[dict]) -> dict:
    groups: dict = {cls: {t: [] for t in TYPE_ORDER} for cls in CLASS_ORDER}
    for view in map(record_view, records):
        cls = view["disclosure_class"] if view["disclosure_class"] in groups else DisclosureClass.C
        kind = view["record_type"] if view["record_type"] in TYPE_ORDER else RecordType.GENERAL
        groups[cls][kind].append(view)
    for by_type in groups.values():
        for views in by_type.values():  # newest first, then by id
            views.sort(key=lambda v: (v["decision_date"], v["id"].zfill(20)), reverse=True)
    return groups


def _body(pdf: FPDF, groups: dict) -> None:
    for n, cls in enumerate(CLASS_ORDER):
        total = sum(len(v) for v in groups[cls].values())
        _heading(pdf, f"{NUMERALS[n]}、{DisclosureClass.LABELS[cls]}信息（{cls}类，共 {total} 条）")
        if not total:
            para(pdf, "本类暂无信息。", color=MUTED)
            continue
        sub = 0
        for kind in TYPE_ORDER:
            views = groups[cls][kind]
            if not views:
                continue
            if pdf.will_page_break(40):
                pdf.add_page()
            para(pdf, f"（{NUMERALS[sub]}）{RecordType.LABELS[kind]}（{len(views)} 条）", size=11, height=7, style="B")
            sub += 1
            for number, view in enumerate(views, 1):
                _record(pdf, number, view)


def _notes(pdf: FPDF) -> None:
    _heading(pdf, f"{NUMERALS[len(CLASS_ORDER)]}、说明")
    for number, note in enumerate(NOTES, 1):
        para(pdf, f"{number}. {note}", size=9, height=5, color=MUTED)


def render_self_report(
    subject: dict,
    records: list[dict],
    issued_at: datetime,
    report_no: str,
    verify_url: str,
    font: ReportFont | None = None,
) -> bytes:
    """The subject's own report (classes A, B and C, R-15) as PDF bytes.

    `subject`: a Subject row (name, kind, subject_type, uscc / id_number_masked, legal_representative).
    `records`: dicts with id, disclosure_class, record_type, category, polarity, title, content,
    provider_name (or provider), decision_date, doc_number, status, optionally objection_pending.
    Raises ReportFontMissing when no CJK font is available.
    """
    font = font or resolve_font()
    view = subject_view(subject)
    digest = report_digest(subject, records, issued_at)
    groups = _group(records)
    pdf = _Report(report_no)
    register(pdf, font)
    pdf.set_title(f"{TITLE} {report_no}")
    pdf.set_author(PLATFORM)
    pdf.set_creator(PLATFORM)
    pdf.set_lang("zh-CN")
    pdf.set_creation_date(to_china(issued_at))
    pdf.add_page()
    _cover(pdf, view, len(records), issued_at, digest, verify_url)
    _summary(pdf, groups)
    _body(pdf, groups)
    _notes(pdf)
    return bytes(pdf.output())
