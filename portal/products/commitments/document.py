"""The signed commitment as an A4 PDF, and its check page token (R-P1).

The token names the commitment and its number, signed with the portal's secret key under a salt of
its own, so no other signed value of the portal passes for it. The check page answers from the
database: status (履约中 / 已违诺) as of now, the text's version and SHA-256, the subject masked (R-17).
"""

from __future__ import annotations

from dataclasses import dataclass

from fpdf.enums import Align, XPos, YPos
from itsdangerous import BadData, URLSafeSerializer

from portal.disclosure.service import subject_label
from portal.lib.dates import to_china
from portal.products.commitments.tables import Commitment, CommitmentDomain, CommitmentStatus
from portal.reports.fonts import ReportFont, resolve_font
from portal.reports.letter import NumberedLetter, verification_block
from portal.reports.pdf import BRAND, FAMILY, MUTED, PLATFORM, kv_table, para, register
from portal.settings import get_settings
from portal.subjects.tables import Subject, SubjectKind

__all__ = ["sign_token", "read_token", "verify_path", "verify_url", "check", "render", "pdf_filename", "subject_line"]

SALT = "portal.products.commitments.v1"
MAX_TOKEN_LENGTH = 512


@dataclass(frozen=True)
class CommitmentClaim:
    commitment_id: int
    number: str


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(get_settings().secret_key, salt=SALT)


def sign_token(commitment_id: int, number: str) -> str:
    """No expiry: the page tells the commitment's state now (履约中 or 已违诺)."""
    return _serializer().dumps({"c": int(commitment_id), "n": number})


def read_token(token: str) -> CommitmentClaim | None:
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        payload = _serializer().loads(token)
        claim = CommitmentClaim(int(payload["c"]), str(payload["n"]))
    except (BadData, KeyError, TypeError, ValueError, UnicodeError):
        return None
    return claim if claim.commitment_id > 0 and claim.number else None


def verify_path(commitment_id: int, number: str) -> str:
    return f"/commitments/verify/{sign_token(commitment_id, number)}"


def verify_url(commitment_id: int, number: str, base_url: str | None = None) -> str:
    """The printed link: PORTAL_BASE_URL first, else the checked base of the request (as reports do)."""
    base = get_settings().base_url or base_url or "http://127.0.0.1:8000"
    return base.rstrip("/") + verify_path(commitment_id, number)


def subject_line(subject: dict) -> str:
    """Name and code; a natural person's ID number only masked (R-17)."""
    if subject["kind"] == SubjectKind.NATURAL:
        return f"{subject['name']}（公民身份号码 {subject.get('id_number_masked') or '—'}）"
    return f"{subject['name']}（统一社会信用代码 {subject.get('uscc') or '—'}）"


async def check(token: str) -> dict | None:
    """What the public check page shows of a genuine commitment; None for any other token."""
    claim = read_token(token)
    if claim is None:
        return None
    C = Commitment
    row = (
        await C.select(
            C.number,
            C.subject,
            C.domain,
            C.text_version,
            C.text_sha256,
            C.matter,
            C.case_no,
            C.agency.name.as_alias("agency_name"),
            C.signed_on,
            C.valid_until,
            C.status,
            C.breached_on,
        )
        .where(C.id == claim.commitment_id)
        .first()
    )
    if row is None or row["number"] != claim.number or row["status"] == CommitmentStatus.WITHDRAWN:
        return None
    S = Subject
    subject = await S.select(S.kind, S.name, S.uscc, S.id_number_masked).where(S.id == row.pop("subject")).first()
    row["subject_label"] = subject_label(subject)
    row["domain_label"] = CommitmentDomain.LABELS.get(row["domain"], row["domain"])
    row["status_label"] = CommitmentStatus.LABELS.get(row["status"], row["status"])
    return row


def pdf_filename(found: dict) -> str:
    return f"信用承诺书-{found['number']}.pdf"


def render(found: dict, url: str, font: ReportFont | None = None) -> bytes:
    """A signed commitment (service.detail) as PDF bytes: pure, no database, no clock."""
    font = font or resolve_font()
    pdf = NumberedLetter("承诺书编号", found["number"])
    register(pdf, font)
    pdf.set_title(f"{found['text_title']} {found['number']}")
    pdf.set_author(found["signer_name"])
    pdf.set_creator(PLATFORM)
    pdf.set_lang("zh-CN")
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 18)
    pdf.set_text_color(*BRAND)
    pdf.multi_cell(0, 10, found["text_title"], align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "", 10)
    pdf.set_text_color(*MUTED)
    pdf.cell(0, 6, f"编号：{found['number']}", align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    signed_at = to_china(found["signed_at"]).strftime("%Y年%m月%d日 %H:%M")
    rows = [
        ("承诺主体", subject_line(found["subject_row"]), "", ""),
        ("事项名称", found["matter"], "", ""),
        ("办件编号", found["case_no"] or "—", "受理部门", found["agency_name"]),
        ("应用领域", found["domain_label"], "", ""),
        ("签署时间", signed_at, "范本版本", f"第 {found['text_version']} 版"),
        (
            "有效期至",
            found["valid_until"].strftime("%Y年%m月%d日") if found["valid_until"] else "事项办结",
            "状态",
            found["status_label"],
        ),
        ("文本摘要", f"SHA-256 {found['text_sha256']}", "", ""),
    ]
    kv_table(pdf, rows, (22, 58, 22, 42), small=frozenset({"文本摘要"}))
    pdf.ln(5)
    for paragraph in found["text_body"].split("\n"):
        para(pdf, "　　" + paragraph, size=10.5, height=6.2)
    pdf.ln(6)
    pdf.set_font(FAMILY, "", 11)
    for line in (f"承诺人：{found['signer_name']}（网上签署）", to_china(found["signed_at"]).strftime("%Y年%m月%d日")):
        pdf.cell(0, 7, line, align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if found["status"] == CommitmentStatus.BREACHED:
        pdf.ln(3)
        para(
            pdf,
            f"已违诺：{found['agency_name']}于{found['breached_on']:%Y年%m月%d日}认定违背本承诺。",
            style="B",
            color=BRAND,
        )
    verification_block(pdf, url, "扫描二维码或访问下方链接，可核验本承诺书的编号、履约状态、范本版本和摘要。")
    return bytes(pdf.output())
