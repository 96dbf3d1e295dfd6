"""Absolute links never carry a forged Host (DESIGN rule 9; issue 8, observation 6).

``localhost:1@evil.example`` passed the allowed-hosts check (its "host" read as ``localhost``) and
the PDF report printed ``http://localhost:1@evil.example/reports/verify/…``: a browser opening that
link goes to evil.example. Now such a Host is a 400, and the link is rebuilt from the checked host.
"""

from __future__ import annotations

import io
import re
from datetime import datetime, timezone

import pytest
from pypdf import PdfReader

from portal.proofs.tables import IdentityProof
from tests import factories as f

pytestmark = pytest.mark.anyio
LINK = re.compile(r"https?://\S+?/reports/verify/")


async def _citizen(client) -> None:
    person = await f.natural_subject()
    provider = await f.agency()
    await f.record(person["id"], provider["id"], disclosure_class="B", title="链接测试记录")
    account = await f.account("citizen", subject_id=person["id"])
    await IdentityProof(
        account=account["id"],
        subject=person["id"],
        method="counter",
        status="verified",
        submitted_at=datetime.now(timezone.utc),
    ).save()
    assert (await f.login(client, account["username"])).status_code == 303


async def _report(app, client, host: str):
    """The citizen's PDF report, through whichever route issues it: GET /me/records.pdf, or (the
    post/redirect/get flow) POST /me/records then POST /queries/{token}/report."""
    paths = {route.path for route in app.routes}
    if "/me/records.pdf" in paths:
        return await client.get("/me/records.pdf", headers={"host": host})
    csrf = {"_csrf_token": client.cookies.get("csrftoken")}
    receipt = await client.post("/me/records", data=csrf, headers={"host": host}, follow_redirects=False)
    if receipt.status_code != 303:
        return receipt
    return await client.post(receipt.headers["location"] + "/report", data=csrf, headers={"host": host})


def _link(pdf: bytes) -> str:
    text = "".join("".join(p.extract_text().replace("\x00", "").split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    match = LINK.search(text)
    assert match, "no verification link in the report"
    return match.group(0)


@pytest.mark.parametrize("host", ["localhost:1@evil.example", "testserver.local@evil.example", "localhost:80:1"])
async def test_a_host_with_userinfo_is_refused_and_no_report_is_issued(app, client, host):
    await _citizen(client)
    response = await _report(app, client, host)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_host"
    assert b"%PDF" not in response.content and b"evil" not in response.content


async def test_the_report_link_is_rebuilt_from_the_checked_host(app, client):
    await _citizen(client)
    response = await _report(app, client, "LOCALHOST:8000")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert _link(response.content) == "http://localhost:8000/reports/verify/"


@pytest.mark.parametrize("path", ["/", "/login", "/no-such-page", "/api/v1/public/subjects?q=a"])
async def test_a_host_with_a_path_is_a_400_in_chinese_not_a_500(client, path):
    """Litestar's router refuses ``host:80/x`` before the portal's middleware runs; the error page
    then read ``request.url``, which cannot parse that Host, and the 400 became a 500."""
    response = await client.get(path, headers={"host": "127.0.0.1:80/x"})
    assert response.status_code == 400
    if path.startswith("/api/"):
        assert response.json()["error"] == {"code": "bad_request", "message": "请求有误"}
    else:
        assert "请求有误" in response.text and "<h1" in response.text
