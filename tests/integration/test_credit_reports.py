"""信用服务机构备案 and 信用报告 (R-P3): the registry with its status history, who may upload a report
(a registered agency in good standing, with the subject's effective authorisation for a credit
report), the PDF check, one-year validity, re-rating after a major credit event, and who sees what."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from portal.accounts.sessions import Principal
from portal.authorizations.tables import Authorization
from portal.lib.dates import today_cn
from portal.notices.tables import Notice
from portal.products.credit_reports import registry, service
from portal.products.credit_reports.tables import CreditAgencyChange, CreditReport, CreditServiceAgency
from portal.uploads.service import store_upload
from tests import factories as f
from tests.queryflow import csrf, logged_in

pytestmark = pytest.mark.anyio


def _pdf(text: str = "credit report") -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=text)
    return bytes(pdf.output())


async def _agency(status: str = "active") -> dict:
    agency_id = await registry.register(
        registry.AgencyForm(f"郑州信评{f.unique()}有限公司", f.new_uscc(), f.unique("郑信备"), date(2025, 3, 1)),
        "staff-test",
        today_cn(),
    )
    member = await f.proven("third_party")
    username = member["username"]
    await registry.link_member(agency_id, username, "staff-test")
    if status != "active":
        await registry.change_status(
            agency_id, {"suspended": "suspend", "cancelled": "cancel"}[status], "测试原因说明", "t"
        )
    return {"id": agency_id, "member": member}


async def _authorization(
    requester: dict,
    subject_id: int,
    *,
    status: str = "effective",
    reason: str = "credit_report",
    valid_from: date | None = None,
    valid_until: date | None = None,
) -> int:
    today = today_cn()
    letter = await store_upload(_pdf("authorisation"), owner_id=requester["id"], purpose="authorization_letter")
    row = Authorization(
        requester=requester["id"],
        requester_org="测试信用服务机构",
        subject=subject_id,
        reason_code=reason,
        scope_classes="A",
        valid_from=valid_from or today - timedelta(days=5),
        valid_until=valid_until or today + timedelta(days=30),
        letter=letter["id"],
        status=status,
        confirmed_via="subject",
        created_at=datetime.now(timezone.utc),
    )
    await row.save()
    return row.id


def _fields(authorization_id: int, **over) -> dict:
    data = {
        "_csrf_token": "",
        "authorization_id": str(authorization_id),
        "report_no": f.unique("XY2026-"),
        "grade": "AA",
        "risk_warnings": "应收账款集中，注意回款风险",
        "report_date": (today_cn() - timedelta(days=3)).isoformat(),
        "sec_basic": "成立于2010年，注册资本1000万元",
        "sec_financial": "资产负债率45%",
        "replaces": "",
    }
    data.update(over)
    return data


async def _upload(client, authorization_id: int, content: bytes | None = None, name: str = "报告.pdf", **over):
    data = _fields(authorization_id, **over)
    data["_csrf_token"] = csrf(client)
    files = [("file", (name, _pdf() if content is None else content, "application/pdf"))]
    return await client.post("/credit-reports", data=data, files=files, follow_redirects=False)


async def _count(subject_id: int) -> int:
    return await CreditReport.count().where(CreditReport.subject == subject_id)


# --- build item 1: the registry ------------------------------------------------------------------


async def test_staff_register_suspend_reinstate_cancel_with_history_and_public_directory(app, client):
    staff = await f.account("staff")
    code = f.new_uscc()
    bad = code[:-1] + ("0" if code[-1] != "0" else "1")  # wrong check character (GB 32100)
    name = f"郑州诚信评估{f.unique()}有限公司"
    async with logged_in(app, staff) as c:
        form = {
            "_csrf_token": csrf(c),
            "name": name,
            "filing_no": f.unique("郑信备"),
            "registered_on": "2025-06-01",
            "business_scope": "信用评级、信用报告",
            "contact": "0371-12345678",
        }
        refused = await c.post("/staff/credit-agencies", data={**form, "uscc": bad}, follow_redirects=False)
        assert refused.status_code == 400 and "校验码不正确" in refused.text
        assert not await CreditServiceAgency.exists().where(CreditServiceAgency.name == name)
        made = await c.post("/staff/credit-agencies", data={**form, "uscc": code}, follow_redirects=False)
        assert made.status_code == 303
        agency_id = int(made.headers["location"].rsplit("/", 1)[1])
        again = await c.post("/staff/credit-agencies", data={**form, "uscc": code}, follow_redirects=False)
        assert again.status_code == 400 and "已登记" in again.text

        async def act(action: str, reason: str) -> int:
            r = await c.post(
                f"/staff/credit-agencies/{agency_id}/status",
                data={"_csrf_token": csrf(c), "action": action, "reason": reason},
                follow_redirects=False,
            )
            return r.status_code

        assert await act("suspend", "") == 400  # a reason is required
        assert await act("suspend", "报告质量抽查不合格") == 303
        assert await act("suspend", "重复暂停一次") == 400  # already suspended
        assert await act("reinstate", "整改完成恢复备案") == 303
        assert await act("cancel", "申请退出市场注销") == 303
        assert await act("reinstate", "注销后不能恢复") == 400
        page = await c.get(f"/staff/credit-agencies/{agency_id}")
        assert "注销（申请退出市场注销）" in page.text
    history = (
        await CreditAgencyChange.select(CreditAgencyChange.action, CreditAgencyChange.status)
        .where(CreditAgencyChange.agency == agency_id)
        .order_by(CreditAgencyChange.id)
    )
    assert [(h["action"], h["status"]) for h in history] == [
        ("register", "active"),
        ("suspend", "suspended"),
        ("reinstate", "active"),
        ("cancel", "cancelled"),
    ]
    public = await client.get("/credit-agencies")
    assert public.status_code == 200 and name in public.text and "注销" in public.text
    assert "0371-12345678" not in public.text and "申请退出市场注销" not in public.text


async def test_agency_staff_and_own_credit_record_link(app):
    staff = await f.account("staff")
    own = await f.legal_subject()  # the agency is a legal person with its own credit file (KS 第二十六条)
    provider = await f.agency()
    await f.record(own["id"], provider["id"], record_type="penalty", category="penalty", polarity="negative")
    agency_id = await registry.register(
        registry.AgencyForm("郑州自身信用评估有限公司", own["uscc"], f.unique("郑信备"), date(2025, 1, 1)),
        "s",
        today_cn(),
    )
    third, citizen = await f.account("third_party"), await f.account("citizen")
    async with logged_in(app, staff) as c:
        wrong = await c.post(
            f"/staff/credit-agencies/{agency_id}/members",
            data={"_csrf_token": csrf(c), "username": citizen["username"]},
        )
        assert wrong.status_code == 400  # only credit-service accounts act for an agency
        ok = await c.post(
            f"/staff/credit-agencies/{agency_id}/members",
            data={"_csrf_token": csrf(c), "username": third["username"]},
            follow_redirects=False,
        )
        assert ok.status_code == 303
        page = await c.get(f"/staff/credit-agencies/{agency_id}")
        assert third["username"] in page.text
        assert f'href="/subjects/{own["uscc"]}"' in page.text and "公开失信记录 1 条" in page.text
    assert (await registry.agency_of_account(third["id"]))["id"] == agency_id
    other = await _agency()
    with pytest.raises(registry.RegistryError):  # one agency per account
        await registry.link_member(other["id"], third["username"], "s")


# --- build item 2: uploading a report ------------------------------------------------------------


async def test_registered_agency_uploads_with_authorisation_valid_one_year(app):
    subject = await f.legal_subject()
    agency = await _agency()
    owner = await f.account("enterprise", subject_id=subject["id"])
    auth = await _authorization(agency["member"], subject["id"])
    async with logged_in(app, agency["member"]) as c:
        form = await c.get("/credit-reports/new")
        assert form.status_code == 200 and subject["name"] in form.text
        done = await _upload(c, auth)
        assert done.status_code == 303, done.text
        listing = await c.get("/credit-reports")
        assert subject["name"] in listing.text and "资产负债率45%" in listing.text
    row = await CreditReport.select().where(CreditReport.subject == subject["id"]).first()
    assert row["report_date"] == today_cn() - timedelta(days=3)
    assert row["valid_until"] == date(
        row["report_date"].year + 1, row["report_date"].month, row["report_date"].day
    ) - timedelta(days=1)
    assert row["grade"] == "AA"
    assert await Notice.exists().where((Notice.account == owner["id"]) & (Notice.kind == "credit_report"))


async def test_upload_refused_without_usable_authorisation(app):
    subject = await f.legal_subject()
    agency = await _agency()
    member = agency["member"]
    today = today_cn()
    cases = {
        "pending": (await _authorization(member, subject["id"], status="pending"), 403, "授权未生效"),
        "revoked": (await _authorization(member, subject["id"], status="revoked"), 403, "授权已撤销"),
        "expired": (
            await _authorization(
                member, subject["id"], valid_from=today - timedelta(days=60), valid_until=today - timedelta(days=1)
            ),
            403,
            "授权已过期",
        ),
        "purpose": (await _authorization(member, subject["id"], reason="financing"), 403, "授权事由不是出具信用报告"),
        "someone else's": (
            await _authorization(await f.account("third_party"), subject["id"]),
            404,
            "非该授权的申请人",
        ),
        "none": (0, 404, "非该授权的申请人"),
    }
    async with logged_in(app, member) as c:
        for case, (auth, status, label) in cases.items():
            r = await _upload(c, auth)
            assert (r.status_code, label in r.text) == (status, True), case
    assert await _count(subject["id"]) == 0


async def test_unregistered_or_suspended_or_cancelled_agency_cannot_upload(app):
    subject = await f.legal_subject()
    loose = await f.proven("third_party")  # a credit-service account no registered agency vouches for
    suspended, cancelled = await _agency("suspended"), await _agency("cancelled")
    for who, label in (
        (loose, "非备案信用服务机构"),
        (suspended["member"], "已暂停或注销"),
        (cancelled["member"], "已暂停或注销"),
    ):
        auth = await _authorization(who, subject["id"])
        async with logged_in(app, who) as c:
            r = await _upload(c, auth)
            assert r.status_code == 403 and label in r.text
    assert await _count(subject["id"]) == 0


async def test_the_upload_page_shows_a_form_only_when_an_upload_can_succeed(app):
    """No registry membership, a suspended or cancelled agency, or no usable authorisation: the page
    says what to do instead of offering a form that can only be refused (R-P3, R-18)."""
    subject = await f.legal_subject()
    loose = await f.proven("third_party")
    suspended, cancelled, bare = await _agency("suspended"), await _agency("cancelled"), await _agency()
    for who, hint in (
        (loose, "尚未登记为备案信用服务机构的人员"),
        (suspended["member"], "本机构备案状态为“暂停”"),
        (cancelled["member"], "本机构备案状态为“注销”"),
        (bare["member"], "没有可用的授权"),
    ):
        if who is not bare["member"]:
            await _authorization(who, subject["id"])  # an authorisation alone does not make it possible
        async with logged_in(app, who) as c:
            page = await c.get("/credit-reports/new")
        assert page.status_code == 200 and hint in page.text, hint
        assert 'action="/credit-reports"' not in page.text and 'name="file"' not in page.text, hint
    await _authorization(bare["member"], subject["id"])
    async with logged_in(app, bare["member"]) as c:
        page = await c.get("/credit-reports/new")
    assert 'action="/credit-reports"' in page.text and "cannot-upload" not in page.text


async def test_non_pdf_disguised_as_pdf_is_refused(app):
    subject = await f.legal_subject()
    agency = await _agency()
    auth = await _authorization(agency["member"], subject["id"])
    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8"
        "cfc0f01f0005000201a5e2b8b10000000049454e44ae426082"
    )
    async with logged_in(app, agency["member"]) as c:
        for content in (b"%PDF-1.4 not really a pdf", b"MZ\x90\x00 an executable", png):
            r = await _upload(c, auth, content=content, name="报告.pdf")
            assert r.status_code in (400, 415), r.status_code
        future = await _upload(c, auth, report_date=(today_cn() + timedelta(days=1)).isoformat())
        assert future.status_code == 400
        stale = await _upload(c, auth, report_date=(today_cn() - timedelta(days=400)).isoformat())
        assert stale.status_code == 400 and "已失效" in stale.text
        bad_grade = await _upload(c, auth, grade="AAAA")
        assert bad_grade.status_code == 400
    assert await _count(subject["id"]) == 0


# --- validity, re-rating, visibility -------------------------------------------------------------


def test_validity_is_one_year():
    assert service.valid_until_of(date(2025, 12, 5)) == date(2026, 12, 4)
    assert service.valid_until_of(date(2024, 2, 29)) == date(2025, 2, 28)


async def test_existence_ends_the_day_after_the_year():
    subject = await f.legal_subject()
    report = await f.credit_report(subject["id"], report_date=date(2025, 12, 5))
    assert (await service.for_check(subject["id"], date(2026, 12, 4)))["valid_until"] == date(2026, 12, 4)
    assert await service.for_check(subject["id"], date(2026, 12, 5)) is None
    found = await service.for_check(subject["id"], date(2026, 6, 1))
    assert found == {
        "agency_name": report["agency_name"],
        "filing_no": report["filing_no"],
        "report_date": date(2025, 12, 5),
        "valid_until": date(2026, 12, 4),
        "needs_rerating": False,
    }


def _principal(account: dict) -> Principal:
    return Principal(account["id"], account["username"], "third_party", "x", None, None, "", "")


async def test_major_negative_record_flags_rerating_and_a_rerating_replaces_the_report(app):
    subject = await f.legal_subject()
    provider = await f.agency()
    agency = await _agency()
    member = agency["member"]
    today = today_cn()
    auth = await _authorization(member, subject["id"])
    form = service.ReportForm(auth, "XY-1", "A", "风险一般", today - timedelta(days=20), {"basic": "基本情况"})
    first = await service.create(_principal(member), form, _pdf(), "r.pdf", today)
    # An ordinary fine is not a major credit event; an in-force black-list entry listed earlier neither.
    await f.record(
        subject["id"],
        provider["id"],
        record_type="penalty",
        category="penalty",
        polarity="negative",
        decision_date=today - timedelta(days=2),
    )
    await f.list_entry(subject["id"], provider["id"], "black", listed_on=today - timedelta(days=300))
    # Entries are created "now": what counts for an old entry is its own date, so backdate created_at.
    from portal.lists.tables import ListEntry

    await ListEntry.update({ListEntry.created_at: datetime(2024, 1, 1, tzinfo=timezone.utc)}).where(
        ListEntry.subject == subject["id"]
    )
    assert (await service.for_check(subject["id"], today))["needs_rerating"] is False
    await f.record(
        subject["id"],
        provider["id"],
        record_type="penalty",
        category="penalty",
        polarity="negative",
        decision_date=today - timedelta(days=1),
        detail={"penalty_category": "暂扣或者吊销许可证"},
    )
    assert (await service.for_check(subject["id"], today))["needs_rerating"] is True
    async with logged_in(app, member) as c:
        assert "需重新评级" in (await c.get("/credit-reports")).text
        older = await _upload(c, auth, replaces=str(first), report_date=(today - timedelta(days=21)).isoformat())
        assert older.status_code == 400  # a re-rating cannot predate the report it replaces
        r = await _upload(c, auth, replaces=str(first), report_date=today.isoformat(), grade="BB")
        assert r.status_code == 303, r.text
        again = await _upload(c, auth, replaces=str(first), report_date=today.isoformat())
        assert again.status_code == 400  # a report is replaced once
    check = await service.for_check(subject["id"], today)
    assert check["report_date"] == today and check["needs_rerating"] is False
    staff = await f.account("staff")
    async with logged_in(app, staff) as c:  # the registry keeps the agency's report records
        records = await c.get(f"/staff/credit-agencies/{agency['id']}")
        assert records.text.count(subject["name"]) == 2 and "已被重新评级报告替换" in records.text
    old = await CreditReport.select(CreditReport.replaced_at).where(CreditReport.id == first).first()
    assert old["replaced_at"] is not None


async def test_black_list_entry_after_the_report_flags_rerating():
    subject = await f.legal_subject()
    await f.credit_report(subject["id"], report_date=today_cn() - timedelta(days=30))
    assert (await service.for_check(subject["id"], today_cn()))["needs_rerating"] is False
    await f.list_entry(subject["id"], (await f.agency())["id"], "black", listed_on=today_cn() - timedelta(days=2))
    assert (await service.for_check(subject["id"], today_cn()))["needs_rerating"] is True


async def test_public_sees_existence_only_and_the_subject_sees_its_own(app, client):
    subject = await f.legal_subject()
    secret = f"SECRET{f.unique()}"
    report = await f.credit_report(subject["id"], grade="CCC", secret=secret)
    page = await client.get(f"/subjects/{subject['uscc']}")
    assert page.status_code == 200 and "有效信用报告" in page.text and report["agency_name"] in page.text
    assert report["filing_no"] in page.text
    assert secret not in page.text and "CCC" not in page.text
    officer = await f.account("agency", agency_id=(await f.agency())["id"])
    async with logged_in(app, officer) as c:
        seen = await c.get(f"/subjects/{subject['uscc']}")
        assert report["agency_name"] in seen.text and secret not in seen.text and "CCC" not in seen.text
    owner = await f.proven("enterprise", subject_id=subject["id"])
    async with logged_in(app, owner) as c:
        mine = await c.get("/me/credit-reports")
        assert secret in mine.text and "CCC" in mine.text and report["agency_name"] in mine.text
        pdf = await c.get(f"/me/credit-reports/{report['id']}/report.pdf")
        assert pdf.status_code == 200 and pdf.headers["content-type"].startswith("application/pdf")
    unverified = await f.account("enterprise", subject_id=subject["id"])  # a claim, not a proof
    async with logged_in(app, unverified) as c:
        assert secret not in (await c.get("/me/credit-reports")).text
        assert (await c.get(f"/me/credit-reports/{report['id']}/report.pdf")).status_code == 404
    stranger = await _agency()  # another agency's staff cannot fetch the file
    async with logged_in(app, stranger["member"]) as c:
        assert (await c.get(f"/credit-reports/{report['id']}/report.pdf")).status_code == 404
    async with logged_in(app, report["member"]) as c:
        assert (await c.get(f"/credit-reports/{report['id']}/report.pdf")).status_code == 200
