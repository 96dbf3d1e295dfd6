"""信用承诺 (R-P1): standard texts in versions (build item 1), online signing by proven subjects
(item 2), publication on the profile, PDF and check page (item 3), breach by the accepting agency
(item 4) and the check API's view (item 5)."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
import segno
from itsdangerous import URLSafeSerializer
from pypdf import PdfReader

from portal.lib.dates import today_cn
from portal.notices.tables import Notice
from portal.products.commitments import document, service, texts
from portal.products.commitments.tables import Commitment, CommitmentText
from portal.records.tables import CreditRecord
from portal.reports.fonts import ReportFontMissing, resolve_font
from portal.settings import get_settings
from tests import commitmentflow as cf
from tests import factories as f
from tests.queryflow import csrf, logged_in
from tests.unit.test_report_pdf import _qr_matrix

pytestmark = pytest.mark.anyio
C = Commitment


def _text_of(pdf: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return reader, "".join("".join(p.extract_text().replace("\x00", "").split()) for p in reader.pages)


async def _form(client, domain: str = "supervision") -> dict:
    page = await client.get("/me/commitments/new", params={"domain": domain})
    assert page.status_code == 200, page.text
    fields = dict(re.findall(r'name="(text|form_token|domain)" value="([^"]*)"', page.text))
    return {"_csrf_token": csrf(client), **fields}


async def test_seeded_texts_cover_every_domain_and_state_the_three_pledges():
    current = await texts.current_texts()
    assert {t["domain"] for t in current} == {
        "public_resources",
        "procurement",
        "supervision",
        "awards",
        "qualification",
        "other",
    }
    for t in current:
        assert t["text_sha256"] == texts.digest(t["title"], t["body"])  # the migration's digest is the same rule
        for pledge in ("信用状况", "真实", "违背承诺的责任", "公开"):  # KS 第六、九条
            assert pledge in t["body"]


async def test_staff_change_makes_a_new_version_and_signed_commitments_keep_theirs(app):
    staff = await f.account("staff")
    company = await f.legal_subject()
    agency = await f.agency()
    _, signer = await cf.proven_subject("enterprise", company["id"])
    before = await texts.current_for("awards")
    old_id = await cf.signed(signer, agency["id"], domain="awards", matter="市级文明单位评选")
    body = before["body"] + f"\n五、本单位承诺评选期间不存在弄虚作假行为（{f.unique()}）。"
    async with logged_in(app, staff) as client:
        data = {
            "_csrf_token": csrf(client),
            "domain": "awards",
            "title": before["title"],
            "body": body,
            "note": "增加第五项",
        }
        saved = await client.post("/staff/commitments/templates", data=data, follow_redirects=False)
        assert saved.status_code == 303, saved.text
        page = await client.get(saved.headers["location"])
        assert f"第 {before['version'] + 1} 版" in page.text and "增加第五项" in page.text
        assert f"/staff/commitments/templates/{before['id']}" in page.text  # the old version is listed
        old_page = await client.get(f"/staff/commitments/templates/{before['id']}")
        assert "已停用" in old_page.text and "五、本单位承诺评选期间" not in old_page.text
        again = await client.post("/staff/commitments/templates", data=data, follow_redirects=False)
        assert again.status_code == 400 and "内容与现行版本相同" in again.text
        hollow = {**data, "body": "本人承诺遵纪守法。"}
        refused = await client.post("/staff/commitments/templates", data=hollow, follow_redirects=False)
        assert refused.status_code == 400 and "信用状况" in refused.text
    after = await texts.current_for("awards")
    assert after["version"] == before["version"] + 1 and after["text_sha256"] == texts.digest(after["title"], body)
    old_row = await service.detail(old_id)
    assert (old_row["text"], old_row["text_version"], old_row["text_sha256"]) == (
        before["id"],
        before["version"],
        before["text_sha256"],
    )
    assert "五、本单位承诺评选期间" not in old_row["text_body"]
    assert await CommitmentText.count().where(CommitmentText.domain == "awards") >= 2
    # A form still showing the old version cannot be signed under the new one unseen.
    stale = service.SigningForm("awards", before["id"], "再次申报", "", agency["id"], "", "1", service.new_form_token())
    with pytest.raises(service.CommitmentError) as exc:
        await service.sign(signer, stale)
    assert exc.value.status == 409


async def test_proven_subject_signs_once_with_version_digest_signer_and_time(app):
    company = await f.legal_subject()
    agency = await f.agency()
    owner = await f.proven("enterprise", subject_id=company["id"])
    text = await texts.current_for("supervision")
    async with logged_in(app, owner) as client:
        page = await client.get("/me/commitments/new", params={"domain": "supervision"})
        assert text["title"] in page.text and text["body"].split("\n")[1] in page.text  # the full text
        assert 'name="confirm"' in page.text
        data = {
            **await _form(client),
            "matter": "食品经营许可（新办）",
            "case_no": "ZZ-2026-000123",
            "agency": str(agency["id"]),
        }
        unconfirmed = await client.post("/me/commitments", data=data, follow_redirects=False)
        assert unconfirmed.status_code == 400 and "请勾选" in unconfirmed.text
        assert await C.count().where(C.subject == company["id"]) == 0
        first = await client.post("/me/commitments", data={**data, "confirm": "1"}, follow_redirects=False)
        assert first.status_code == 303, first.text
        twice = await client.post("/me/commitments", data={**data, "confirm": "1"}, follow_redirects=False)
        assert twice.status_code == 303 and twice.headers["location"] == first.headers["location"]
        shown = await client.get(first.headers["location"])
    assert await C.count().where(C.subject == company["id"]) == 1
    row = await C.select().where(C.subject == company["id"]).first()
    assert row["signed_by"] == owner["id"] and row["signer_name"] == company["name"] and row["agency"] == agency["id"]
    assert row["text"] == text["id"] and row["text_version"] == text["version"]
    assert row["text_sha256"] == texts.digest(text["title"], text["body"])
    assert row["signed_at"] is not None and row["signed_on"] == today_cn()
    assert row["number"] in shown.text and row["text_sha256"] in shown.text and "ZZ-2026-000123" in shown.text


async def test_unproven_account_is_refused_with_a_chinese_message(app):
    company = await f.legal_subject()
    agency = await f.agency()
    claimant = await f.account("enterprise", subject_id=company["id"])  # a claim, no accepted proof
    text = await texts.current_for("other")
    async with logged_in(app, claimant) as client:
        page = await client.get("/me/commitments/new", params={"domain": "other"})
        assert page.status_code == 403 and "身份核验通过后方可在网上签署信用承诺" in page.text
        assert 'name="confirm"' not in page.text
        data = {
            "_csrf_token": csrf(client),
            "domain": "other",
            "text": str(text["id"]),
            "matter": "申报",
            "agency": str(agency["id"]),
            "confirm": "1",
            "form_token": service.new_form_token(),
        }
        posted = await client.post("/me/commitments", data=data, follow_redirects=False)
        assert posted.status_code == 403 and "身份核验通过后" in posted.text
    assert await C.count().where(C.subject == company["id"]) == 0


async def test_a_subject_signs_only_for_itself_and_sees_only_its_own(app):
    mine, other = await f.legal_subject(), await f.legal_subject()
    agency = await f.agency()
    me = await f.proven("enterprise", subject_id=mine["id"])
    _, other_p = await cf.proven_subject("enterprise", other["id"])
    others = await cf.signed(other_p, agency["id"])
    person = await f.natural_subject(name="赵承诺")
    _, person_p = await cf.proven_subject("citizen", person["id"])
    persons = await cf.signed(person_p, agency["id"])
    async with logged_in(app, me) as client:
        data = {
            **await _form(client),
            "matter": "代签",
            "agency": str(agency["id"]),
            "confirm": "1",
            "subject": str(other["id"]),
        }
        posted = await client.post("/me/commitments", data=data, follow_redirects=False)
        assert posted.status_code == 303, posted.text  # a "subject" field is not an input: ignored
        assert (await client.get(f"/me/commitments/{others}")).status_code == 404
        assert (await client.get(f"/commitments/{persons}/pdf")).status_code == 404  # a person's copy is the person's
        listing = await client.get("/me/commitments")
    assert await C.count().where(C.subject == other["id"]) == 1  # still only its own
    assert await C.count().where(C.subject == mine["id"]) == 1  # what was signed is the signer's
    rows = await C.select(C.id, C.number).where(C.id == others)
    assert rows[0]["number"] not in listing.text


async def test_signed_commitment_is_published_on_the_profile(client):
    company = await f.legal_subject()
    agency = await f.agency(name=f"郑州市测试审批局{f.unique()}")
    _, signer = await cf.proven_subject("enterprise", company["id"])
    made = await cf.signed(signer, agency["id"], matter="建筑工程施工许可", case_no="JZ-2026-77")
    number = (await C.select(C.number).where(C.id == made).first())["number"]
    page = await client.get(f"/subjects/{company['uscc']}")
    assert "信用承诺" in page.text  # the tab
    tab = await client.get(f"/subjects/{company['uscc']}/commitment")
    assert tab.status_code == 200
    for shown in ("建筑工程施工许可", number, agency["name"], "履约中", "JZ-2026-77", f"/commitments/{made}/pdf"):
        assert shown in tab.text
    fragment = await client.get(f"/subjects/{company['uscc']}/commitment", headers={"HX-Request": "true"})
    assert "建筑工程施工许可" in fragment.text and "<html" not in fragment.text
    assert (await client.get(f"/commitments/{made}/pdf")).headers["content-type"] == "application/pdf"


async def test_pdf_carries_the_text_and_a_qr_of_the_check_page_natural_person_masked(client):
    try:
        font = resolve_font()
    except ReportFontMissing:
        pytest.skip("no CJK font installed")
    person = await f.natural_subject(name="钱承诺")
    agency = await f.agency()
    _, signer = await cf.proven_subject("citizen", person["id"])
    made = await cf.signed(signer, agency["id"], domain="qualification", matter="二级建造师执业资格注册")
    found = await service.detail(made)
    url = document.verify_url(made, found["number"], "http://testserver.local")
    reader, text = _text_of(document.render(found, url, font))
    for shown in (found["text_title"], found["number"], "二级建造师执业资格注册", found["text_sha256"], url, "钱承诺"):
        assert shown in text
    assert "".join(found["text_body"].split("\n")[1].split()) in text  # the pledges themselves
    masked = person["id_number"][:4] + "**********" + person["id_number"][-4:]
    assert masked in text and person["id_number"] not in text
    images = reader.pages[0].images
    assert len(images) == 1
    expected = segno.make(url, error="m", micro=False)
    assert _qr_matrix(images[0].image, expected.symbol_size(border=0)[0]) == [
        [1 if c else 0 for c in r] for r in expected.matrix
    ]
    token = url.rsplit("/", 1)[1]
    ok = await client.get(f"/commitments/verify/{token}")
    assert ok.status_code == 200 and found["number"] in ok.text and "履约中" in ok.text
    assert found["text_sha256"] in ok.text and "钱*" in ok.text and "钱承诺" not in ok.text
    assert person["id_number"] not in ok.text


async def test_tampered_foreign_and_unknown_tokens_are_refused(client):
    company = await f.legal_subject()
    agency = await f.agency()
    _, signer = await cf.proven_subject("enterprise", company["id"])
    made = await cf.signed(signer, agency["id"])
    number = (await C.select(C.number).where(C.id == made).first())["number"]
    token = document.sign_token(made, number)
    assert await document.check(token) is not None
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    foreign = URLSafeSerializer(get_settings().secret_key, salt="portal.objections.decision.v1").dumps(
        {"c": made, "n": number}
    )
    wrong_number = document.sign_token(made, number + "X")
    unknown = document.sign_token(10**9, number)
    for bad in (tampered, foreign, wrong_number, unknown, "not-a-token"):
        assert await document.check(bad) is None, bad
        page = await client.get(f"/commitments/verify/{bad}")
        assert page.status_code == 400 and "无法核验" in page.text and number not in page.text


async def test_breach_becomes_a_public_negative_record_marks_the_commitment_and_tells_the_subject(app, client):
    company = await f.legal_subject()
    agency = await f.agency(name=f"郑州市测试市场监管局{f.unique()}")
    owner, signer = await cf.proven_subject("enterprise", company["id"])
    made = await cf.signed(signer, agency["id"], matter="食品经营许可（延续）")
    officer = await f.account("agency", agency_id=agency["id"])
    async with logged_in(app, officer) as desk:
        listing = await desk.get("/agency/commitments")
        assert "食品经营许可（延续）" in listing.text
        data = {
            "_csrf_token": csrf(desk),
            "facts": "经现场核查，申请材料中的冷链设备清单与实际不符",
            "basis": "承诺书第二项；《食品经营许可管理办法》",
            "breached_on": today_cn().isoformat(),
        }
        early = await desk.post(
            f"/agency/commitments/{made}/breach", data={**data, "breached_on": "2020-01-01"}, follow_redirects=False
        )
        assert early.status_code == 400 and "不能早于承诺签署日期" in early.text
        done = await desk.post(f"/agency/commitments/{made}/breach", data=data, follow_redirects=False)
        assert done.status_code == 303, done.text
        again = await desk.post(f"/agency/commitments/{made}/breach", data=data, follow_redirects=False)
        assert again.status_code == 409
    row = await C.select().where(C.id == made).first()
    assert row["status"] == "breached" and row["breach_by"] == officer["id"]
    record = await CreditRecord.select().where(CreditRecord.id == row["breach_record"]).first()
    assert (
        record["provider"],
        record["subject"],
        record["category"],
        record["disclosure_class"],
        record["polarity"],
    ) == (agency["id"], company["id"], "commitment_breach", "A", "negative")
    assert record["channel"] == "entry" and record["provider_ref"] == f"XYCN-{row['number']}"
    assert await CreditRecord.count().where(CreditRecord.provider_ref == f"XYCN-{row['number']}") == 1
    negative = await client.get(f"/subjects/{company['uscc']}/negative")
    assert "违背信用承诺：食品经营许可（延续）" in negative.text and "冷链设备清单" in negative.text
    tab = await client.get(f"/subjects/{company['uscc']}/commitment")
    assert "已违诺" in tab.text
    verify = await client.get(document.verify_path(made, row["number"]))
    assert "已违诺" in verify.text
    titles = [n["title"] for n in await Notice.select(Notice.title, Notice.kind).where(Notice.account == owner["id"])]
    assert any(row["number"] in t and "违诺" in t for t in titles)
    assert await service.for_check(company["id"], date.today()) == []


async def test_another_agency_cannot_record_a_breach(app):
    company = await f.legal_subject()
    accepting, stranger = await f.agency(), await f.agency()
    _, signer = await cf.proven_subject("enterprise", company["id"])
    made = await cf.signed(signer, accepting["id"])
    outsider = await f.account("agency", agency_id=stranger["id"])
    async with logged_in(app, outsider) as desk:
        assert (await desk.get(f"/agency/commitments/{made}")).status_code == 404
        assert "食品经营许可" not in (await desk.get("/agency/commitments")).text
        data = {"_csrf_token": csrf(desk), "facts": "虚假", "basis": "依据", "breached_on": date.today().isoformat()}
        posted = await desk.post(f"/agency/commitments/{made}/breach", data=data, follow_redirects=False)
        assert posted.status_code == 404
    assert (await C.select(C.status).where(C.id == made).first())["status"] == "signed"
    assert await CreditRecord.count().where(CreditRecord.subject == company["id"]) == 0


async def test_natural_person_breach_is_a_class_b_prompt_record():
    person = await f.natural_subject(name="孙违诺")
    agency = await f.agency()
    _, signer = await cf.proven_subject("citizen", person["id"])
    _, officer = await cf.officer(agency["id"])
    made = await cf.signed(signer, agency["id"])
    record_id = await cf.breached(officer, made)
    record = await CreditRecord.select().where(CreditRecord.id == record_id).first()
    assert (record["subject"], record["category"], record["disclosure_class"]) == (person["id"], "person_negative", "B")


async def test_for_check_lists_commitments_in_force_only():
    company = await f.legal_subject()
    agency = await f.agency()
    _, signer = await cf.proven_subject("enterprise", company["id"])
    _, officer = await cf.officer(agency["id"])
    today = today_cn()
    lasting = await cf.signed(signer, agency["id"], matter="长期事项", case_no="BJ-1")
    dated = await cf.signed(
        signer, agency["id"], matter="限期事项", valid_until=(today + timedelta(days=30)).isoformat()
    )
    broken = await cf.signed(signer, agency["id"], matter="违诺事项")
    await cf.breached(officer, broken)
    now = await service.for_check(company["id"], today)
    assert [c["id"] for c in now] == sorted([lasting, dated], reverse=True)
    first = next(c for c in now if c["id"] == lasting)
    assert first["matter"] == "长期事项" and first["case_no"] == "BJ-1" and first["status"] == "signed"
    assert first["domain_label"] and first["version"] >= 1 and first["signed_on"] <= today
    assert first["verify_url"].startswith("/commitments/verify/") and await document.check(
        first["verify_url"].rsplit("/", 1)[1]
    )
    later = await service.for_check(company["id"], today + timedelta(days=31))
    assert [c["id"] for c in later] == [lasting]  # the dated one has run out
