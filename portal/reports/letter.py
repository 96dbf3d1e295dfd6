"""The frame the platform's numbered documents share: an A4 page whose footer names the document
by its number, and the QR block that lets a reader verify it online (R-P1, R-P2, R-P5, R-23)."""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import Align

from portal.reports.pdf import FAMILY, INK, MUTED, RULE, para, qr_png

__all__ = ["QR_SIZE", "NumberedLetter", "verification_block"]

QR_SIZE = 32


class NumberedLetter(FPDF):
    """A4 portrait; every page ends with "<label>：<number>" and "第 n 页 / 共 N 页"."""

    def __init__(self, number_label: str, number: str, side_margin: float = 20) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.number_label = number_label
        self.number = number
        self.set_margins(side_margin, 20, side_margin)
        self.set_auto_page_break(True, margin=20)
        self.alias_nb_pages()

    def footer(self) -> None:
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)
        self.line(self.l_margin, self.h - 15, self.w - self.r_margin, self.h - 15)
        self.set_xy(self.l_margin, self.h - 14)
        self.set_font(FAMILY, "", 8)
        self.set_text_color(*MUTED)
        self.cell(self.epw / 2, 5, f"{self.number_label}：{self.number}")
        self.cell(self.epw / 2, 5, f"第 {self.page_no()} 页 / 共 {{nb}} 页", align=Align.R)
        self.set_text_color(*INK)


def verification_block(pdf: FPDF, url: str, note: str, space_before: float = 4) -> None:
    """The QR code of `url` with `note` beside it and the link printed under it, kept on one page."""
    if pdf.will_page_break(QR_SIZE + 16):
        pdf.add_page()
    pdf.ln(space_before)
    top = pdf.get_y()
    pdf.image(qr_png(url), x=pdf.l_margin, y=top, w=QR_SIZE, h=QR_SIZE)
    pdf.set_xy(pdf.l_margin + QR_SIZE + 4, top + 4)
    pdf.set_font(FAMILY, "", 9)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(pdf.epw - QR_SIZE - 4, 5, note)
    pdf.set_xy(pdf.l_margin, top + QR_SIZE + 2)
    para(pdf, f"核验链接：{url}", size=8, height=4, color=MUTED)
