"""The written decision (书面告知, R-23): the PDF read back, and its public verification page
(build item 6 of the objection work)."""

from __future__ import annotations

import io
from datetime import date

import pytest
import segno
from itsdangerous import URLSafeSerializer
from pypdf import PdfReader

from portal.objections.decision import TITLE, check_decision, decision_url, render_decision, sign_decision
from portal.objections.stages import Outcome
from portal.objections.views import detail
from portal.reports.fonts import ReportFontMissing, resolve_font
from portal.settings import get_settings
from tests import factories as f
from tests.unit.test_report_pdf import _qr_matrix

pytestmark = pytest.mark.anyio
BASE = "http://testserver.local"
REASONS = "经核查，该行政处罚决定书所载罚款金额录入有误，已按原决定书更正为五千元。"


def _font_or_skip():
    try:
        return resolve_font()
    except ReportFontMissing:
        pytest.skip("no CJK font installed")


async def _closed(subject_id: int | None = None, **fields) -> dict:
    values = {
        "stage": "closed",
        "received_on": date(2026, 9, 30),
        "forwarded_on": date(2026, 10, 9),
        "answered_on": date(2026, 10, 28),
        "closed_on": date(2026, 10, 29),
        "outcome": Outcome.CORRECTED,
        "answer": REASONS,
        "decision_no": f.unique("YYGZ"),
        "decision_text": REASONS,
    }
    values.update(fields)
    return await f.objection_row(subject_id=subject_id, **values)


def _text(pdf: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return reader, "".join("".join(p.extract_text().replace("\x00", "").split()) for p in reader.pages)


async def test_decision_pdf_carries_title_number_outcome_reasons_and_the_verify_link():
    font = _font_or_skip()
    made = await _closed()
    row = await detail(made["id"])
    url = decision_url(sign_decision(made["id"], row["decision_no"]), BASE)
    reader, text = _text(render_decision(row, url, font))
    assert TITLE in text
    assert row["decision_no"] in text and row["number"] in text
    assert "王申请" in text  # the applicant
    assert row["record_now"]["title"] in text and row["record_now"]["doc_number"] in text
    assert row["record_now"]["provider_name"] in text and "2025年06月01日" in text  # decision date
    assert "2026年09月30日" in text  # received
    assert Outcome.LABELS[Outcome.CORRECTED] in text and REASONS in text
    assert "郑州市公共信用信息中心" in text and "2026年10月29日" in text  # who issued it, and when
    assert url in text
    assert row["statement"] not in text  # the applicant's own statement is not the decision
    # The QR code is the same link (cells sampled from the embedded image, as for the self-report).
    images = reader.pages[0].images
    assert len(images) == 1
    expected = segno.make(url, error="m", micro=False)
    size = expected.symbol_size(border=0)[0]
    assert _qr_matrix(images[0].image, size) == [[1 if c else 0 for c in r] for r in expected.matrix]


async def test_verify_page_shows_validity_outcome_and_masked_subject_only(client):
    person = await f.natural_subject(name="欧阳测犇")
    made = await _closed(subject_id=person["id"], statement="申请人陈述：该罚款已缴清。")
    row = await detail(made["id"])
    token = sign_decision(made["id"], row["decision_no"])
    page = await client.get(f"/objections/verify/{token}")
    assert page.status_code == 200
    html = page.text
    assert "有效" in html and row["decision_no"] in html and row["number"] in html
    assert "更正" in html and "2026-10-29" in html
    assert "欧**犇（" in html  # the masked label only
    assert "欧阳测犇" not in html and person["id_number"] not in html
    for secret in ("申请人陈述", REASONS, row["record_now"]["title"], row["record_now"]["doc_number"]):
        assert secret not in html
    assert page.headers["cache-control"] == "no-store"


async def test_tampered_foreign_and_undecided_tokens_are_refused(client):
    made = await _closed()
    row = await detail(made["id"])
    token = sign_decision(made["id"], row["decision_no"])
    assert await check_decision(token) is not None
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    other_number = sign_decision(made["id"], row["decision_no"] + "X")
    # Signed by the portal's key but under another salt (as a report token would be).
    foreign = URLSafeSerializer(get_settings().secret_key, salt="portal.reports.self-report.v1").dumps(
        {"o": made["id"], "n": row["decision_no"]}
    )
    # An objection answered but not yet told (not closed): a letter for it cannot exist yet.
    pending = await _closed(stage="answered", closed_on=None)
    pending_row = await detail(pending["id"])
    undecided = sign_decision(pending["id"], pending_row["decision_no"])
    unknown = sign_decision(10**9, "YYGZ404")
    for bad in (tampered, other_number, foreign, undecided, unknown, "not-a-token"):
        assert await check_decision(bad) is None, bad
        page = await client.get(f"/objections/verify/{bad}")
        assert page.status_code == 400, bad
        assert "无法核验" in page.text and row["decision_no"] not in page.text
