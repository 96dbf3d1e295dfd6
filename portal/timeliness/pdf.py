"""The 催报 letter (R-13) as an A4 PDF with the CJK font embedded. Pure: no database, no clock."""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from portal.reports.fonts import ReportFont, resolve_font
from portal.reports.pdf import BRAND, FAMILY, INK, MUTED, PLATFORM, para, register
from portal.settings import get_settings

__all__ = ["TITLE", "render_urge"]

TITLE = "信用信息催报通知书"


def render_urge(urge: dict, font: ReportFont | None = None) -> bytes:
    """``urge``: the UrgeNotice row with ``agency_name``. Raises ReportFontMissing without a CJK font."""
    font = font or resolve_font()
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(True, margin=20)
    register(pdf, font)
    pdf.set_title(f"{TITLE} {urge['number']}")
    pdf.set_author(get_settings().operator_name)
    pdf.set_creator(PLATFORM)
    pdf.set_lang("zh-CN")
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 19)
    pdf.set_text_color(*BRAND)
    pdf.cell(0, 11, TITLE, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "", 10)
    pdf.set_text_color(*MUTED)
    pdf.cell(0, 6, urge["number"], align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(5)
    para(pdf, f"{urge['agency_name']}：", size=11, height=6.5, style="B")
    para(
        pdf,
        "　　根据《郑州市公共信用信息管理暂行办法》第十二条、第十三条，行政许可、行政处罚信息应自作出决定之日起"
        "7个工作日内报送，定期报送的信息应在每期结束后10个工作日内报送。经平台核对，贵单位存在下列迟报、漏报情况：",
        size=10.5,
        height=6.2,
    )
    pdf.ln(2)
    for i, line in enumerate(urge["facts"].splitlines(), 1):
        para(pdf, f"{i}. {line}", size=10, height=6)
    pdf.ln(2)
    para(
        pdf,
        "　　请贵单位接到本通知后及时补报，并落实专人按时报送。逾期仍未报送的，本中心将按规定予以通报。",
        size=10.5,
        height=6.2,
    )
    pdf.ln(8)
    pdf.set_font(FAMILY, "", 11)
    pdf.set_text_color(*INK)
    for line in (get_settings().operator_name, urge["issued_on"].strftime("%Y年%m月%d日")):
        pdf.cell(0, 7, line, align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
