"""Objections end to end through the web (R-22 … R-24, R-11): filing online from a record the
subject was shown, written objections at the counter, forwarding, the provider's answer (upheld,
corrected, revoked), the written decision, withdrawal, and who may see what."""

from __future__ import annotations

import io
import json
import re

import pytest
from pypdf import PdfReader

from portal.accounts.tables import Role
from portal.notices.tables import Notice
from portal.objections.tables import CorrectionNotice, Objection, ObjectionDocument, ObjectionStep
from portal.records.tables import CreditRecord, RecordChange
from tests import factories as f
from tests.queryflow import csrf, logged_in, post_query, verified_account

pytestmark = pytest.mark.anyio


def _pdf(text: str = "evidence") -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=text)
    return bytes(pdf.output())


async def _case(record_class: str = "B", polarity: str = "negative", title: str = "未按期申报纳税"):
    """A legal subject with one record of the given class, its proven enterprise account, the
    provider with an officer, and a staff account."""
    agency = await f.agency()
    subject = await f.legal_subject()
    record_id = await f.record(
        subject["id"],
        agency["id"],
        disclosure_class=record_class,
        category="tax_violation" if polarity == "negative" else "other_positive",
        polarity=polarity,
        title=title,
    )
    owner = await verified_account(Role.ENTERPRISE, subject["id"])
    officer = await f.account(Role.AGENCY, agency_id=agency["id"])
    staff = await f.account(Role.STAFF)
    return {
        "agency": agency,
        "subject": subject,
        "record": record_id,
        "owner": owner,
        "officer": officer,
        "staff": staff,
    }


async def _receipt(client) -> str:
    posted = await client.post("/me/records", data={"_csrf_token": csrf(client)}, follow_redirects=False)
    assert posted.status_code == 303
    return posted.headers["location"].rsplit("/", 1)[1]


async def _file(
    client, record_id: int, receipt: str = "", statement: str = "该处罚已于2025年撤销，平台仍在公示", files=()
):
    data = {"_csrf_token": csrf(client), "record": str(record_id), "receipt": receipt, "statement": statement}
    return await client.post(
        "/me/objections", data=data, files=[("evidence", item) for item in files] or None, follow_redirects=False
    )


def _id(response) -> int:
    assert response.status_code == 303, response.text[:500]
    return int(re.search(r"/objections/(\d+)", response.headers["location"]).group(1))


async def _post(client, path: str, **data):
    return await client.post(path, data={"_csrf_token": csrf(client), **data}, follow_redirects=False)


async def _notices(account_id: int) -> list[str]:
    return [
        n["title"] for n in await Notice.select(Notice.title).where(Notice.account == account_id).order_by(Notice.id)
    ]


