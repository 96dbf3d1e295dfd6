"""异议处理中 while an objection is open, and the 更正公告 on the profile (R-24).

The marker must show on every public view of a record (profile tabs, 双公示, home page, the public
API's ``objection_pending``) and on every disclosure (query result pages and the self-report PDF)
exactly while its objection is received, forwarded or answered — and never on the records beside it.
"""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from portal.lib.dates import today_cn
from portal.objections.stages import OPEN_STAGES, Stage
from portal.objections.tables import Objection
from tests import factories as f
from tests.integration.test_queries import _agency_query
from tests.queryflow import csrf as _csrf
from tests.queryflow import logged_in as _as
from tests.queryflow import self_query
from tests.queryflow import verified_account as _verified_account

pytestmark = pytest.mark.anyio
MARK = "异议处理中"
CLOSED_STAGES = (Stage.CLOSED, Stage.WITHDRAWN)


def _marked(html: str, title: str) -> bool:
    """Whether the row (list item or table row) showing ``title`` carries the marker."""
    start = html.index(title)
    ends = [i for i in (html.find("</li>", start), html.find("</tr>", start)) if i != -1]
    return MARK in html[start : min(ends)]


async def _set_stage(objection_id: int, stage: str) -> None:
    await Objection.update({Objection.stage: stage}).where(Objection.id == objection_id)


async def _feed_flags(client, since: date, ids: set[int]) -> dict[int, bool]:
    """objection_pending of ``ids`` in the 双公示 feed, paging until all were seen."""
    found: dict[int, bool] = {}
    params = {"type": "penalty", "since": since.isoformat(), "limit": 100}
    while True:
        body = (await client.get("/api/v1/public/disclosures", params=params)).json()
        found |= {item["id"]: item["objection_pending"] for item in body["items"] if item["id"] in ids}
        if found.keys() == ids or not body["next_cursor"]:
            return found
        params["cursor"] = body["next_cursor"]


async def test_public_pages_and_api_mark_a_record_exactly_while_its_objection_is_open(client):
    provider = await f.agency()
    company = await f.legal_subject()
    owner = await f.account("enterprise", subject_id=company["id"])
    tag = f.unique()
    day = date.today() - timedelta(days=30)
    disputed = await f.record(
        company["id"],
        provider["id"],
        record_type="penalty",
        category="penalty",
        polarity="negative",
        title=f"处罚甲{tag}",
        decision_date=day,
    )
    beside = await f.record(
        company["id"],
        provider["id"],
        record_type="penalty",
        category="penalty",
        polarity="negative",
        title=f"处罚乙{tag}",
        decision_date=day,
    )
    general = await f.record(
        company["id"],
        provider["id"],
        category="other_negative",
        polarity="negative",
        title=f"失信丙{tag}",
        decision_date=day,
    )
    titles = {disputed: f"处罚甲{tag}", beside: f"处罚乙{tag}", general: f"失信丙{tag}"}
    objection = await f.objection(company["id"], disputed, provider["id"], owner["id"])
    other = await f.objection(company["id"], general, provider["id"], owner["id"], stage=Stage.CLOSED)

    async def views() -> dict[str, dict[int, bool]]:
        penalty_tab = (await client.get(f"/subjects/{company['uscc']}/penalty")).text
        negative_tab = (await client.get(f"/subjects/{company['uscc']}/negative")).text
        listing = (await client.get("/disclosures", params={"agency": provider["code"]})).text
        fragment = (
            await client.get(
                f"/subjects/{company['uscc']}/penalty", headers={"HX-Request": "true", "HX-Target": "tab-panel"}
            )
        ).text
        api = (await client.get(f"/api/v1/public/subjects/{company['uscc']}")).json()
        assert "<html" not in fragment
        return {
            "profile": {
                disputed: _marked(penalty_tab, titles[disputed]),
                beside: _marked(penalty_tab, titles[beside]),
                general: _marked(negative_tab, titles[general]),
            },
            "fragment": {r: _marked(fragment, titles[r]) for r in (disputed, beside)},
            "disclosures": {r: _marked(listing, titles[r]) for r in (disputed, beside)},
            "api": {r["id"]: r["objection_pending"] for r in api["records"]},
            "feed": await _feed_flags(client, day, {disputed, beside}),
        }

    only_disputed = {disputed: True, beside: False}
    for stage in OPEN_STAGES:  # received, forwarded, answered: pending
        await _set_stage(objection, stage)
        seen = await views()
        assert seen["profile"] == {**only_disputed, general: False}, stage
        assert seen["fragment"] == only_disputed and seen["disclosures"] == only_disputed, stage
        assert seen["api"] == {**only_disputed, general: False} and seen["feed"] == only_disputed, stage
    for stage in CLOSED_STAGES:
        await _set_stage(objection, stage)
        seen = await views()
        assert not any(seen["profile"].values()) and not any(seen["fragment"].values()), stage
        assert not any(seen["disclosures"].values()) and not any(seen["feed"].values()), stage
        assert seen["api"] == {disputed: False, beside: False, general: False}, stage

    # A new objection on the other record (the earlier one is closed): marked on its tab.
    await _set_stage(other, Stage.FORWARDED)
    seen = await views()
    assert seen["profile"] == {disputed: False, beside: False, general: True}
    assert seen["api"] == {disputed: False, beside: False, general: True}
    # Still published and in force while pending: the record is shown, not hidden.
    assert titles[general] in (await client.get(f"/subjects/{company['uscc']}/negative")).text


