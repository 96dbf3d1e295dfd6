"""Reports can be revoked by staff and their tokens carry an expiry (observation 12; What to build 9;
R-P2/R-P3: a credit product is valid 1 year; R-23: a report built on wrong records is withdrawn)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta, timezone

import pytest
from litestar.testing import AsyncTestClient

from portal.reports.content import utc_seconds
from portal.reports.service import check_token
from portal.reports.tables import IssuedReport
from portal.reports.tokens import sign_claim, verify_token
from tests import factories as f
from tests.integration.test_reports import _issue_for_person

pytestmark = pytest.mark.anyio


def _csrf(client) -> str:
    return client.cookies.get("csrftoken")


async def _staff(app):
    staff = await f.account("staff")
    client = AsyncTestClient(app=app, base_url="http://testserver.local")
    await client.__aenter__()
    assert (await f.login(client, staff["username"])).status_code == 303
    return staff, client


async def test_token_carries_a_one_year_expiry_and_the_page_says_expired(client):
    _, _, _, _, token = await _issue_for_person()
    claim = verify_token(token)
    assert claim.expires_at == claim.issued_at + timedelta(days=365)
    row = await IssuedReport.select().where(IssuedReport.report_no == claim.report_no).first()
    assert utc_seconds(row["expires_at"]) == claim.expires_at
    assert (await check_token(token)).state == "valid"
    assert (await check_token(token, now=claim.expires_at - timedelta(seconds=1))).state == "valid"
    assert (await check_token(token, now=claim.expires_at)).state == "expired"

    # A report issued 400 days ago: the registry and its token agree, and it is past its year.
    issued = claim.issued_at - timedelta(days=400)
    old = replace(claim, issued_at=issued, expires_at=issued + timedelta(days=365))
    await IssuedReport.update({IssuedReport.issued_at: old.issued_at, IssuedReport.expires_at: old.expires_at}).where(
        IssuedReport.report_no == claim.report_no
    )
    response = await client.get(f"/reports/verify/{sign_claim(old)}")
    assert response.status_code == 410
    assert "报告已过期" in response.text and "报告真实有效" not in response.text
    assert old.expires_at.astimezone(timezone(timedelta(hours=8))).strftime("%Y-%m-%d") in response.text
    # A token cannot extend its own validity: the registry's expiry is what counts.
    extended = replace(old, expires_at=old.expires_at + timedelta(days=3650))
    response = await client.get(f"/reports/verify/{sign_claim(extended)}")
    assert response.status_code == 400 and "无法验证" in response.text


async def test_tokens_printed_before_expiry_existed_expire_a_year_after_issue(client):
    _, _, _, _, token = await _issue_for_person()
    claim = verify_token(token)
    legacy = replace(claim, expires_at=None)  # no "e" in the payload, no expiry in the row
    await IssuedReport.update({IssuedReport.expires_at: None}).where(IssuedReport.report_no == claim.report_no)
    legacy_token = sign_claim(legacy)
    assert verify_token(legacy_token).expires_at is None
    assert (await check_token(legacy_token)).state == "valid"
    assert (await check_token(legacy_token, now=claim.issued_at + timedelta(days=366))).state == "expired"


async def test_staff_find_and_revoke_a_report_and_the_public_page_says_revoked(app, client):
    _, _, _, _, token = await _issue_for_person()
    claim = verify_token(token)
    staff, desk = await _staff(app)
    try:
        page = await desk.get(f"/staff/reports?report_no={claim.report_no.lower()}")  # as typed at the counter
        assert page.status_code == 200 and claim.report_no in page.text and "有效" in page.text
        assert "欧**犇" in page.text and "欧阳测犇" not in page.text  # the public label only

        form = {"report_no": claim.report_no, "reason": "所依据的行政处罚已被撤销"}
        refused = await desk.post("/staff/reports/revoke", data=form, follow_redirects=False)
        assert refused.status_code == 403  # no CSRF token: a foreign site cannot revoke
        assert (await check_token(token)).state == "valid"

        done = await desk.post(
            "/staff/reports/revoke", data={**form, "_csrf_token": _csrf(desk)}, follow_redirects=False
        )
        assert done.status_code == 303
        after = await desk.get(done.headers["location"])
        assert "报告已撤销" in after.text and "已撤销" in after.text and "所依据的行政处罚已被撤销" in after.text
        row = await IssuedReport.select().where(IssuedReport.report_no == claim.report_no).first()
        assert row["revoked_by"] == staff["id"] and row["revoked_at"] is not None

        again = await desk.post("/staff/reports/revoke", data={**form, "_csrf_token": _csrf(desk)})
        assert again.status_code == 400 and "已撤销" in again.text
        blank = await desk.post(
            "/staff/reports/revoke", data={"report_no": claim.report_no, "reason": " ", "_csrf_token": _csrf(desk)}
        )
        assert blank.status_code == 400 and "请填写撤销原因" in blank.text
        for bad in ("XYBG2026", "'; DROP TABLE issued_report; --", "XYBG20261204IIIIIIII"):
            response = await desk.get("/staff/reports", params={"report_no": bad})
            assert response.status_code == 400 and "报告编号格式不正确" in response.text
        missing = await desk.get("/staff/reports?report_no=XYBG20990101AAAAAAAA")
        assert missing.status_code == 400 and "没有该编号报告" in missing.text
    finally:
        await desk.__aexit__(None, None, None)

    public = await client.get(f"/reports/verify/{token}")
    assert public.status_code == 410 and "报告已撤销" in public.text and "所依据的行政处罚已被撤销" in public.text


async def test_the_revocation_page_is_for_staff_only(app):
    citizen = await f.account("citizen")
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as other:
        assert (await f.login(other, citizen["username"])).status_code == 303
        assert (await other.get("/staff/reports")).status_code in (401, 403)
        response = await other.post(
            "/staff/reports/revoke",
            data={"report_no": "XYBG20990101AAAAAAAA", "reason": "x", "_csrf_token": _csrf(other)},
        )
        assert response.status_code in (401, 403)
