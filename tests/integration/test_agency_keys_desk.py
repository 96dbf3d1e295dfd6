"""The agency desk (R-11 … R-14) and the staff UI for agencies and API keys (R-12, R-14): keys are
shown once and never stored; an officer may revoke its own agency's key, never another's."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timezone

import pytest

from portal.agencies.tables import Agency
from portal.ingest import keys
from portal.ingest.tables import ApiKey, IngestBatch
from portal.records.tables import CreditRecord
from tests import factories as f
from tests.queryflow import csrf

pytestmark = pytest.mark.anyio
KEY = re.compile(r"zxk_[0-9a-f]{12}_[A-Za-z0-9_-]{40,}")


async def test_desk_shows_batches_rejections_corrections_scorecard_and_keys(client):
    agency = await f.agency()
    other = await f.agency()
    officer = await f.account("agency", agency_id=agency["id"])
    _, own = await keys.create_key(agency["code"], ["penalty"], "处罚办案系统", "staff-test")
    _, foreign = await keys.create_key(other["code"], ["penalty"], "别家系统", "staff-test")
    now = datetime.now(timezone.utc)
    await IngestBatch.insert(
        IngestBatch(agency=agency["id"], channel="api", received_at=now, items=7, created=4, unchanged=1, rejected=2),
        IngestBatch(agency=agency["id"], channel="xlsx", received_at=now, items=3, created=3),
    )
    subject = await f.legal_subject()
    record_id = await f.record(subject["id"], agency["id"], title="更正过的公开记录")
    await CreditRecord.update({CreditRecord.version: 2, CreditRecord.updated_at: now}).where(
        CreditRecord.id == record_id
    )
    hidden = await f.record(subject["id"], agency["id"], title="SECRETC更正", disclosure_class="C")
    await CreditRecord.update({CreditRecord.version: 3, CreditRecord.updated_at: now}).where(CreditRecord.id == hidden)
    await f.login(client, officer["username"])
    page = (await client.get("/agency")).text
    channels = page.split('id="channels"')[1].split("</section>")[0]
    assert re.search(r"系统对接</td><td>1</td><td>7</td><td>4</td><td>0</td><td>0</td><td>2</td>", channels)
    assert re.search(r"批量上传</td><td>1</td><td>3</td><td>3</td>", channels)
    assert channels.count("有退回条目的批次") == 1
    corrections = page.split('id="corrections"')[1].split("</section>")[0]
    assert "更正过的公开记录" in corrections and "第 2 版" in corrections and "有限共享类信息（记录编号" in corrections
    assert "SECRETC" not in page
    assert 'id="scorecard"' in page and "<svg" in page
    assert 'data-figure="rejection_rate">20.0%（2/10）<' in page
    assert f'data-key="{own["prefix"]}"' in page and foreign["prefix"] not in page


async def test_officer_revokes_its_own_key_but_not_another_agencys(client):
    agency = await f.agency()
    other = await f.agency()
    officer = await f.account("agency", agency_id=agency["id"])
    own_key, own = await keys.create_key(agency["code"], ["penalty"], "处罚办案系统", "staff-test")
    other_key, foreign = await keys.create_key(other["code"], ["penalty"], "别家系统", "staff-test")
    await f.login(client, officer["username"])
    blank = await client.post(f"/agency/keys/{own['id']}/revoke", data={"_csrf_token": csrf(client), "reason": " "})
    assert blank.status_code == 400 and "请填写吊销原因" in blank.text
    theirs = await client.post(
        f"/agency/keys/{foreign['id']}/revoke", data={"_csrf_token": csrf(client), "reason": "试图吊销别家"}
    )
    assert theirs.status_code == 404
    assert await keys.authenticate(f"Bearer {other_key}") is not None
    mine = await client.post(
        f"/agency/keys/{own['id']}/revoke",
        data={"_csrf_token": csrf(client), "reason": "怀疑泄露"},
        follow_redirects=False,
    )
    assert mine.status_code == 303
    assert await keys.authenticate(f"Bearer {own_key}") is None
    row = await ApiKey.select(ApiKey.revoked_reason).where(ApiKey.id == own["id"]).first()
    assert row == {"revoked_reason": "怀疑泄露"}
    assert "已吊销（怀疑泄露）" in (await client.get("/agency")).text


async def test_staff_create_an_agency_and_a_key_shown_once(client, caplog):
    staff = await f.account("staff")
    parent = await f.agency()
    await f.login(client, staff["username"])
    code = f.unique("ZZ-T")
    bad = await client.post(
        "/staff/agencies", data={"_csrf_token": csrf(client), "code": code, "name": "新局", "parent": "NOPE"}
    )
    assert bad.status_code == 400 and "没有代码为 NOPE 的上级部门" in bad.text
    made = await client.post(
        "/staff/agencies",
        data={"_csrf_token": csrf(client), "code": code, "name": f"郑州市测试新局{code}", "parent": parent["code"]},
        follow_redirects=False,
    )
    assert made.status_code == 303
    agency = await Agency.select(Agency.id, Agency.parent).where(Agency.code == code).first()
    assert made.headers["location"] == f"/staff/agencies/{agency['id']}" and agency["parent"] == parent["id"]
    listing = (await client.get("/staff/agencies")).text
    assert re.search(rf'data-agency="{code}".*?{parent["name"]}</td><td>0</td><td>0</td>', listing)

    caplog.set_level(logging.DEBUG)
    shown = await client.post(
        f"/staff/agencies/{agency['id']}/keys",
        data={"_csrf_token": csrf(client), "name": "许可审批系统", "days": "30", "categories": ["license", "penalty"]},
    )
    assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
    [key] = KEY.findall(shown.text)
    holder = await keys.authenticate(f"Bearer {key}")
    assert holder.agency_id == agency["id"] and holder.categories == {"license", "penalty"}
    stored = await ApiKey.select().where(ApiKey.agency == agency["id"]).first()
    assert key not in str(stored) and key not in caplog.text
    detail = (await client.get(f"/staff/agencies/{agency['id']}")).text
    assert stored["prefix"] in detail and key not in detail  # never shown again
    assert re.search(rf'data-agency="{code}".*?</td><td>0</td><td>1</td>', (await client.get("/staff/agencies")).text)

    none = await client.post(f"/staff/agencies/{agency['id']}/keys", data={"_csrf_token": csrf(client), "name": "x"})
    assert none.status_code == 400 and "请至少指定一个可报送的信息类别" in none.text

    rotated = await client.post(
        f"/staff/agencies/{agency['id']}/keys/{stored['id']}/rotate", data={"_csrf_token": csrf(client)}
    )
    [new_key] = KEY.findall(rotated.text)
    assert new_key != key and (await keys.authenticate(f"Bearer {new_key}")).agency_id == agency["id"]
    revoked = await client.post(
        f"/staff/agencies/{agency['id']}/keys/{stored['id']}/revoke",
        data={"_csrf_token": csrf(client), "reason": "系统下线"},
        follow_redirects=False,
    )
    assert revoked.status_code == 303 and await keys.authenticate(f"Bearer {key}") is None
    # A key of another agency cannot be rotated through this agency's page.
    _, foreign = await keys.create_key(parent["code"], ["penalty"], "别家系统", "staff-test")
    wrong = await client.post(
        f"/staff/agencies/{agency['id']}/keys/{foreign['id']}/rotate", data={"_csrf_token": csrf(client)}
    )
    assert wrong.status_code == 404