async def test_api_schema_documents_objection_pending(client):
    schema = (await client.get("/schema/openapi.json")).json()["components"]["schemas"]
    for name in ("PublicRecord", "Disclosure"):
        prop = schema[name]["properties"]["objection_pending"]
        assert prop["type"] == "boolean" and MARK in prop["description"]
        assert "objection_pending" in schema[name]["required"]


def _pdf_text(content: bytes) -> str:
    text = "".join((page.extract_text() or "") for page in PdfReader(io.BytesIO(content)).pages)
    return "".join(text.replace("\x00", "").split())


async def test_self_query_result_and_pdf_mark_the_pending_record(app):
    provider = await f.agency()
    person = await f.natural_subject("赵测试")
    tag = f.unique()
    titles = {cls: f"{cls}类记录{tag}" for cls in "AB"}
    ids = {
        cls: await f.record(person["id"], provider["id"], disclosure_class=cls, category="person_positive", title=t)
        for cls, t in titles.items()
    }
    user = await _verified_account("citizen", person["id"])
    objection = await f.objection(person["id"], ids["B"], provider["id"], user["id"], stage=Stage.ANSWERED)
    async with _as(app, user) as client:
        result = await self_query(client)
        assert result.status_code == 200 and "/queries/" in str(result.url)
        assert _marked(result.text, titles["B"]) and not _marked(result.text, titles["A"])
        pdf = await client.post(str(result.url) + "/report", data={"_csrf_token": _csrf(client)})
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        text = _pdf_text(pdf.content)
        assert titles["A"] in text and titles["B"] in text
        assert text.count(MARK) == 1
        # The mark sits with the disputed record: class B is printed after class A.
        assert text.index(titles["A"]) < text.index(titles["B"]) < text.index(MARK)

        # Closed: reloading the same receipt shows the record plain; a new report says nothing.
        await _set_stage(objection, Stage.CLOSED)
        reloaded = await client.get(str(result.url))
        assert titles["B"] in reloaded.text and MARK not in reloaded.text
        later = await client.post(str(result.url) + "/report", data={"_csrf_token": _csrf(client)})
        assert MARK not in _pdf_text(later.content)


async def test_agency_query_result_marks_the_pending_record(app):
    provider = await f.agency()
    company = await f.legal_subject()
    owner = await f.account("enterprise", subject_id=company["id"])
    tag = f.unique()
    disputed = await f.record(company["id"], provider["id"], disclosure_class="B", title=f"部门共享甲{tag}")
    await f.record(company["id"], provider["id"], disclosure_class="B", title=f"部门共享乙{tag}")
    await f.objection(company["id"], disputed, provider["id"], owner["id"], stage=Stage.FORWARDED)
    officer = await f.account("agency", agency_id=(await f.agency())["id"])
    async with _as(app, officer) as client:
        page = await _agency_query(client, company, letter=False)
    assert page.status_code == 200
    assert _marked(page.text, f"部门共享甲{tag}") and not _marked(page.text, f"部门共享乙{tag}")


async def test_correction_notice_shows_on_the_profile_only_when_there_is_one(client):
    provider = await f.agency()
    company = await f.legal_subject()
    owner = await f.account("enterprise", subject_id=company["id"])
    record = await f.record(company["id"], provider["id"], record_type="penalty", category="penalty")
    before = await client.get(f"/subjects/{company['uscc']}")
    assert before.status_code == 200 and "更正公告" not in before.text

    objection = await f.objection(company["id"], record, provider["id"], owner["id"], stage=Stage.CLOSED)
    title = f"关于撤销{company['name']}行政处罚信息的更正公告"
    body = f"经核查，该行政处罚信息有误，已予撤销。特此公告。{f.unique()}"
    await f.correction_notice(company["id"], objection, title, body)
    for path in (f"/subjects/{company['uscc']}", f"/subjects/{company['uscc']}/penalty"):
        page = (await client.get(path)).text
        assert "更正公告" in page and title in page and body in page, path
        assert today_cn().isoformat() in page.split(title)[1].split(body)[0], path  # its date
    # A tab swap replaces only the panel: the notice stays where the page put it.
    swap = await client.get(f"/subjects/{company['uscc']}/penalty", headers={"HX-Request": "true"})
    assert title not in swap.text
    # Another subject's profile does not show it.
    stranger = await f.legal_subject()
    assert title not in (await client.get(f"/subjects/{stranger['uscc']}")).text


async def test_one_pending_query_per_page_never_one_per_row(client, db, capsys):
    provider = await f.agency()
    company = await f.legal_subject()
    owner = await f.account("enterprise", subject_id=company["id"])
    ids = [
        await f.record(company["id"], provider["id"], record_type="penalty", category="penalty", title=f"处罚{n}")
        for n in range(6)
    ]
    for record_id in ids[:3]:
        await f.objection(company["id"], record_id, provider["id"], owner["id"])
    paths = (
        f"/subjects/{company['uscc']}/penalty",
        f"/disclosures?agency={provider['code']}",
        f"/api/v1/public/subjects/{company['uscc']}",  # five tabs, still one
    )
    capsys.readouterr()
    db.log_queries = True
    try:
        for path in paths:
            response = await client.get(path)
            assert response.status_code == 200
            logged = capsys.readouterr().out
            assert logged.count('FROM "objection"') == 1, path
    finally:
        db.log_queries = False
