"""The self-query PDF report: real PDFs, parsed back (issue 3 §1; R-15, R-17)."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest
import segno
from itsdangerous import URLSafeTimedSerializer
from pypdf import PdfReader

from portal.reports import fonts
from portal.reports.content import record_view, report_digest
from portal.reports.fonts import FontFace, ReportFont, ReportFontMissing, resolve_font
from portal.reports.pdf import FOOTER_NOTE, TITLE, render_self_report
from portal.reports.tokens import SALT, ReportClaim, new_report_no, sign_claim, verify_token

ISSUED = datetime(2026, 11, 22, 2, 10, 5, tzinfo=timezone.utc)  # 10:10:05 China time
URL = "http://testserver.local/reports/verify/TOKEN-PLACEHOLDER.abc_DEF-123"
COMPANY = {
    "kind": "legal",
    "subject_type": "enterprise",
    "name": "郑州鑫淼测试科技有限公司",
    "uscc": "91410105MA44ABCD1X",
    "legal_representative": "张测试",
}
RAW_ID = "410105199001011234"
PERSON = {"kind": "natural", "subject_type": "natural", "name": "李测试", "id_number_masked": "4101**********1234"}


def _record(n: int, **fields) -> dict:
    kinds = ("license", "penalty", "general")
    row = {
        "id": n,
        "disclosure_class": "ABC"[n % 3],
        "record_type": kinds[n % 3],
        "category": ("license", "penalty", "honour")[n % 3],
        "polarity": ("neutral", "negative", "positive")[n % 3],
        "title": f"记录标题第{n}号甲乙丙",
        "content": f"第{n}号记录的内容：经查，该单位存在需要记录的情形。",
        "provider_name": "郑州市市场监督管理局",
        "decision_date": date(2025, 1 + n % 12, 1 + n % 28),
        "doc_number": f"郑市监〔2025〕{n}号",
        "status": "in_force",
    }
    row.update(fields)
    return row


def _fonts() -> list:
    found = []
    if fonts.DEBIAN_REGULAR.is_file():
        face = FontFace(fonts.DEBIAN_REGULAR, fonts._sc_face_index(fonts.DEBIAN_REGULAR, 0))
        found.append(pytest.param(ReportFont(face, face, "debian"), id="debian-ttc"))
    if fonts.FETCHED_REGULAR.is_file():
        face = FontFace(fonts.FETCHED_REGULAR)
        found.append(pytest.param(ReportFont(face, face, "fetched"), id="fetched-ttf"))
    return found or [pytest.param(None, marks=pytest.mark.skip(reason="no CJK font installed"), id="none")]


def _text(pdf: bytes) -> tuple[PdfReader, list[str]]:
    reader = PdfReader(io.BytesIO(pdf))
    # Wrapped lines break words, and pypdf reads the CFF (Debian TTC) output with NULs between
    # characters (it misses the embedded encoding CMap; poppler reads it cleanly): compare without both.
    return reader, ["".join(page.extract_text().replace("\x00", "").split()) for page in reader.pages]


def _font_files(reader: PdfReader) -> list[set[str]]:
    found = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                found.append({key for key in descriptor if key.startswith("/FontFile")})
    return found


@pytest.mark.parametrize("font", _fonts())
def test_pdf_text_is_chinese_extractable_and_font_embedded(font):
    records = [_record(n) for n in range(1, 7)]
    pdf = render_self_report(COMPANY, records, ISSUED, "XYBG20261122ABCDEFGH", URL, font=font)
    assert pdf.startswith(b"%PDF-")
    reader, pages = _text(pdf)
    text = "".join(pages)
    # Extractable Chinese proves a ToUnicode map; the font files prove embedding (not a system reference).
    for expected in (TITLE, COMPANY["name"], COMPANY["uscc"], FOOTER_NOTE, "2026年11月22日10:10:05（北京时间）"):
        assert expected in text
    for record in records:
        assert record["title"] in text and record["doc_number"] in text
    for label in (
        "社会公开类",
        "部门共享类",
        "有限共享类",
        "行政许可",
        "行政处罚",
        "郑州市市场监督管理局",
        "失信（负面）",
    ):
        assert label in text
    files = _font_files(reader)
    assert files and all(f & {"/FontFile2", "/FontFile3"} for f in files)
    assert len(pdf) < 400_000  # subset, not the 10–20 MB font


def test_resolved_font_is_the_simplified_chinese_face(monkeypatch):
    monkeypatch.delenv("PORTAL_CJK_FONT", raising=False)
    font = resolve_font()
    assert font.source in {"debian", "fetched"}
    if font.regular.path.suffix == ".ttc":
        from fontTools.ttLib import TTCollection

        names = [f["name"].getDebugName(4) for f in TTCollection(str(font.regular.path), lazy=True).fonts]
        assert names[font.regular.index] == "Noto Sans CJK SC"


def test_missing_font_is_a_clear_chinese_error(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_CJK_FONT", str(tmp_path / "none.ttf"))
    with pytest.raises(ReportFontMissing) as err:
        render_self_report(COMPANY, [], ISSUED, "XYBG20261122ABCDEFGH", URL)
    assert str(err.value) == "系统缺少中文字体，暂时无法生成 PDF 报告"


def test_natural_person_id_is_printed_masked():
    pdf = render_self_report({**PERSON, "id_number": RAW_ID}, [_record(1)], ISSUED, "XYBG1", URL)
    text = "".join(_text(pdf)[1])
    assert "4101**********1234" in text and "公民身份号码" in text
    assert RAW_ID not in text
    only_raw = {"kind": "natural", "subject_type": "natural", "name": "李测试", "id_number": RAW_ID}
    text = "".join(_text(render_self_report(only_raw, [], ISSUED, "XYBG1", URL))[1])
    assert "4101**********1234" in text and RAW_ID not in text


def _qr_matrix(image, size: int) -> list[list[int]]:
    gray = image.convert("L")
    total = size + 4  # segno border=2 on each side
    step = gray.width / total
    return [
        [1 if gray.getpixel((int((c + 2.5) * step), int((r + 2.5) * step))) < 128 else 0 for c in range(size)]
        for r in range(size)
    ]


def test_qr_code_encodes_the_verification_link_which_is_also_printed():
    pdf = render_self_report(COMPANY, [_record(1)], ISSUED, "XYBG1", URL)
    reader, pages = _text(pdf)
    assert URL in pages[0]
    images = reader.pages[0].images
    assert len(images) == 1
    expected = segno.make(URL, error="m", micro=False)
    size = expected.symbol_size(border=0)[0]
    want = [[1 if cell else 0 for cell in row] for row in expected.matrix]
    assert _qr_matrix(images[0].image, size) == want


def test_many_records_paginate_with_numbered_footers():
    records = [_record(n, content="很长的内容。" * 40) for n in range(1, 66)]
    pdf = render_self_report(COMPANY, records, ISSUED, "XYBG20261122ABCDEFGH", URL)
    reader, pages = _text(pdf)
    total = len(pages)
    assert total >= 6
    for number, text in enumerate(pages, 1):
        assert f"第{number}页/共{total}页" in text
        assert FOOTER_NOTE in text
    joined = "".join(pages)
    assert all(r["title"] in joined for r in records)
    assert "信息条数65条" in joined
    assert all(abs(float(p.mediabox.width) - 595.28) < 1 for p in reader.pages)  # A4


def test_long_unbroken_text_wraps_and_is_kept_whole():
    content = "".join(chr(0x4E00 + (i * 7) % 2000) for i in range(3000))
    pdf = render_self_report(COMPANY, [_record(1, content=content)], ISSUED, "XYBG1", URL)
    reader, pages = _text(pdf)
    assert len(pages) >= 2
    running = re.compile(rf"{FOOTER_NOTE}第\d+页/共\d+页|{re.escape(TITLE)}报告编号：XYBG1")
    assert content in running.sub("", "".join(pages))  # every character, across page breaks


def test_digest_is_deterministic_and_order_independent():
    records = [_record(n) for n in range(1, 10)]
    first = report_digest(COMPANY, records, ISSUED)
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert report_digest(dict(COMPANY), [dict(r) for r in reversed(records)], ISSUED) == first
    assert report_digest(COMPANY, records, ISSUED.astimezone(timezone(timedelta(hours=8)))) == first


def test_digest_changes_when_any_printed_field_changes():
    records = [_record(n) for n in (3, 4, 5)]  # the first: class A, licence, neutral
    base = report_digest(COMPANY, records, ISSUED)
    changes = {
        "id": 99,
        "disclosure_class": "B",
        "record_type": "general",
        "category": "judicial",
        "polarity": "positive",
        "title": "改过的标题",
        "content": "改过的内容",
        "provider_name": "另一个部门",
        "decision_date": date(2020, 1, 1),
        "doc_number": "改〔2025〕1号",
        "status": "revoked",
        "objection_pending": True,
    }
    assert set(record_view(records[0])) == {("provider" if k == "provider_name" else k) for k in changes}
    for field, value in changes.items():
        changed = [{**records[0], field: value}, *records[1:]]
        assert report_digest(COMPANY, changed, ISSUED) != base, field
    assert report_digest(COMPANY, records[:-1], ISSUED) != base
    assert report_digest({**COMPANY, "name": "别的公司"}, records, ISSUED) != base
    assert report_digest(COMPANY, records, ISSUED + timedelta(seconds=1)) != base


def _claim() -> ReportClaim:
    return ReportClaim(new_report_no(ISSUED), report_digest(COMPANY, [], ISSUED), ISSUED, 0)


def test_token_round_trip():
    claim = _claim()
    assert claim.report_no.startswith("XYBG20261122") and len(claim.report_no) == 20
    assert verify_token(sign_claim(claim)) == claim


def test_tampered_or_foreign_tokens_do_not_verify():
    claim = _claim()
    token = sign_claim(claim)
    payload, timestamp, signature = token.rsplit(".", 2)
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    other = sign_claim(replace(claim, record_count=5))
    forged = [
        f"{payload}.{timestamp}.{flipped}",
        f"{other.rsplit('.', 2)[0]}.{timestamp}.{signature}",  # another claim under this signature
        token[:-5],
        "",
        "not-a-token",
        "a" * 5000,
        URLSafeTimedSerializer("another-secret", salt=SALT).dumps({"n": "X", "d": "0" * 64, "t": 1, "c": 0}),
        URLSafeTimedSerializer(_secret(), salt="another.salt").dumps({"n": "X", "d": "0" * 64, "t": 1, "c": 0}),
        URLSafeTimedSerializer(_secret(), salt=SALT).dumps(["not", "a", "dict"]),
        URLSafeTimedSerializer(_secret(), salt=SALT).dumps({"n": "X", "d": "short", "t": 1, "c": 0}),
    ]
    for token in forged:
        assert verify_token(token) is None, token


def _secret() -> str:
    from portal.settings import get_settings

    return get_settings().secret_key