async def test_online_objection_from_a_self_query_with_evidence_through_to_the_written_decision(app):
    c = await _case("B")
    async with logged_in(app, c["owner"]) as client:
        receipt = await _receipt(client)
        result = await client.get(f"/queries/{receipt}")
        # The result page offers the objection beside each record, keyed by the receipt.
        assert f"/me/objections/new?receipt={receipt}&amp;record={c['record']}" in result.text
        form = await client.get(f"/me/objections/new?record={c['record']}&receipt={receipt}")
        assert form.status_code == 200 and "未按期申报纳税" in form.text
        filed = await _file(client, c["record"], receipt, files=[("判决书.pdf", _pdf(), "application/pdf")])
        objection_id = _id(filed)
        page = await client.get(f"/me/objections/{objection_id}")
        assert page.status_code == 200 and "已受理，待转送" in page.text and "信用中心转送截止" in page.text
        assert "判决书.pdf" in page.text
        row = await Objection.select().where(Objection.id == objection_id).first()
        assert row["stage"] == "received" and row["channel"] == "online" and row["record_version"] == 1
        assert await ObjectionDocument.count().where(ObjectionDocument.objection == objection_id) == 1
        # The evidence is the applicant's document: it downloads for them.
        token = re.search(rf"/objections/{objection_id}/documents/([A-Za-z0-9_-]+)", page.text).group(1)
        assert (await client.get(f"/objections/{objection_id}/documents/{token}")).content.startswith(b"%PDF")
    assert any("异议已受理" in t for t in await _notices(c["owner"]["id"]))

    async with logged_in(app, c["staff"]) as staff:
        queue = await staff.get("/staff/objections")
        assert row["number"] in queue.text
        assert (await _post(staff, f"/staff/objections/{objection_id}/tell")).status_code == 409  # not answered yet
        assert (await _post(staff, f"/staff/objections/{objection_id}/forward", note="请核查")).status_code == 303
        assert (await _post(staff, f"/staff/objections/{objection_id}/forward")).status_code == 409  # only once
    assert any("待核查异议" in t for t in await _notices(c["officer"]["id"]))

    async with logged_in(app, c["officer"]) as officer:
        desk = await officer.get("/agency/objections")
        assert row["number"] in desk.text
        # The provider reads the applicant's evidence.
        assert (await officer.get(f"/objections/{objection_id}/documents/{token}")).status_code == 200
        missing = await _post(
            officer, f"/agency/objections/{objection_id}/answer", outcome="corrected", reason="文号录错"
        )
        assert missing.status_code == 400 and "请填写更正后的内容" in missing.text
        answered = await officer.post(
            f"/agency/objections/{objection_id}/answer",
            data={
                "_csrf_token": csrf(officer),
                "outcome": "corrected",
                "reason": "经核查税款已按期缴纳",
                "title": "已按期申报纳税（更正）",
            },
            files=[("documents", ("核查说明.pdf", _pdf("check"), "application/pdf"))],
            follow_redirects=False,
        )
        assert answered.status_code == 303
    record = await CreditRecord.select().where(CreditRecord.id == c["record"]).first()
    assert record["title"] == "已按期申报纳税（更正）" and record["version"] == 2  # through history
    history = await RecordChange.select().where(RecordChange.record == c["record"])
    snapshot = history[0]["snapshot"]
    assert (json.loads(snapshot) if isinstance(snapshot, str) else snapshot)["title"] == "未按期申报纳税"
    # Class B: never public, so no public correction notice (it would disclose the record existed).
    assert await CorrectionNotice.count().where(CorrectionNotice.subject == c["subject"]["id"]) == 0

    async with logged_in(app, c["staff"]) as staff:
        assert (await _post(staff, f"/staff/objections/{objection_id}/tell", note="")).status_code == 303
    row = await Objection.select().where(Objection.id == objection_id).first()
    assert row["stage"] == "closed" and row["outcome"] == "corrected" and row["decision_no"]
    assert row["decision_text"].startswith("经信息提供单位核查，信息有误，予以更正。")  # said once
    told = await _notices(c["owner"]["id"])
    assert [t.split("：")[0] for t in told if t.startswith("异议")] == [
        "异议已受理",
        "异议已转送",
        "异议已核查",
        "异议处理结果",
    ]
    # The written decision as a PDF: the record as disputed, the outcome, and a link that verifies.
    async with logged_in(app, c["owner"]) as client:
        page = await client.get(f"/me/objections/{objection_id}")
        assert f"/objections/{objection_id}/decision.pdf" in page.text
        pdf = await client.get(f"/objections/{objection_id}/decision.pdf")
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
        flat = re.sub(r"\s+", "", text)
        assert (
            row["decision_no"] in flat and "经信息提供单位核查，信息有误，予以更正" in flat and "未按期申报纳税" in flat
        )
        link = re.search(r"/objections/verify/[A-Za-z0-9_.-]+", flat).group(0)
        verified = await client.get(link)
        assert verified.status_code == 200 and row["decision_no"] in verified.text
    async with logged_in(app, await f.account(Role.ENTERPRISE)) as stranger:
        assert (await stranger.get(f"/objections/{objection_id}/decision.pdf")).status_code == 404
    actions = [
        s["action"]
        for s in await ObjectionStep.select().where(ObjectionStep.objection == objection_id).order_by(ObjectionStep.id)
    ]
    assert actions[:2] == ["filed", "forwarded"] and "answered" in actions and actions[-1] == "told"
    assert "recipients" in actions


