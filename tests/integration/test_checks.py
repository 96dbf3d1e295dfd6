"""逢办必查 (R-P5, R-28, R-19): the check API with good, revoked and expired keys; class B only
within the agency's duties; unknown subjects recorded; ID numbers never stored; the audit entry
carries the 办件编号 as its case reference; the printable record carries its Chinese text."""

from __future__ import annotations

import io
import logging
from datetime import date, datetime, timedelta, timezone

import pytest
from pypdf import PdfReader

from audit import service as audit_service
from portal.ingest import keys
from portal.ingest.tables import ApiKey
from portal.products.checks import measures
from portal.products.checks.tables import CreditCheck
from portal.products.usage.tables import ProductUse
from tests import factories as f

pytestmark = pytest.mark.anyio


async def _key(agency: dict) -> str:
    key, _ = await keys.create_key(agency["code"], ["penalty"], "审批系统", "test")
    return key


def _body(subject: dict, case_no: str, domain: str = "supervision_approval", **over) -> dict:
    return {"subject": subject, "matter_name": "食品经营许可（新办）", "case_no": case_no, "domain": domain, **over}


async def _check(client, key: str | None, body: dict):
    headers = {"authorization": f"Bearer {key}"} if key else {}
    return await client.post("/api/v1/checks", json=body, headers=headers)


def _pdf_text(data: bytes) -> str:
    return "".join("".join(p.extract_text().replace("\x00", "").split()) for p in PdfReader(io.BytesIO(data)).pages)


async def _company_on_black_list():
    provider = await f.agency()
    company = await f.legal_subject(name=f"{f.unique('核查测试')}建材有限公司")
    b_title = f"{f.unique('部门共享')}记录"
    await f.record(
        company["id"], provider["id"], disclosure_class="B", title=b_title, polarity="negative", category="penalty"
    )
    await f.list_entry(company["id"], provider["id"], "black", list_name="重大税收违法失信主体", reason="偷税")
    return provider, company, b_title


