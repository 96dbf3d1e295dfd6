"""信用信息核查 (R-P2) through the application: applying, the staff queue and its deadline, issuing
on the audited disclosure path, the PDF and its QR token, validity, supersession, for_check."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from pypdf import PdfReader

from audit import recorder
from portal.accounts.sessions import Principal
from portal.lib.dates import today_cn
from portal.notices.tables import Notice
from portal.objections.tables import ObjectionStep
from portal.products.verifications import service
from portal.products.verifications.tables import Verification
from portal.subjects.identity import subject_ref
from portal.subjects.tables import Subject
from tests import factories as f
from tests.calendar_entry import forget_2027
from tests.integration.test_audit_down import unreachable_store  # noqa: F401 (fixture)
from tests.queryflow import csrf
from tests.queryflow import logged_in as _as

pytestmark = pytest.mark.anyio
V = Verification
TOKEN = re.compile(r"/verifications/verify/([A-Za-z0-9_\-.]+)")


async def _company() -> dict:
    """A company with one record per class, each carrying a unique marker."""
    provider = await f.agency()
    company = await f.legal_subject()
    tag = f.unique()
    markers = {cls: f"MARK{cls}{tag}" for cls in "ABC"}
    for cls, marker in markers.items():
        await f.record(company["id"], provider["id"], disclosure_class=cls, title=marker)
    row = await Subject.select().where(Subject.id == company["id"]).first()
    return {**company, "markers": markers, "provider": provider, "ref": subject_ref(row)}


async def _officer() -> tuple[dict, dict]:
    agency = await f.agency()
    return agency, await f.account("agency", agency_id=agency["id"])


async def _staff() -> tuple[dict, Principal]:
    staff = await f.account("staff")
    return staff, Principal(staff["id"], staff["username"], "staff", "", None, None, "信用中心", "")


def _form(client, **fields) -> dict:
    return {"_csrf_token": csrf(client), "purpose": "fiscal_funds", "matter": "2026年度专项资金申报", **fields}


async def _apply_as_officer(app, company: dict, officer: dict, **fields):
    async with _as(app, officer) as client:
        return await client.post(
            "/verifications", data=_form(client, uscc=company["uscc"], **fields), follow_redirects=False
        )


async def _issued(app, company: dict) -> tuple[dict, dict, bytes, str]:
    """An officer applies, staff issue over HTTP, the officer downloads: (row, officer, pdf, token)."""
    _, officer = await _officer()
    assert (await _apply_as_officer(app, company, officer)).status_code == 303
    row = await V.select().where(V.subject == company["id"]).order_by(V.id, ascending=False).first()
    staff, _ = await _staff()
    async with _as(app, staff) as client:
        issued = await client.post(
            f"/staff/verifications/{row['id']}/issue", data={"_csrf_token": csrf(client)}, follow_redirects=False
        )
    assert issued.status_code == 303, issued.text
    async with _as(app, officer) as client:
        pdf = await client.get(f"/verifications/{row['id']}/opinion.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text().replace("\x00", "") for p in PdfReader(io.BytesIO(pdf.content)).pages)
    token = TOKEN.search("".join(text.split())).group(1)
    row = await V.select().where(V.id == row["id"]).first()
    return row, officer, pdf.content, token


def _text(pdf: bytes) -> str:
    return "".join("".join(p.extract_text().replace("\x00", "") for p in PdfReader(io.BytesIO(pdf)).pages).split())


# --- applying -------------------------------------------------------------------------------------


async def test_a_proven_subject_applies_for_its_own_opinion(app):
    company = await _company()
    owner = await f.proven("enterprise", subject_id=company["id"])
    async with _as(app, owner) as client:
        posted = await client.post("/verifications", data=_form(client, purpose="awards"), follow_redirects=False)
        assert posted.status_code == 303
        page = await client.get(posted.headers["location"])
    row = await V.select().where(V.subject == company["id"]).first()
    assert row["applicant_kind"] == "subject" and row["purpose"] == "awards" and row["status"] == "pending"
    assert row["applied_on"] == today_cn()
    assert row["number"] in page.text and "待出具" in page.text


async def test_an_unproven_subject_cannot_apply(app):
    company = await _company()
    claimed = await f.account("enterprise", subject_id=company["id"])  # a claim, no accepted proof
    async with _as(app, claimed) as client:
        posted = await client.post("/verifications", data=_form(client), follow_redirects=False)
    assert posted.status_code == 403 and "身份核验通过后方可申请" in posted.text
    assert not await V.exists().where(V.subject == company["id"])


async def test_an_agency_officer_applies_about_a_subject(app):
    company = await _company()
    agency, officer = await _officer()
    assert (await _apply_as_officer(app, company, officer)).status_code == 303
    row = await V.select().where(V.subject == company["id"]).first()
    assert (
        row["applicant_kind"] == "agency" and row["agency"] == agency["id"] and row["applicant_label"] == agency["name"]
    )


async def test_an_officer_naming_no_valid_subject_or_purpose_gets_400(app):
    company = await _company()
    _, officer = await _officer()
    bad_purpose = await _apply_as_officer(app, company, officer, purpose="loan")
    assert bad_purpose.status_code == 400 and "请选择使用领域" in bad_purpose.text
    bad_code = await _apply_as_officer(app, {"uscc": "91410100XXXXXXXXXX"}, officer)
    assert bad_code.status_code == 400
    assert not await V.exists().where(V.subject == company["id"])


@pytest.mark.parametrize("role", ["third_party", "staff", "auditor", "admin"])
async def test_other_roles_cannot_apply(app, role):
    company = await _company()
    user = await f.account(role)
    async with _as(app, user) as client:
        posted = await client.post("/verifications", data=_form(client, uscc=company["uscc"]), follow_redirects=False)
    assert posted.status_code == 403
    assert not await V.exists().where(V.subject == company["id"])


# --- the queue and its deadline ------------------------------------------------------------------


async def test_queue_counts_five_working_days_across_national_day_2026(app):
    company = await _company()
    agency, _ = await _officer()
    officer = Principal(1, "o", "agency", "", None, agency["id"], agency["name"], "")
    filed = await service.apply(
        officer, service.Application("fiscal_funds", "国庆前申报的事项", uscc=company["uscc"]), today=date(2026, 9, 29)
    )
    rows = {r["number"]: r for r in await service.queue(today=date(2026, 10, 9))}
    due = rows[filed["number"]]["due"]
    # 30 Sep (1), 1–7 Oct rest, 8 (2), 9 (3), Sat 10 Oct make-up working day (4), Mon 12 Oct (5).
    assert due.on == date(2026, 10, 12) and due.message == "剩余 2 个工作日"
    late = {r["number"]: r for r in await service.queue(today=date(2026, 10, 13), overdue_only=True)}
    assert late[filed["number"]]["due"].message == "已超期 1 个工作日"
    assert filed["number"] not in {
        r["number"] for r in await service.queue(today=date(2026, 10, 12), overdue_only=True)
    }
    staff, _ = await _staff()
    async with _as(app, staff) as client:
        page = await client.get("/staff/verifications?overdue=1")
    assert page.status_code == 200 and filed["number"] in page.text and "2026-10-12到期" in page.text


async def test_queue_puts_the_most_urgent_first(app):
    company = await _company()
    agency, _ = await _officer()
    officer = Principal(1, "o", "agency", "", None, agency["id"], agency["name"], "")
    app_ = service.Application("awards", "排序测试事项", uscc=company["uscc"])
    newer = await service.apply(officer, app_, today=date(2026, 11, 2))
    older = await service.apply(officer, app_, today=date(2026, 10, 26))
    order = [r["number"] for r in await service.queue(today=date(2026, 11, 3))]
    assert order.index(older["number"]) < order.index(newer["number"])


async def test_an_unknown_calendar_year_is_named_not_guessed(app):
    await forget_2027()
    company = await _company()
    agency, _ = await _officer()
    officer = Principal(1, "o", "agency", "", None, agency["id"], agency["name"], "")
    filed = await service.apply(
        officer, service.Application("awards", "年末申报事项", uscc=company["uscc"]), today=date(2026, 12, 28)
    )
    row = {r["number"]: r for r in await service.queue(today=date(2026, 12, 28))}[filed["number"]]
    assert row["due"].on is None and row["due"].unknown_year == 2027
    staff, _ = await _staff()
    async with _as(app, staff) as client:
        page = await client.get("/staff/verifications")
    assert "无法计算期限：2027年的法定节假日安排尚未录入工作日历" in page.text


# --- issuing ---------------------------------------------------------------------------------------


async def test_issue_is_an_audited_disclosure_and_the_pdf_carries_its_text(app, client):
    company = await _company()
    before = await recorder.subject_history(company["ref"], limit=50)
    row, officer, pdf, token = await _issued(app, company)
    entry = (await recorder.subject_history(company["ref"], limit=1))[0]
    assert len(await recorder.subject_history(company["ref"], limit=50)) == len(before) + 1
    assert entry["method"] == "verification" and entry["outcome"] == "allowed" and entry["scope"] == "A,B"
    assert entry["seq"] == row["audit_seq"] and row["number"] in entry["reason_text"]
    text = _text(pdf)
    assert "信用信息查询意见" in text and row["opinion_no"] in text and "免费" in text
    assert f"有效期至{row['valid_until']:%Y年%m月%d日}" in text
    assert company["markers"]["A"] in text and company["markers"]["B"] in text
    assert company["markers"]["C"] not in text  # never class C in an opinion
    assert row["valid_until"] == row["issued_on"].replace(year=row["issued_on"].year + 1) - timedelta(days=1)
    # The applicant and the subject's accounts are told.
    assert await Notice.exists().where((Notice.account == officer["id"]) & Notice.title.like(f"%{row['opinion_no']}%"))
    # The QR token verifies on the public page, with the summary but no record.
    page = await client.get(f"/verifications/verify/{token}")
    assert (
        page.status_code == 200
        and "有效" in page.text
        and row["opinion_no"] in page.text
        and row["digest"] in page.text
    )
    assert all(m not in page.text for m in company["markers"].values())


async def test_a_persons_opinion_prints_only_the_masked_id_number(app):
    person = await f.natural_subject(name="欧阳核查")
    provider = await f.agency()
    await f.record(person["id"], provider["id"], category="person_positive", title="个人记录")
    row, _, pdf, _ = await _issued_person(app, person)
    text = _text(pdf)
    assert person["id_number"] not in text and person["id_number"][:4] in text and "****" in text


async def _issued_person(app, person: dict):
    _, officer = await _officer()
    async with _as(app, officer) as client:
        posted = await client.post(
            "/verifications",
            data=_form(client, subject_kind="natural", name="欧阳核查", id_number=person["id_number"]),
            follow_redirects=False,
        )
    assert posted.status_code == 303, posted.text
    row = await V.select().where(V.subject == person["id"]).first()
    _, staff = await _staff()
    await service.issue(staff, row["id"])
    async with _as(app, officer) as client:
        pdf = await client.get(f"/verifications/{row['id']}/opinion.pdf")
    return row, officer, pdf.content, None


async def test_audit_store_down_means_nothing_issued(app, unreachable_store):  # noqa: F811
    company = await _company()
    _, officer = await _officer()
    assert (await _apply_as_officer(app, company, officer)).status_code == 303
    row = await V.select().where(V.subject == company["id"]).first()
    staff, _ = await _staff()
    async with _as(app, staff) as client:
        issued = await client.post(
            f"/staff/verifications/{row['id']}/issue", data={"_csrf_token": csrf(client)}, follow_redirects=False
        )
    assert issued.status_code == 503
    after = await V.select().where(V.id == row["id"]).first()
    assert after["status"] == "pending" and after["pdf"] is None and after["opinion_no"] == ""


async def test_only_the_applicant_side_downloads_and_a_second_issue_is_refused(app):
    company = await _company()
    row, _, _, _ = await _issued(app, company)
    stranger = await f.proven("enterprise")
    _, other_officer = await _officer()
    for user in (stranger, other_officer):
        async with _as(app, user) as client:
            assert (await client.get(f"/verifications/{row['id']}/opinion.pdf")).status_code == 404
    owner = await f.proven("enterprise", subject_id=company["id"])
    async with _as(app, owner) as client:  # the subject itself may see its own records
        assert (await client.get(f"/verifications/{row['id']}/opinion.pdf")).status_code == 200
        page = await client.get("/verifications")
    assert row["opinion_no"] in page.text and 'data-state="valid"' in page.text
    _, staff = await _staff()
    with pytest.raises(service.VerificationError):
        await service.issue(staff, row["id"])


# --- validity and supersession ----------------------------------------------------------------------


async def test_valid_for_one_year_then_expired(app, client):
    company = await _company()
    row, _, _, token = await _issued(app, company)
    last = row["valid_until"]
    assert (await service.check_token(token, today=last))["state"] == "valid"
    assert (await service.for_check(company["id"], last))["number"] == row["opinion_no"]
    assert (await service.check_token(token, today=last + timedelta(days=1)))["state"] == "expired"
    assert await service.for_check(company["id"], last + timedelta(days=1)) is None
    # The public page says so once the year is over (dates moved back, no sleeping).
    await V.update({V.valid_until: today_cn() - timedelta(days=1)}).where(V.id == row["id"])
    page = await client.get(f"/verifications/verify/{token}")
    assert page.status_code == 410 and "已过期" in page.text


async def test_tampered_or_foreign_token_is_refused(app, client):
    company = await _company()
    _, _, _, token = await _issued(app, company)
    body, _, signature = token.rpartition(".")
    tampered = f"{body}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"  # not the last: unused bits
    for bad in (tampered, "not-a-token", token[:-5]):
        page = await client.get(f"/verifications/verify/{bad}")
        assert page.status_code == 400 and "无法核验" in page.text


async def test_a_new_major_record_supersedes_and_a_fresh_opinion_replaces_it(app, client):
    company = await _company()
    row, _, _, token = await _issued(app, company)
    today = today_cn()
    found = await service.for_check(company["id"], today)
    assert found == {
        "number": row["opinion_no"],
        "issued_on": row["issued_on"],
        "valid_until": row["valid_until"],
        "verify_url": f"/verifications/verify/{token}",
    }
    provider = company["provider"]["id"]
    # Not major: a positive record, and a negative class-C one (an opinion never lists class C).
    await f.record(company["id"], provider, title="新增表彰")
    await f.record(company["id"], provider, disclosure_class="C", category="tax_violation", polarity="negative")
    assert (await service.check_token(token))["state"] == "valid"
    await f.record(
        company["id"],
        provider,
        record_type="penalty",
        category="penalty",
        polarity="negative",
        title="新增处罚",
        decision_date=today,
        publicity_end=today + timedelta(days=365),
    )
    assert (await service.check_token(token))["state"] == "superseded"
    assert await service.for_check(company["id"], today) is None
    page = await client.get(f"/verifications/verify/{token}")
    assert page.status_code == 200 and "已被更新取代" in page.text
    fresh, _, _, _ = await _issued(app, company)  # a re-application issues a fresh one
    assert (await service.for_check(company["id"], today))["number"] == fresh["opinion_no"] != row["opinion_no"]


async def test_a_black_list_entry_supersedes(app):
    company = await _company()
    _, _, _, token = await _issued(app, company)
    await f.list_entry(company["id"], company["provider"]["id"], "black", created_at=datetime.now(timezone.utc))
    assert (await service.check_token(token))["state"] == "superseded"


async def test_a_successful_objection_supersedes(app):
    company = await _company()
    record = await f.record(company["id"], company["provider"]["id"], disclosure_class="B", title="有误记录")
    _, _, _, token = await _issued(app, company)
    owner = await f.proven("enterprise", subject_id=company["id"])
    upheld = await f.objection(
        company["id"],
        record,
        company["provider"]["id"],
        owner["id"],
        stage="closed",
        outcome="upheld",
        closed_on=date.today(),
    )
    await ObjectionStep(objection=upheld, action="told", at=datetime.now(timezone.utc)).save()
    assert (await service.check_token(token))["state"] == "valid"  # upheld: nothing changed
    revoked = await f.objection(
        company["id"],
        record,
        company["provider"]["id"],
        owner["id"],
        stage="closed",
        outcome="revoked",
        closed_on=date.today(),
    )
    await ObjectionStep(objection=revoked, action="told", at=datetime.now(timezone.utc)).save()
    assert (await service.check_token(token))["state"] == "superseded"


async def test_the_check_api_shows_a_valid_opinion_until_it_is_superseded(app, client):
    from portal.ingest import keys

    company = await _company()
    row, _, _, token = await _issued(app, company)
    key, _ = await keys.create_key((await f.agency())["code"], ["penalty"], "审批系统", "test")

    async def section() -> dict | None:
        body = {"subject": {"kind": "legal", "uscc": company["uscc"]}, "matter_name": "政府采购资格审查",
                "case_no": f.unique("VO-"), "domain": "procurement_bidding"}  # fmt: skip
        r = await client.post("/api/v1/checks", json=body, headers={"authorization": f"Bearer {key}"})
        assert r.status_code == 200, r.text
        return r.json()["verification_opinion"]

    found = await section()  # R-P2, R-P5: the approval system sees the opinion is valid
    assert found["number"] == row["opinion_no"] and found["verify_url"].endswith(token)
    assert date.fromisoformat(found["valid_until"]) == row["valid_until"]
    await f.list_entry(company["id"], company["provider"]["id"], "black", created_at=datetime.now(timezone.utc))
    assert await section() is None  # superseded by the major change: no longer offered


async def test_the_opinion_is_issued_in_the_configured_operators_name(app, monkeypatch):
    """PORTAL_OPERATOR_NAME names the operator in the footer and on the documents it issues alike."""
    from portal.settings import get_settings

    monkeypatch.setenv("PORTAL_OPERATOR_NAME", "开封市公共信用信息中心")
    get_settings.cache_clear()
    try:
        _, _, pdf, _ = await _issued(app, await _company())
        assert "开封市公共信用信息中心" in _text(pdf) and "郑州市公共信用信息中心" not in _text(pdf)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


async def test_a_new_negative_class_b_record_supersedes_too(app):
    """An opinion lists class B records as well: a new sanction there makes it out of date (R-P2,
    KS 第十四条 "相关信息发生重大变化"), and the public check page says so without saying why."""
    company = await _company()
    _, _, _, token = await _issued(app, company)
    await f.record(
        company["id"], company["provider"]["id"], disclosure_class="B", category="penalty", polarity="negative"
    )
    assert (await service.check_token(token))["state"] == "superseded"
