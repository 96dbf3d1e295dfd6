"""Issuing a self-query report and verifying it on the public page (issue 3 §1; R-15, R-17)."""

from __future__ import annotations

import io
import re
from dataclasses import replace

import pytest
from pypdf import PdfReader

from portal.lib.dates import to_china
from portal.records.tables import CreditRecord
from portal.reports.content import report_digest
from portal.reports.service import build_self_report, revoke_report
from portal.reports.tables import IssuedReport
from portal.reports.tokens import sign_claim, verify_token
from portal.subjects.tables import Subject
from tests import factories as f

pytestmark = pytest.mark.anyio
BASE = "http://testserver.local"
TOKEN = re.compile(r"/reports/verify/([A-Za-z0-9_\-.]+)")


async def _records(subject_id: int) -> list[dict]:
    """What the disclosure path hands over: the subject's own A, B and C records (R-15)."""
    R = CreditRecord
    return await R.select(
        R.id,
        R.disclosure_class,
        R.record_type,
        R.category,
        R.polarity,
        R.title,
        R.content,
        R.provider.name.as_alias("provider_name"),
        R.decision_date,
        R.doc_number,
        R.status,
    ).where(R.subject == subject_id)


async def _issue_for_person() -> tuple[dict, list[dict], bytes, str, str]:
    person = await f.natural_subject(name="欧阳测犇")
    provider = await f.agency()
    marker = f.unique("标记")
    for cls in "ABC":
        await f.record(person["id"], provider["id"], disclosure_class=cls, title=f"{cls}类记录{marker}")
    records = await _records(person["id"])
    pdf, filename = await build_self_report(person["id"], records, base_url=BASE, audit_receipt="receipt-1")
    text = "".join(p.extract_text().replace("\x00", "") for p in PdfReader(io.BytesIO(pdf)).pages)
    token = TOKEN.search("".join(text.split())).group(1)
    return person, records, pdf, filename, token


async def test_issued_report_verifies_on_the_public_page(client):
    person, records, pdf, filename, token = await _issue_for_person()
    claim = verify_token(token)
    assert claim is not None and claim.record_count == 3
    assert filename == f"credit-report-{claim.report_no}.pdf" and filename.isascii()
    row = await IssuedReport.select().where(IssuedReport.report_no == claim.report_no).first()
    assert row["subject"] == person["id"] and row["digest"] == claim.digest and row["audit_receipt"] == "receipt-1"
    subject = await Subject.select().where(Subject.id == person["id"]).first()
    assert claim.digest == report_digest(subject, records, claim.issued_at)  # the content, not the PDF bytes

    response = await client.get(f"/reports/verify/{token}")
    assert response.status_code == 200
    page = response.text
    assert "报告真实有效" in page and claim.report_no in page and claim.digest in page
    assert "3 条" in page and "欧**犇" in page
    assert to_china(claim.issued_at).strftime("%H:%M:%S") in page  # to the second, as printed
    # Nothing personal beyond the masked name: no full name, no ID number, no record.
    assert "欧阳测犇" not in page and person["id_number"] not in page
    assert all(r["title"] not in page for r in records)
    assert response.headers["cache-control"] == "no-store"


async def test_pdf_prints_the_masked_id_and_all_three_classes():
    person, records, pdf, _, token = await _issue_for_person()
    text = "".join("".join(p.extract_text().replace("\x00", "").split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert person["id_number"] not in text
    assert person["id_number"][:4] + "*" * 10 + person["id_number"][-4:] in text
    assert all(r["title"] in text for r in records)
    assert verify_token(token).digest in text


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-3] + ("AAA" if not t.endswith("AAA") else "BBB"),  # signature edited
        lambda t: "x" + t,  # payload edited
        lambda t: t.rsplit(".", 1)[0],  # signature cut off
        lambda t: "not-a-token",
        lambda t: "a/b/../c%00",
        lambda t: "z" * 3000,
    ],
)
async def test_forged_tokens_get_a_clear_400_page(client, mangle):
    _, _, _, _, token = await _issue_for_person()
    response = await client.get(f"/reports/verify/{mangle(token)}")
    assert response.status_code == 400
    assert "无法验证" in response.text and "报告真实有效" not in response.text


async def test_signed_claims_must_match_the_registry(client):
    _, _, _, _, token = await _issue_for_person()
    claim = verify_token(token)
    for other in (
        replace(claim, digest="0" * 64),  # what a leaked key could sign: still not what was issued
        replace(claim, record_count=claim.record_count + 1),
        replace(claim, report_no="XYBG20990101AAAAAAAA"),
    ):
        response = await client.get(f"/reports/verify/{sign_claim(other)}")
        assert response.status_code == 400 and "无法验证" in response.text


async def test_revoked_report_says_so(client):
    _, _, _, _, token = await _issue_for_person()
    claim = verify_token(token)
    assert await revoke_report(claim.report_no, "所依据的记录已更正")
    assert not await revoke_report(claim.report_no, "再次撤销")
    response = await client.get(f"/reports/verify/{token}")
    assert response.status_code == 410
    assert "报告已撤销" in response.text and "所依据的记录已更正" in response.text
    assert "报告真实有效" not in response.text


async def test_enterprise_report_shows_the_registered_name(client):
    company = await f.legal_subject()
    provider = await f.agency()
    await f.record(company["id"], provider["id"], disclosure_class="B", title="部门共享类测试记录")
    pdf, _ = await build_self_report(company["id"], await _records(company["id"]), base_url=BASE)
    text = "".join("".join(p.extract_text().replace("\x00", "").split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert company["name"] in text and company["uscc"] in text and "部门共享类测试记录" in text
    response = await client.get(f"/reports/verify/{TOKEN.search(text).group(1)}")
    assert response.status_code == 200 and company["name"] in response.text