async def test_good_key_answers_lists_measures_products_and_class_b_audited_with_the_case(client):
    provider, company, b_title = await _company_on_black_list()
    code = await measures.add(
        "black",
        "supervision_approval",
        f"{f.unique('')}列为重点监管对象，提高抽查比例",
        "郏信用办〔2021〕2号 五（十一）",
        "staff",
    )
    other = await measures.add("black", "fiscal_funds", "限制申请财政性资金项目", "昆政办发〔2017〕41号", "staff")
    agency = await f.agency()
    key = await _key(agency)
    case_no = f.unique("BJ2026-")
    r = await _check(client, key, _body({"kind": "legal", "uscc": company["uscc"]}, case_no))
    assert r.status_code == 200, r.text
    a = r.json()
    assert a["found"] and a["lists"]["red"] == [] and a["lists"]["black"][0]["list_name"] == "重大税收违法失信主体"
    got = {m["code"] for m in a["measures"]}
    assert code in got and other not in got  # R-P5: the measures of the matter's domain only
    assert a["commitments"] == [] and a["verification_opinion"] is None and a["credit_report"] is None
    assert a["class_b"]["included"] and [x["title"] for x in a["class_b"]["records"]] == [b_title]
    assert a["record_url"].endswith(f"/api/v1/checks/{a['check_number']}/record.pdf")
    # R-19, R-28: recorded before the answer, with the 办件编号 as the case reference and method API.
    entry = await audit_service.entry(a["audit"]["seq"])
    assert entry["outcome"] == "allowed" and entry["authority_ref"] == f"case:{case_no}"
    assert entry["method"] == "api" and entry["scope"] == "B" and case_no in entry["reason_text"]
    row = await CreditCheck.select().where(CreditCheck.number == a["check_number"]).first()
    assert row["audit_seq"] == a["audit"]["seq"] and row["class_b"] and row["agency"] == agency["id"]
    uses = await ProductUse.select(ProductUse.product, ProductUse.outcome).where(ProductUse.credit_check == row["id"])
    assert uses == [{"product": "list", "outcome": ""}]
    # The printable record, fetched with the same key, carries its Chinese text (R-28).
    pdf = await client.get(f"/api/v1/checks/{a['check_number']}/record.pdf", headers={"authorization": f"Bearer {key}"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = _pdf_text(pdf.content)
    assert "信用核查记录单" in text and case_no in text and "重大税收违法失信主体" in text and "重点监管对象" in text
    assert b_title in text
    # Another agency's key cannot fetch it; no key is a 401.
    stranger = await _key(await f.agency())
    assert (
        await client.get(
            f"/api/v1/checks/{a['check_number']}/record.pdf", headers={"authorization": f"Bearer {stranger}"}
        )
    ).status_code == 404
    assert (await client.get(f"/api/v1/checks/{a['check_number']}/record.pdf")).status_code == 401


async def test_a_valid_credit_report_is_in_the_answer_without_its_content(client):
    company = await f.legal_subject()
    report = await f.credit_report(company["id"], grade="AA", secret="报告正文不外泄")
    key = await _key(await f.agency())
    r = await _check(client, key, _body({"kind": "legal", "uscc": company["uscc"]}, f.unique("CR-")))
    assert r.status_code == 200, r.text
    section = r.json()["credit_report"]
    assert section["filing_no"] == report["filing_no"] and section["needs_rerating"] is False
    assert date.fromisoformat(section["valid_until"]) > date.today()
    assert "报告正文不外泄" not in r.text and '"AA"' not in r.text  # R-P3: existence, not content
    row = await CreditCheck.select().where(CreditCheck.number == r.json()["check_number"]).first()
    uses = await ProductUse.select(ProductUse.product).where(ProductUse.credit_check == row["id"])
    assert sorted(u["product"] for u in uses) == ["list", "report"]  # R-P4: the report was used


async def test_commitments_in_force_are_in_the_answer_and_a_breached_one_is_not(client):
    from tests import commitmentflow as cf

    company = await f.legal_subject()
    accepting = await f.agency()
    _, signer = await cf.proven_subject("enterprise", company["id"])
    kept = await cf.signed(signer, accepting["id"], matter="食品经营许可（新办）")
    broken = await cf.signed(signer, accepting["id"], matter="户外广告设置许可")
    _, officer = await cf.officer(accepting["id"])
    await cf.breached(officer, broken)
    key = await _key(await f.agency())
    r = await _check(client, key, _body({"kind": "legal", "uscc": company["uscc"]}, f.unique("CM-")))
    assert r.status_code == 200, r.text
    assert [c["id"] for c in r.json()["commitments"]] == [kept]  # R-P1: in force only
    assert r.json()["commitments"][0]["verify_url"].startswith("/commitments/verify/")


async def test_revoked_and_expired_keys_get_a_401_json_error_and_nothing_is_recorded(client):
    _, company, _ = await _company_on_black_list()
    agency = await f.agency()
    revoked, expired = await _key(agency), await _key(agency)
    rows = await ApiKey.select(ApiKey.id).where(ApiKey.agency == agency["id"]).order_by(ApiKey.id)
    assert await keys.revoke_key(rows[0]["id"], "泄露")
    await ApiKey.update({ApiKey.expires_at: datetime.now(timezone.utc) - timedelta(seconds=1)}).where(
        ApiKey.id == rows[1]["id"]
    )
    for key in (revoked, expired, None, "zxk_nope_nope"):
        r = await _check(client, key, _body({"kind": "legal", "uscc": company["uscc"]}, f.unique("K")))
        assert r.status_code == 401 and r.json()["error"]["code"] == "not_authenticated"
    assert await CreditCheck.count().where(CreditCheck.agency == agency["id"]) == 0


async def test_out_of_duty_domain_withholds_class_b_but_still_answers_and_records(client):
    """R-15: a reason resting on the subject's authorisation is not a duty: no class B."""
    _, company, b_title = await _company_on_black_list()
    key = await _key(await f.agency())
    case_no = f.unique("RZ-")
    r = await _check(client, key, _body({"kind": "legal", "uscc": company["uscc"]}, case_no, domain="financing"))
    assert r.status_code == 200, r.text
    a = r.json()
    assert a["class_b"] == {"included": False, "withheld_reason": "该事由须经主体书面授权", "records": []}
    assert b_title not in r.text and a["lists"]["black"]  # the lists are public: still answered
    entry = await audit_service.entry(a["audit"]["seq"])
    assert entry["scope"] == "A" and entry["authority_ref"] == f"case:{case_no}"


async def test_unknown_subject_is_a_404_with_a_check_number_and_is_recorded(client):
    agency = await f.agency()
    key = await _key(agency)
    case_no = f.unique("WZ-")
    r = await _check(client, key, _body({"kind": "legal", "uscc": f.new_uscc()}, case_no))
    assert r.status_code == 404 and r.json()["error"]["code"] == "subject_not_found"
    number = r.json()["check_number"]
    row = await CreditCheck.select().where(CreditCheck.number == number).first()
    assert row is not None and not row["found"] and row["subject"] is None
    entry = await audit_service.entry(row["audit_seq"])
    assert entry["outcome"] == "refused:subject_not_found" and entry["authority_ref"] == f"case:{case_no}"
    pdf = await client.get(f"/api/v1/checks/{number}/record.pdf", headers={"authorization": f"Bearer {key}"})
    assert "没有与所填信息一致的信用主体" in _pdf_text(pdf.content)


async def test_id_number_subject_is_found_by_digest_and_the_raw_number_is_nowhere(client, caplog):
    provider = await f.agency()
    person = await f.natural_subject("王核查")
    await f.list_entry(person["id"], provider["id"], "red", list_name="诚信个人")
    key = await _key(await f.agency())
    caplog.set_level(logging.DEBUG)
    r = await _check(client, key, _body({"kind": "natural", "id_number": person["id_number"]}, f.unique("ZR-")))
    assert r.status_code == 200, r.text
    a = r.json()
    assert a["found"] and a["lists"]["red"][0]["list_name"] == "诚信个人" and person["id_number"] not in r.text
    row = await CreditCheck.select().where(CreditCheck.number == a["check_number"]).first()
    assert person["id_number"] not in str(row) and row["subject"] == person["id"]
    entry = await audit_service.entry(a["audit"]["seq"])
    assert person["id_number"] not in str(entry)
    assert person["id_number"] not in caplog.text
    pdf = await client.get(f"/api/v1/checks/{a['check_number']}/record.pdf", headers={"authorization": f"Bearer {key}"})
    assert person["id_number"] not in _pdf_text(pdf.content)


async def test_bad_input_is_a_precise_400_and_records_nothing(client):
    agency = await f.agency()
    key = await _key(agency)
    r = await _check(client, key, _body({"kind": "legal", "uscc": "91410100XXXXXXXXXX"}, "A1"))
    assert r.status_code == 400 and r.json()["error"]["fields"][0]["key"] == "subject.uscc"
    r = await _check(client, key, _body({"kind": "legal", "uscc": f.new_uscc()}, "有 空格"))
    assert r.status_code == 400 and r.json()["error"]["fields"][0]["key"] == "case_no"
    r = await _check(client, key, _body({"kind": "natural", "id_number": "410101199001011234"}, "A1"))
    assert r.status_code == 400 and "410101199001011234" not in r.text
    assert await CreditCheck.count().where(CreditCheck.agency == agency["id"]) == 0


async def test_a_key_notes_its_use_at_most_once_a_minute():
    from portal.ingest.tables import ApiKey

    key = await _key(await f.agency())
    row = ApiKey.select(ApiKey.id, ApiKey.last_used_at).where(ApiKey.secret_sha256 == keys._digest(key))
    assert (await row.first())["last_used_at"] is None
    assert await keys.authenticate(f"Bearer {key}") is not None
    first = (await row.first())["last_used_at"]
    assert first is not None
    assert await keys.authenticate(f"Bearer {key}") is not None
    assert (await row.first())["last_used_at"] == first  # no write for every call
    stale = datetime.now(timezone.utc) - keys.TOUCH_EVERY - timedelta(seconds=1)
    await ApiKey.update({ApiKey.last_used_at: stale}).where(ApiKey.id == (await row.first())["id"])
    assert await keys.authenticate(f"Bearer {key}") is not None
    assert (await row.first())["last_used_at"] > stale
