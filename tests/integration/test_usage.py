"""Usage of credit products (R-P4; ZEP 三(四), KS 第二十五条, JX 六(十四)): outcomes reported after
the check, matters reported handled, matters without a check, quarterly figures at the quarter's
boundaries, the yearly figures, the XLSX export read back, the staff desk for measures, and the
officer's check on the agency desk."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from audit import service as audit_service
from portal.products.checks import service as checks
from portal.products.checks.tables import CreditCheck, Measure
from portal.products.usage import service as usage
from portal.products.usage.export import HEADERS
from tests import factories as f
from tests.integration.test_checks import _body, _check, _key, _pdf_text
from tests.queryflow import csrf, logged_in

pytestmark = pytest.mark.anyio


async def _checked(agency: dict, subject: dict, case_no: str, day: date) -> str:
    """A check made on ``day`` through the service (the API path is tested in test_checks)."""
    who = checks.Checker(agency["id"], agency["name"], "api:test", key_id=None, officer_id=None)
    q = checks.parse("legal", subject["uscc"], "", "建设工程施工许可", case_no, "supervision_approval")
    return (await checks.check(who, q, today=day)).number


async def test_outcome_reporting_and_matters_without_check_via_the_api(client):
    agency = await f.agency()
    key = await _key(agency)
    company = await f.legal_subject()
    case_no = f.unique("SX-")
    r = await _check(client, key, _body({"kind": "legal", "uscc": company["uscc"]}, case_no))
    number = r.json()["check_number"]
    auth = {"authorization": f"Bearer {key}"}
    ok = await client.post(
        f"/api/v1/checks/{number}/outcome", json={"product": "list", "outcome": "sanction"}, headers=auth
    )
    assert ok.status_code == 200 and ok.json() == {"check_number": number, "product": "list", "outcome": "sanction"}
    unused = await client.post(
        f"/api/v1/checks/{number}/outcome", json={"product": "report", "outcome": "none"}, headers=auth
    )
    assert unused.status_code == 409
    stranger = await _key(await f.agency())
    other = await client.post(
        f"/api/v1/checks/{number}/outcome",
        json={"product": "list", "outcome": "none"},
        headers={"authorization": f"Bearer {stranger}"},
    )
    assert other.status_code == 404
    today = date.fromisoformat(r.json()["checked_on"])
    items = [
        {
            "case_no": case_no,
            "matter_name": "食品经营许可",
            "domain": "supervision_approval",
            "handled_on": today.isoformat(),
        },
        {
            "case_no": f.unique("WJ-"),
            "matter_name": "户外广告许可",
            "domain": "supervision_approval",
            "handled_on": today.isoformat(),
        },
    ]
    m = await client.post("/api/v1/matters", json={"items": items}, headers=auth)
    assert m.status_code == 200 and m.json() == {"received": 2, "created": 2, "updated": 0}
    again = await client.post("/api/v1/matters", json={"items": items[:1]}, headers=auth)
    assert again.json() == {"received": 1, "created": 0, "updated": 1}
    bad = await client.post("/api/v1/matters", json={"items": [{**items[0], "case_no": "a b"}]}, headers=auth)
    assert bad.status_code == 400 and bad.json()["error"]["fields"][0]["key"] == "items[0].case_no"
    row = next(
        x for x in await usage.figures(usage.quarter(usage.quarter_of(today))) if x["agency"]["id"] == agency["id"]
    )
    assert (row["checks"], row["uses"]["list"], row["sanctions"], row["matters"], row["without_check"]) == (
        1,
        1,
        1,
        2,
        1,
    )
    assert row["check_rate"] == 0.5
    unchecked = await usage.without_check(usage.quarter(usage.quarter_of(today)))
    assert [u["case_no"] for u in unchecked if u["agency_name"] == agency["name"]] == [items[1]["case_no"]]


async def test_quarter_boundaries_and_yearly_figures():
    agency = await f.agency()
    company = await f.legal_subject()
    for case_no, day in (
        ("Q3-LAST", date(2026, 9, 30)),
        ("Q4-FIRST", date(2026, 10, 1)),
        ("Q4-LAST", date(2026, 12, 31)),
    ):
        await _checked(agency, company, f.unique(case_no), day)
    items = [
        usage.clean_matter(f.unique("M"), "事项", "qualification", d, 0)
        for d in (date(2026, 6, 30), date(2026, 7, 1), date(2026, 12, 31))
    ]
    await usage.report_matters(agency["id"], items)

    def mine(rows):
        return next((r for r in rows if r["agency"]["id"] == agency["id"]), None)

    q3, q4 = mine(await usage.figures(usage.quarter("2026Q3"))), mine(await usage.figures(usage.quarter("2026Q4")))
    assert (q3["checks"], q3["matters"], q3["without_check"]) == (1, 1, 1)
    assert (q4["checks"], q4["matters"], q4["without_check"]) == (2, 1, 1)
    assert mine(await usage.figures(usage.quarter("2027Q1"))) is None
    year = mine(await usage.figures(usage.year(2026)))
    assert (year["checks"], year["matters"], year["uses"]["list"]) == (3, 3, 3)
    assert usage.quarter("2026q1").start == date(2026, 1, 1) and usage.quarter("2024Q1").end == date(2024, 3, 31)
    for bad in ("2026Q5", "2026-Q1", "", "26Q1"):
        with pytest.raises(usage.UsageError):
            usage.quarter(bad)


async def test_staff_usage_page_chart_and_xlsx_export_read_back(app):
    agency = await f.agency()
    company = await f.legal_subject()
    await _checked(agency, company, f.unique("X-"), date(2026, 11, 3))
    await usage.report_matters(
        agency["id"], [usage.clean_matter(f.unique("N-"), "无核查事项", "qualification", date(2026, 11, 4), 0)]
    )
    staff = await f.account("staff")
    async with logged_in(app, staff) as client:
        page = await client.get("/staff/usage", params={"quarter": "2026Q4"})
        assert page.status_code == 200 and "2026年第4季度" in page.text and "<svg" in page.text
        assert f'data-agency="{agency["code"]}"' in page.text and "2026年度考核数据" in page.text
        assert (await client.get("/staff/usage", params={"quarter": "2026Q9"})).status_code == 400
        x = await client.get("/staff/usage/export.xlsx", params={"quarter": "2026Q4"})
        assert x.status_code == 200
    wb = load_workbook(io.BytesIO(x.content), read_only=True)
    rows = list(wb["信用产品使用统计"].iter_rows(values_only=True))
    assert list(rows[1]) == HEADERS
    mine = next(r for r in rows[2:] if r[0] == agency["code"])
    assert mine[2] == 1 and mine[HEADERS.index("报送办件")] == 1 and mine[HEADERS.index("未经核查办件")] == 1
    assert mine[HEADERS.index("核查率")] == 0
    assert any(
        r[0] == agency["name"] and r[2] == "无核查事项" for r in wb["未经核查的办件"].iter_rows(values_only=True)
    )


async def test_staff_keep_measures_with_versions(app):
    staff = await f.account("staff")
    async with logged_in(app, staff) as client:
        content = f"{f.unique('')}给予行政审批“绿色通道”"
        r = await client.post(
            "/staff/measures",
            data={
                "_csrf_token": csrf(client),
                "list_type": "red",
                "domain": "all",
                "content": content,
                "basis": "郏信用办〔2021〕2号 五（十一）",
            },
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text[-3000:]
        code = (await Measure.select(Measure.code).where(Measure.content == content).first())["code"]
        bad = await client.post(
            "/staff/measures",
            data={"_csrf_token": csrf(client), "list_type": "red", "domain": "all", "content": "短", "basis": ""},
        )
        assert bad.status_code == 400 and "措施内容" in bad.text
        rev = await client.post(
            f"/staff/measures/{code}/revise",
            data={
                "_csrf_token": csrf(client),
                "domain": "fiscal_funds",
                "content": content + "（修订）",
                "basis": "昆政办发〔2017〕41号 第二十五条",
                "note": "按新文件",
            },
            follow_redirects=False,
        )
        assert rev.status_code == 303
        page = await client.get(f"/staff/measures/{code}")
        assert page.status_code == 200 and 'data-version="2"' in page.text and 'data-version="1"' in page.text
        assert "已被新版本替代" in page.text
    current = [m for m in await measures_current() if m["code"] == code]
    assert [(m["version"], m["domain"]) for m in current] == [(2, "fiscal_funds")]


async def measures_current():
    from portal.products.checks import measures

    return await measures.catalogue()


async def test_officer_checks_on_the_agency_desk_audited_and_printable(app):
    agency = await f.agency()
    officer = await f.account("agency", agency_id=agency["id"])
    company = await f.legal_subject()
    case_no = f.unique("CK-")
    async with logged_in(app, officer) as client:
        form = await client.get("/agency/checks")
        assert form.status_code == 200 and "逢办必查" in form.text
        data = {
            "_csrf_token": csrf(client),
            "subject_kind": "legal",
            "uscc": company["uscc"],
            "matter_name": "药品经营许可",
            "case_no": case_no,
            "domain": "supervision_approval",
        }
        posted = await client.post("/agency/checks", data=data, follow_redirects=False)
        assert posted.status_code == 303
        number = posted.headers["location"].rsplit("/", 1)[1]
        row = await CreditCheck.select().where(CreditCheck.number == number).first()
        before = row["audit_seq"]
        page = await client.get(posted.headers["location"])  # a GET records nothing (DESIGN rule 7)
        assert page.status_code == 200 and case_no in page.text and company["name"] in page.text
        assert await CreditCheck.count().where(CreditCheck.case_no == case_no) == 1
        entry = await audit_service.entry(before)
        assert entry["method"] == "agency" and entry["authority_ref"] == f"case:{case_no}"
        pdf = await client.get(f"/agency/checks/{number}/record.pdf")
        assert pdf.status_code == 200 and case_no in _pdf_text(pdf.content)
        bad = await client.post("/agency/checks", data={**data, "uscc": "123"})
        assert bad.status_code == 400
    other = await f.account("agency", agency_id=(await f.agency())["id"])
    async with logged_in(app, other) as client:
        assert (await client.get(f"/agency/checks/{number}")).status_code == 404
