"""The written decision (书面告知, R-23) as an A4 PDF, and the signed link printed on it.

The applicant, or anyone the applicant shows the letter to, checks it on the public page
/objections/verify/{token}: the token names the objection and the decision number, signed with the
portal's secret key under a salt of its own, so no other signed value of the portal passes for it.
The page answers from the database (the objection must still exist, be closed, and carry that
number), so a letter for an objection that was never decided cannot be verified.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fpdf.enums import Align, XPos, YPos
from itsdangerous import BadData, URLSafeSerializer

from portal.disclosure.service import subject_label
from portal.objections.stages import Outcome, Stage
from portal.objections.tables import Objection
from portal.reports.fonts import ReportFont, resolve_font
from portal.reports.letter import NumberedLetter, verification_block
from portal.reports.pdf import BRAND, FAMILY, MUTED, PLATFORM, kv_table, para, register
from portal.settings import get_settings
from portal.subjects.tables import Subject

__all__ = [
    "TITLE",
    "DecisionClaim",
    "render_decision",
    "sign_decision",
    "read_token",
    "check_decision",
    "decision_url",
    "pdf_filename",
]

TITLE = "信用信息异议处理结果告知书"
SALT = "portal.objections.decision.v1"
MAX_TOKEN_LENGTH = 512


@dataclass(frozen=True)
class DecisionClaim:
    objection_id: int
    decision_no: str


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(get_settings().secret_key, salt=SALT)


def sign_decision(objection_id: int, decision_no: str) -> str:
    """The token printed on the letter. No expiry: a decision stays what it was (R-23)."""
    return _serializer().dumps({"o": int(objection_id), "n": decision_no})


def read_token(token: str) -> DecisionClaim | None:
    """The claim if the signature is the portal's and the payload well formed (no database)."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        payload = _serializer().loads(token)
        claim = DecisionClaim(int(payload["o"]), str(payload["n"]))
    except (BadData, KeyError, TypeError, ValueError, UnicodeError):
        return None
    return claim if claim.objection_id > 0 and claim.decision_no else None


async def check_decision(token: str) -> dict | None:
    """What the public page may show of a genuine, issued decision: its numbers, outcome, date of
    issue and the subject's masked label (R-17) — never the statement or the record. None when the
    token is not the portal's or no closed objection carries that decision number."""
    claim = read_token(token)
    if claim is None:
        return None
    OB = Objection
    row = (
        await OB.select(OB.number, OB.subject, OB.stage, OB.outcome, OB.closed_on, OB.decision_no)
        .where(OB.id == claim.objection_id)
        .first()
    )
    if row is None or row["stage"] != Stage.CLOSED or row["decision_no"] != claim.decision_no:
        return None
    S = Subject
    subject = (
        await S.select(S.kind, S.subject_type, S.name, S.uscc, S.id_number_masked).where(S.id == row["subject"]).first()
    )
    return {
        "decision_no": row["decision_no"],
        "number": row["number"],
        "outcome": row["outcome"],
        "outcome_label": Outcome.SHORT.get(row["outcome"], row["outcome"]),
        "closed_on": row["closed_on"],
        "subject_label": subject_label(subject) if subject else "",
    }


def decision_url(token: str, base_url: str | None = None) -> str:
    """The printed link: PORTAL_BASE_URL first, else the checked base of the request (as reports do)."""
    base = get_settings().base_url or base_url or "http://127.0.0.1:8000"
    return f"{base.rstrip('/')}/objections/verify/{token}"


def pdf_filename(detail: dict) -> str:
    return f"异议处理结果告知书-{detail['decision_no'] or detail['number']}.pdf"


def _day(value: date | None) -> str:
    return value.strftime("%Y年%m月%d日") if value else "—"


def _record_rows(detail: dict) -> list[tuple[str, str, str, str]]:
    record = detail.get("record_disputed") or detail.get("record_now") or {}  # as the applicant disputed it
    return [
        ("异议编号", detail["number"], "申请人", detail["applicant_name"]),
        ("信用主体", detail.get("subject_name") or "", "", ""),
        ("异议信息", record.get("title") or detail.get("record_title") or "", "", ""),
        ("提供单位", record.get("provider_name") or detail.get("agency_name") or "", "", ""),
        ("决定日期", _day(record.get("decision_date")), "文号", record.get("doc_number") or ""),
        ("受理日期", _day(detail["received_on"]), "核查答复日期", _day(detail.get("answered_on"))),
    ]


def render_decision(detail: dict, verify_url: str, font: ReportFont | None = None) -> bytes:
    """书面告知 of one closed objection as PDF bytes (pure: no database, no clock).

    `detail`: views.detail() of the objection, with decision_no, outcome, decision_text and
    closed_on (the date of issue) set. Raises ReportFontMissing when no CJK font is available.
    """
    font = font or resolve_font()
    issued_on = detail.get("closed_on")
    pdf = NumberedLetter("告知书编号", detail["decision_no"])
    register(pdf, font)
    pdf.set_title(f"{TITLE} {detail['decision_no']}")
    pdf.set_author(get_settings().operator_name)
    pdf.set_creator(PLATFORM)
    pdf.set_lang("zh-CN")
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 19)
    pdf.set_text_color(*BRAND)
    pdf.cell(0, 11, TITLE, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "", 10)
    pdf.set_text_color(*MUTED)
    pdf.cell(0, 6, f"编号：{detail['decision_no']}", align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(5)
    para(pdf, f"{detail['applicant_name']}：", size=11, height=6.5, style="B")
    para(
        pdf,
        f"　　您于{_day(detail['received_on'])}对下列信用信息提出的异议申请（异议编号：{detail['number']}），"
        f"本中心已依法受理并转送信息提供单位核查。根据《郑州市公共信用信息管理暂行办法》第二十三条，"
        "现将核查处理结果书面告知如下：",
        size=10.5,
        height=6.2,
    )
    pdf.ln(2)
    kv_table(pdf, _record_rows(detail), (24, 52, 24, 44))
    pdf.ln(4)
    para(pdf, "处理结果", size=11, height=6.5, style="B", color=BRAND)
    para(pdf, Outcome.LABELS.get(detail["outcome"], detail["outcome"] or "—"), size=10.5, height=6.2)
    pdf.ln(2)
    para(pdf, "理由", size=11, height=6.5, style="B", color=BRAND)
    para(pdf, detail.get("decision_text") or detail.get("answer") or "—", size=10.5, height=6.2)
    pdf.ln(8)
    pdf.set_font(FAMILY, "", 11)
    for line in (get_settings().operator_name, _day(issued_on)):
        pdf.cell(0, 7, line, align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    verification_block(pdf, verify_url, "扫描二维码或访问下方链接，可核验本告知书的编号、处理结果和出具日期。")
    return bytes(pdf.output())