async def test_a_wrong_public_sanction_is_revoked_in_public_with_a_correction_notice_and_past_recipients_told(app):
    c = await _case("A", title="违规排放污水行政处罚")
    # A credit service agency queried the subject earlier under a written authorisation: it is told.
    from tests.integration.test_queries import _decide, _file_request

    requester = await f.proven("third_party")
    async with logged_in(app, requester) as client:
        location = await _file_request(client, c["subject"], classes=("B",))
        await _decide(app, c["owner"], location, "approve")
        assert (await post_query(client, location + "/query")).status_code == 200  # scope A,B
    async with logged_in(app, c["owner"]) as client:
        # A class-A record: objected to straight from the public profile, no receipt needed.
        objection_id = _id(await _file(client, c["record"]))
    async with logged_in(app, c["staff"]) as staff:
        await _post(staff, f"/staff/objections/{objection_id}/forward")
    async with logged_in(app, c["officer"]) as officer:
        done = await _post(
            officer, f"/agency/objections/{objection_id}/answer", outcome="revoked", reason="处罚决定已被复议撤销"
        )
        assert done.status_code == 303
    assert (await CreditRecord.select(CreditRecord.status).where(CreditRecord.id == c["record"]).first())[
        "status"
    ] == "revoked"
    notices = await CorrectionNotice.select().where(CorrectionNotice.subject == c["subject"]["id"])
    assert len(notices) == 1 and "违规排放污水行政处罚" in notices[0]["title"] and "撤销" in notices[0]["body"]
    assert "您曾获提供的信用信息已变更" in await _notices(requester["id"])
    # The subject itself is not a "past recipient".
    assert "您曾获提供的信用信息已变更" not in await _notices(c["owner"]["id"])


async def test_upheld_changes_nothing_and_the_decision_says_so(app):
    c = await _case("A")
    async with logged_in(app, c["owner"]) as client:
        objection_id = _id(await _file(client, c["record"]))
    async with logged_in(app, c["staff"]) as staff:
        await _post(staff, f"/staff/objections/{objection_id}/forward")
    async with logged_in(app, c["officer"]) as officer:
        await _post(officer, f"/agency/objections/{objection_id}/answer", outcome="upheld", reason="处罚决定合法有效")
    async with logged_in(app, c["staff"]) as staff:
        await _post(staff, f"/staff/objections/{objection_id}/tell")
    record = await CreditRecord.select().where(CreditRecord.id == c["record"]).first()
    assert record["status"] == "in_force" and record["version"] == 1
    assert await CorrectionNotice.count().where(CorrectionNotice.subject == c["subject"]["id"]) == 0
    row = await Objection.select().where(Objection.id == objection_id).first()
    assert "予以维持" in row["decision_text"] and "行政复议" in row["decision_text"]


async def test_who_may_file_and_see(app):
    c = await _case("B")
    other = await _case("A")
    unproven = await f.account(Role.ENTERPRISE, subject_id=c["subject"]["id"])
    async with logged_in(app, unproven) as client:
        refused = await _file(client, c["record"])
        assert refused.status_code == 403 and "身份核验通过后" in refused.text
    async with logged_in(app, c["owner"]) as client:
        # A class-B record without a receipt: not offered (the subject must query first).
        assert (await _file(client, c["record"])).status_code == 404
        # Someone else's record, even a public one.
        assert (await _file(client, other["record"])).status_code == 404
        receipt = await _receipt(client)
        assert (await _file(client, c["record"], receipt, statement="")).status_code == 400
        first = _id(await _file(client, c["record"], receipt))
        again = await _file(client, c["record"], receipt)
        assert again.status_code == 409 and "已有处理中的异议" in again.text
        # A tampered receipt is no receipt.
        assert (await _file(client, c["record"], receipt[:-2] + "xx")).status_code == 404
    async with logged_in(app, other["owner"]) as stranger:
        assert (await stranger.get(f"/me/objections/{first}")).status_code == 404
    async with logged_in(app, other["officer"]) as wrong_agency:
        assert (await wrong_agency.get(f"/agency/objections/{first}")).status_code == 404
        assert (
            await _post(wrong_agency, f"/agency/objections/{first}/answer", outcome="upheld", reason="x")
        ).status_code == 404
    assert await Objection.count().where(Objection.subject == c["subject"]["id"]) == 1


