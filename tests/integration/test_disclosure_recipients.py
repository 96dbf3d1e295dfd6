"""Who received a disclosure of a record, found through the audit log (R-19, R-20, R-24).

Build item: issue "objections" item 6 — when a sanction is found wrong, every party that received
a disclosure of that record in the past 5 years is notified. Real disclosures are made through the
real query paths (self query, authorised third party, agency with a letter), then the recipients of
a class-A, a class-B and class-C records are asked for.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from io import BytesIO

import pytest

from portal.accounts.tables import Account
from portal.agencies.tables import AgencyGrant
from portal.disclosure.recipients import past_recipients, recipients_since
from portal.records.tables import CreditRecord
from tests import factories as f
from tests.integration.test_queries import _decide, _file_request, _pdf_bytes
from tests.queryflow import csrf, logged_in, post_query, self_query, verified_account

pytestmark = pytest.mark.anyio


async def _row(record_id: int) -> dict:
    return await CreditRecord.select().where(CreditRecord.id == record_id).first()


async def _agency_query(client, uscc: str, c_categories=()):
    form = {
        "subject_kind": "legal",
        "uscc": uscc,
        "reason_code": "supervision_approval",
        "reason_text": "行政审批事项 审批编号2026-001",
        "_csrf_token": csrf(client),
    }
    files = None
    if c_categories:
        form |= {"c_categories": list(c_categories), "letter_number": "郑法函〔2026〕12号"}
        files = {"letter": ("函件.pdf", BytesIO(_pdf_bytes("letter")), "application/pdf")}
    response = await client.post("/agency/query", data=form, files=files)
    assert response.status_code == 200, response.text
    return response


def _ids(found: list[dict]) -> list[int]:
    return [r["account_id"] for r in found]


def test_the_look_back_is_five_years_but_never_before_the_record() -> None:
    now = datetime(2028, 2, 29, 9, 0, tzinfo=timezone.utc)
    assert recipients_since(datetime(2020, 1, 1, tzinfo=timezone.utc), now) == datetime(
        2023, 2, 28, 9, 0, tzinfo=timezone.utc
    )
    recent = datetime(2027, 5, 1, 8, 30, tzinfo=timezone.utc)
    assert recipients_since(recent, now) == recent
    assert recipients_since(datetime(2027, 5, 1, 8, 30), now) == recent  # naive = UTC (SQLite rows)


async def test_recipients_of_class_a_b_and_c_records_from_real_queries(app) -> None:
    agency = await f.agency()
    subject = await f.legal_subject()
    made = {}
    for key, cls, category in [("A", "A", "other_positive"), ("B", "B", "other_positive"),
                               ("C", "C", "judicial"), ("C2", "C", "tax_violation")]:  # fmt: skip
        made[key] = await f.record(subject["id"], agency["id"], disclosure_class=cls, category=category)
    rows = {key: await _row(rid) for key, rid in made.items()}

    owner = await verified_account("enterprise", subject["id"])
    async with logged_in(app, owner) as client:
        assert (await self_query(client)).status_code == 200  # web_self, all classes: its own query

    requester = await f.proven("third_party")
    async with logged_in(app, requester) as client:
        location = await _file_request(client, subject, classes=("B",))
        await _decide(app, owner, location, "approve")
        assert (await post_query(client, location + "/query")).status_code == 200  # scope A,B
        assert (await post_query(client, location + "/query")).status_code == 200
    thief = await f.proven("third_party")
    async with logged_in(app, thief) as client:
        assert (await post_query(client, location + "/query")).status_code == 404  # refused: not a recipient

    granted_agency, plain_agency = await f.agency(), await f.agency()
    await AgencyGrant(agency=granted_agency["id"], category="judicial", granted_at=datetime.now(timezone.utc)).save()
    judge = await f.account("agency", agency_id=granted_agency["id"])
    officer = await f.account("agency", agency_id=plain_agency["id"])
    async with logged_in(app, judge) as client:
        await _agency_query(client, subject["uscc"], c_categories=["judicial"])  # scope B,C;judicial
    async with logged_in(app, officer) as client:
        await _agency_query(client, subject["uscc"])  # scope B

    class_a = await past_recipients(subject["id"], rows["A"])
    assert _ids(class_a) == [requester["id"]]  # not the owner's own query, not the refused attempt
    assert class_a[0]["count"] == 2 and class_a[0]["methods"] == ["third_party"]
    assert class_a[0]["organisation"].startswith("测试信用服务") and class_a[0]["username"] == requester["username"]

    class_b = await past_recipients(subject["id"], rows["B"])
    assert _ids(class_b) == sorted([requester["id"], judge["id"], officer["id"]])
    judged = await past_recipients(subject["id"], rows["C"])
    assert _ids(judged) == [judge["id"]] and judged[0]["organisation"] == granted_agency["name"]
    assert await past_recipients(subject["id"], rows["C2"]) == []  # a class-C category nobody was given

    # A record made after these queries was shown to nobody yet.
    later = await _row(await f.record(subject["id"], agency["id"], disclosure_class="B"))
    assert await past_recipients(subject["id"], later) == []
    # An account closed since is not notified.
    await Account.update({Account.is_active: False}).where(Account.id == officer["id"])
    assert _ids(await past_recipients(subject["id"], rows["B"])) == sorted([requester["id"], judge["id"]])
    # Entries older than the look-back (now − 5 years) are out of it.
    future = datetime.now(timezone.utc) + timedelta(days=5 * 366)
    assert await past_recipients(subject["id"], rows["B"], now=future) == []