async def test_withdrawal_before_the_answer_only(app):
    c = await _case("A")
    async with logged_in(app, c["owner"]) as client:
        objection_id = _id(await _file(client, c["record"]))
        assert (await _post(client, f"/me/objections/{objection_id}/withdraw")).status_code == 303
        assert (await Objection.select(Objection.stage).where(Objection.id == objection_id).first())[
            "stage"
        ] == "withdrawn"
        # Withdrawn is closed: a new objection to the same record may be filed.
        second = _id(await _file(client, c["record"]))
    async with logged_in(app, c["staff"]) as staff:
        await _post(staff, f"/staff/objections/{second}/forward")
    async with logged_in(app, c["officer"]) as officer:
        await _post(officer, f"/agency/objections/{second}/answer", outcome="upheld", reason="信息无误")
    async with logged_in(app, c["owner"]) as client:
        late = await _post(client, f"/me/objections/{second}/withdraw")
        assert late.status_code == 409 and "不能撤回" in late.text


async def test_written_objection_at_the_counter(app):
    c = await _case("C")
    async with logged_in(app, c["staff"]) as staff:
        unchecked = await _post(staff, "/staff/objections/counter", subject_kind="legal", uscc=c["subject"]["uscc"])
        assert unchecked.status_code == 400 and "当面核验" in unchecked.text
        posted = await _post(
            staff, "/staff/objections/counter", subject_kind="legal", uscc=c["subject"]["uscc"], checked="1"
        )
        assert posted.status_code == 303
        token = posted.headers["location"].rsplit("/", 1)[1]
        result = await staff.get(f"/queries/{token}")
        assert (
            "窗口查询" in result.text
            and f"/staff/objections/new?receipt={token}&amp;record={c['record']}" in result.text
        )
        form = await staff.get(f"/staff/objections/new?record={c['record']}&receipt={token}")
        assert form.status_code == 200
        data = {
            "_csrf_token": csrf(staff),
            "record": str(c["record"]),
            "receipt": token,
            "applicant_name": "张经办",
            "contact": "0371-12345678",
            "statement": "书面异议：该记录主体错误",
        }
        no_contact = await staff.post("/staff/objections", data={**data, "contact": ""}, follow_redirects=False)
        assert no_contact.status_code == 400 and "请填写联系方式" in no_contact.text
        filed = await staff.post(
            "/staff/objections",
            data=data,
            files=[("evidence", ("书面异议.pdf", _pdf(), "application/pdf"))],
            follow_redirects=False,
        )
        assert filed.status_code == 303
    row = await Objection.select().where(Objection.record == c["record"]).first()
    assert row["channel"] == "counter" and row["applicant_name"] == "张经办" and row["filed_by"] == c["staff"]["id"]
    # The subject's accounts are told, and see it in their list.
    assert any("异议已受理" in t for t in await _notices(c["owner"]["id"]))
    async with logged_in(app, c["owner"]) as client:
        assert row["number"] in (await client.get("/me/objections")).text


async def test_staff_opening_an_objection_about_a_non_public_record_is_on_record(app):
    from audit.recorder import subject_history
    from portal.disclosure.service import load_subject
    from portal.subjects.identity import subject_ref

    c = await _case("B")
    async with logged_in(app, c["owner"]) as client:
        objection_id = _id(await _file(client, c["record"], await _receipt(client)))
    ref = subject_ref(await load_subject(c["subject"]["id"]))
    before = len(await subject_history(ref, limit=100))
    async with logged_in(app, c["staff"]) as staff:
        assert (await staff.get(f"/staff/objections/{objection_id}")).status_code == 200
    rows = await subject_history(ref, limit=100)
    assert len(rows) == before + 1 and rows[0]["method"] == "staff_review"


async def test_from_the_public_profile_through_login_to_the_form(app, client):
    """R-22: the public profile offers the objection beside each record; an anonymous visitor is
    sent to the login page and, once logged in, lands on the form for that record."""
    c = await _case("A", title="公开的处罚记录（异议入口）")
    profile = await client.get(f"/subjects/{c['subject']['uscc']}/negative")
    link = f"/me/objections/new?record={c['record']}"
    assert link in profile.text
    anonymous = await client.get(link, follow_redirects=False)
    assert anonymous.status_code in (302, 303)
    assert anonymous.headers["location"] == f"/login?next=/me/objections/new%3Frecord%3D{c['record']}"
    login_page = await client.get(anonymous.headers["location"])
    token = client.cookies.get("csrftoken")
    landed = await client.post(
        "/login",
        data={"username": c["owner"]["username"], "password": f.PASSWORD, "next": link, "_csrf_token": token},
        follow_redirects=False,
    )
    assert login_page.status_code == 200 and f'name="next" value="{link}"' in login_page.text
    assert landed.headers["location"] == link
    form = await client.get(link)
    assert form.status_code == 200 and "公开的处罚记录（异议入口）" in form.text and "提交异议" in form.text


async def test_a_stale_or_foreign_form_link_is_a_clear_page_not_an_error(app):
    c = await _case("B")
    async with logged_in(app, c["owner"]) as client:
        page = await client.get(f"/me/objections/new?record={c['record']}")  # class B, no receipt
        assert page.status_code == 404 and "非公开信息请先查询本人信用信息" in page.text
        expired = await client.get(f"/me/objections/new?record={c['record']}&receipt=" + "x" * 43)
        assert expired.status_code == 404 and "未找到该查询结果" in expired.text


EMPTY_FILE = ("", b"", "application/octet-stream")  # what a browser sends for a file input left empty


async def test_forms_with_a_file_input_left_empty(app):
    c = await _case("A")
    async with logged_in(app, c["owner"]) as client:
        objection_id = _id(await _file(client, c["record"], files=[EMPTY_FILE]))
    assert await ObjectionDocument.count().where(ObjectionDocument.objection == objection_id) == 0
    async with logged_in(app, c["staff"]) as staff:
        await _post(staff, f"/staff/objections/{objection_id}/forward")
    async with logged_in(app, c["officer"]) as officer:
        data = {
            "_csrf_token": csrf(officer),
            "outcome": "corrected",
            "reason": "文号有误",
            "doc_number": "郑城管罚〔2025〕9号",
        }
        data |= {"title": "", "content": "", "decision_date": ""}
        answered = await officer.post(
            f"/agency/objections/{objection_id}/answer",
            data=data,
            files=[("documents", EMPTY_FILE)],
            follow_redirects=False,
        )
        assert answered.status_code == 303, answered.text[:300]
    record = await CreditRecord.select().where(CreditRecord.id == c["record"]).first()
    assert record["doc_number"] == "郑城管罚〔2025〕9号" and record["title"] == "未按期申报纳税"  # only what changed
    other = await _case("C")
    async with logged_in(app, other["staff"]) as staff:
        posted = await _post(
            staff, "/staff/objections/counter", subject_kind="legal", uscc=other["subject"]["uscc"], checked="1"
        )
        token = posted.headers["location"].rsplit("/", 1)[1]
        data = {
            "_csrf_token": csrf(staff),
            "record": str(other["record"]),
            "receipt": token,
            "applicant_name": "李经办",
        }
        data |= {"contact": "13800000000", "statement": "书面异议"}
        filed = await staff.post(
            "/staff/objections", data=data, files=[("evidence", EMPTY_FILE)], follow_redirects=False
        )
        assert filed.status_code == 303
