"""系统对接 (R-11, R-12): an agency's system pushes create / correct / revoke items with its API key;
each item stands alone, a repeated push changes nothing, corrections and revocations keep history
and are public at once, and keys are scoped, expire, rotate and can be revoked."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from portal.ingest import keys
from portal.ingest.tables import ApiKey, IngestBatch
from portal.lib.dates import today_cn
from portal.records.tables import CreditRecord, PenaltyDetail, RecordChange
from portal.subjects.tables import Subject
from tests import factories as f

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[2]


async def _key(agency: dict, categories=("penalty", "license", "other_positive", "person_penalty")) -> str:
    key, _ = await keys.create_key(agency["code"], categories, "处罚办案系统", "test")
    return key


def _penalty(ref: str, uscc: str, **over) -> dict:
    today = today_cn()
    item = {
        "action": "create",
        "record_id": ref,
        "subject": {"kind": "legal", "uscc": uscc, "name": "郑州推送测试建材有限公司"},
        "record_type": "penalty",
        "category": "penalty",
        "disclosure_class": "A",
        "title": "未按规定设置安全警示标志（推送）",
        "doc_number": f"郑应急罚〔2026〕{ref}号",
        "decision_date": (today - timedelta(days=2)).isoformat(),
        "publicity_end": (today + timedelta(days=365)).isoformat(),
        "penalty": {
            "violation_type": "安全生产违法",
            "violation_facts": "作业现场未设置安全警示标志",
            "penalty_category": "罚款",
            "fine_amount": "0.5",
            "authority": "郑州市应急管理局",
        },
    }
    item.update(over)
    return item


async def _push(client, key: str | None, items) -> object:
    headers = {"authorization": f"Bearer {key}"} if key else {}
    return await client.post("/api/v1/agency/records", json={"items": items}, headers=headers)


async def test_create_repeat_correct_revoke_and_the_public_side(client):
    agency = await f.agency()
    key = await _key(agency)
    uscc = f.new_uscc()
    ref = f.unique("P")
    first = await _push(client, key, [_penalty(ref, uscc)])
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["created"] == 1 and body["results"][0] == {
        "index": 0,
        "record_id": ref,
        "status": "created",
        "version": 1,
        "errors": [],
    }
    # The subject was registered from the report and is public with its record.
    profile = await client.get(f"/subjects/{uscc}/penalty")
    assert profile.status_code == 200 and "未按规定设置安全警示标志（推送）" in profile.text
    feed = await client.get(
        "/api/v1/public/disclosures", params={"since": (today_cn() - timedelta(days=3)).isoformat(), "type": "penalty"}
    )
    assert any(d["title"] == "未按规定设置安全警示标志（推送）" for d in feed.json()["items"])
    record = (
        await CreditRecord.select()
        .where((CreditRecord.provider == agency["id"]) & (CreditRecord.provider_ref == ref))
        .first()
    )
    assert record["channel"] == "api"
    detail = await PenaltyDetail.select().where(PenaltyDetail.record == record["id"]).first()
    assert detail["subject_code"] == uscc and str(detail["fine_amount"]).startswith("0.5")

    # The same push again changes nothing (idempotent).
    again = (await _push(client, key, [_penalty(ref, uscc)])).json()
    assert again["unchanged"] == 1 and again["results"][0]["status"] == "unchanged"
    assert await CreditRecord.count().where(CreditRecord.provider_ref == ref) == 1
    # The same id with other content is not a silent overwrite.
    clash = (await _push(client, key, [_penalty(ref, uscc, title="另一条")])).json()["results"][0]
    assert clash["status"] == "rejected" and clash["errors"][0]["code"] == "duplicate_record_id"

    # A correction goes through the history and is public at once.
    fix = {
        "action": "correct",
        "record_id": ref,
        "title": "未按规定设置安全警示标志（已更正）",
        "reason": "标题录入错误",
    }
    corrected = (await _push(client, key, [fix])).json()["results"][0]
    assert corrected["status"] == "corrected" and corrected["version"] == 2
    assert (await _push(client, key, [fix])).json()["results"][0]["status"] == "unchanged"
    history = await RecordChange.select().where(RecordChange.record == record["id"])
    assert len(history) == 1 and "系统对接" in history[0]["actor"]
    assert "（已更正）" in (await client.get(f"/subjects/{uscc}/penalty")).text

    # A revocation removes it from the public pages and the open-data feed.
    gone = (await _push(client, key, [{"action": "revoke", "record_id": ref, "reason": "处罚决定已撤销"}])).json()
    assert gone["results"][0]["status"] == "revoked"
    assert (await _push(client, key, [{"action": "revoke", "record_id": ref, "reason": "再次"}])).json()[
        "unchanged"
    ] == 1
    assert "安全警示标志" not in (await client.get(f"/subjects/{uscc}/penalty")).text
    feed = await client.get(
        "/api/v1/public/disclosures", params={"since": (today_cn() - timedelta(days=3)).isoformat(), "type": "penalty"}
    )
    # This subject's record only: other tests (the upload's) publish penalties with the same title.
    assert not any(d["subject_code"] == uscc and "安全警示标志" in d["title"] for d in feed.json()["items"])
    refix = (await _push(client, key, [fix | {"title": "再改"}])).json()["results"][0]
    assert refix["status"] == "rejected" and refix["errors"][0]["code"] == "not_in_force"
    batches = await IngestBatch.select().where(IngestBatch.agency == agency["id"]).order_by(IngestBatch.id)
    assert [b["created"] for b in batches][:1] == [1] and sum(b["rejected"] for b in batches) == 2


async def test_each_item_stands_alone_with_precise_errors(client):
    agency = await f.agency()
    key = await _key(agency)
    good = _penalty(f.unique("G"), f.new_uscc())
    bad_uscc = f.new_uscc()
    wrong_check = bad_uscc[:-1] + ("0" if bad_uscc[-1] != "0" else "1")
    items = [
        good,
        _penalty(f.unique("B"), wrong_check),
        _penalty(f.unique("C"), f.new_uscc(), category="no_such_category"),
        _penalty(f.unique("D"), f.new_uscc(), decision_date="2026-13-40"),
        _penalty(f.unique("E"), f.new_uscc(), decision_date=(today_cn() + timedelta(days=3)).isoformat()),
        _penalty(f.unique("F"), f.new_uscc(), penalty=None),
        _penalty(f.unique("H"), f.new_uscc(), category="honour", record_type="general"),  # not in the key's scope
        {"action": "delete", "record_id": "x"},
        "not an object",
        {"action": "create", "record_id": "bad id with spaces"},
        # an act that "ends" in 2099 would keep the record published for ever
        _penalty(f.unique("I"), f.new_uscc(), act_end_date=(today_cn() + timedelta(days=3)).isoformat()),
    ]
    body = (await _push(client, key, items)).json()
    assert body["received"] == 11 and body["created"] == 1 and body["rejected"] == 10
    codes = {r["index"]: {(e["field"], e["code"]) for e in r.get("errors", [])} for r in body["results"]}
    assert ("subject.uscc", "invalid_uscc") in codes[1]
    assert ("category", "unknown_category") in codes[2]
    assert ("decision_date", "invalid_date") in codes[3]
    assert ("decision_date", "future_date") in codes[4]
    assert ("penalty", "required") in codes[5]
    assert ("category", "category_not_in_scope") in codes[6]
    assert ("action", "invalid_action") in codes[7]
    assert codes[8] == {("", "invalid")}
    assert ("act_end_date", "future_date") in codes[10]
    assert ("record_id", "invalid_record_id") in codes[9] and ("subject", "required") in codes[9]
    assert wrong_check not in str(body)  # an error never repeats what was refused
    assert await CreditRecord.count().where(CreditRecord.provider == agency["id"]) == 1
    assert not await Subject.exists().where(Subject.uscc == wrong_check)


async def test_natural_person_by_id_number_never_echoed(client, caplog):
    agency = await f.agency()
    key = await _key(agency)
    person = await f.natural_subject("赵推送")
    item = {
        "action": "create",
        "record_id": f.unique("N"),
        "subject": {"kind": "natural", "name": "赵推送", "id_number": person["id_number"]},
        "record_type": "penalty",
        "category": "person_penalty",
        "disclosure_class": "B",
        "title": "行政处罚（推送，自然人）",
        "decision_date": (today_cn() - timedelta(days=1)).isoformat(),
        "penalty": {"violation_type": "治安违法", "penalty_category": "罚款", "authority": "郑州市公安局"},
    }
    ok = (await _push(client, key, [item])).json()["results"][0]
    assert ok["status"] == "created"
    assert (
        await CreditRecord.select(CreditRecord.subject).where(CreditRecord.provider_ref == item["record_id"]).first()
    )["subject"] == person["id"]
    mismatch = (
        await _push(
            client, key, [item | {"record_id": f.unique("M"), "subject": {**item["subject"], "name": "钱推送"}}]
        )
    ).json()
    assert mismatch["results"][0]["errors"][0]["code"] == "subject_mismatch"
    assert person["id_number"] not in str(mismatch) and person["id_number"] not in caplog.text


async def test_keys_are_checked_scoped_and_can_be_revoked_expired_or_rotated(client):
    agency = await f.agency()
    key = await _key(agency)
    item = lambda: [_penalty(f.unique("K"), f.new_uscc())]  # noqa: E731
    for header in (None, "Basic abc", f"Bearer {key}x", "Bearer zxk_nothere_abc"):
        response = await client.post(
            "/api/v1/agency/records", json={"items": item()}, headers={"authorization": header} if header else {}
        )
        assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"
        assert response.headers.get("www-authenticate") == "Bearer"
    assert (await _push(client, key, item())).status_code == 200
    assert (await _push(client, key, [])).status_code == 400
    assert (await _push(client, key, item() * 501)).status_code == 400

    new_key, _ = await keys.rotate_key(
        (await ApiKey.select(ApiKey.id).where(ApiKey.agency == agency["id"]).first())["id"], "test"
    )
    assert (await _push(client, new_key, item())).status_code == 200
    assert (await _push(client, key, item())).status_code == 200  # the overlap lets the system switch
    await ApiKey.update({ApiKey.expires_at: datetime.now(timezone.utc) - timedelta(seconds=1)}).where(
        ApiKey.secret_sha256 == keys._digest(key)
    )
    assert (await _push(client, key, item())).status_code == 401  # expired
    row = await ApiKey.select(ApiKey.id).where(ApiKey.secret_sha256 == keys._digest(new_key)).first()
    assert await keys.revoke_key(row["id"], "系统更换")
    assert (await _push(client, new_key, item())).status_code == 401  # revoked, at once
    with pytest.raises(keys.ApiKeyError):
        await keys.create_key(agency["code"], ["no_such"], "x", "test")
    with pytest.raises(keys.ApiKeyError):
        await keys.create_key(agency["code"], [], "x", "test")
    listed = await keys.keys_of(agency["id"])
    assert {k["state"] for k in listed} == {"expired", "revoked"} and all("secret_sha256" not in k for k in listed)


async def test_reconcile_lists_what_the_agency_reported_since(client):
    agency, other = await f.agency(), await f.agency()
    key, other_key = await _key(agency), await _key(other)
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    refs = [f.unique("R") for _ in range(3)]
    await _push(client, key, [_penalty(r, f.new_uscc()) for r in refs])
    await _push(client, other_key, [_penalty(f.unique("O"), f.new_uscc())])
    await _push(client, key, [{"action": "revoke", "record_id": refs[0], "reason": "撤销"}])
    page = await client.get(
        "/api/v1/agency/records", params={"since": before.isoformat()}, headers={"authorization": f"Bearer {key}"}
    )
    assert page.status_code == 200, page.text
    got = {r["record_id"]: r for r in page.json()["items"]}
    assert set(got) == set(refs)  # only its own
    assert got[refs[0]]["status"] == "revoked" and got[refs[0]]["version"] == 2
    later = await client.get(
        "/api/v1/agency/records",
        params={"since": (datetime.now(timezone.utc) + timedelta(minutes=1)).isoformat()},
        headers={"authorization": f"Bearer {key}"},
    )
    assert later.json()["items"] == []
    # A GET changes nothing, not even the key's last use (DESIGN rule 7); a push notes it.
    row = ApiKey.select(ApiKey.last_used_at).where(ApiKey.secret_sha256 == keys._digest(key))
    used = (await row.first())["last_used_at"]
    await client.get(
        "/api/v1/agency/records", params={"since": before.isoformat()}, headers={"authorization": f"Bearer {key}"}
    )
    assert (await row.first())["last_used_at"] == used


def test_create_api_key_command_prints_a_working_key_once():
    import asyncio

    async def make_agency() -> dict:
        from piccolo_conf import DB

        try:
            return await f.agency()
        finally:
            if hasattr(DB, "close_pool"):
                await DB.close_pool()

    agency = asyncio.run(make_agency())
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "portal",
            "create-api-key",
            "--agency",
            agency["code"],
            "--categories",
            "penalty,license",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    key = next(line for line in done.stdout.splitlines() if line.startswith("zxk_"))
    assert "penalty" in done.stdout and "license" in done.stdout

    async def check() -> keys.KeyHolder | None:
        from piccolo_conf import DB

        try:
            return await keys.authenticate(f"Bearer {key}")
        finally:
            if hasattr(DB, "close_pool"):
                await DB.close_pool()

    holder = asyncio.run(check())
    assert holder is not None and holder.agency_code == agency["code"] and holder.categories == {"penalty", "license"}
    bad = subprocess.run(
        [sys.executable, "-m", "portal", "create-api-key", "--agency", "NO-SUCH", "--categories", "penalty"],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and "没有代码为 NO-SUCH 的在用部门" in bad.stderr


async def test_unknown_fields_are_named_not_dropped(client):
    agency = await f.agency()
    key = await _key(agency)
    item = _penalty(f.unique("U"), f.new_uscc(), remarks="备注")
    item["penalty"] = {**item["penalty"], "extra": "x"}
    item["subject"] = {**item["subject"], "phone": "13800000000"}
    result = (await _push(client, key, [item])).json()["results"][0]
    assert result["status"] == "rejected"
    fields = {(e["field"], e["code"]) for e in result["errors"]}
    assert fields == {
        ("remarks", "unknown_field"),
        ("penalty.extra", "unknown_field"),
        ("subject.phone", "unknown_field"),
    }
    assert "13800000000" not in str(result)


def _person_item(person: dict, **over) -> dict:
    item = {
        "action": "create",
        "record_id": f.unique("F"),
        "subject": {"kind": "natural", "name": person["name"], "id_number": person["id_number"]},
        "record_type": "general",
        "category": "person_negative",
        "disclosure_class": "B",
        "title": "失信提示信息（推送）",
        "decision_date": (today_cn() - timedelta(days=1)).isoformat(),
    }
    item.update(over)
    return item


async def test_forbidden_data_is_refused_on_every_field_and_never_kept(client, caplog):
    """R-09: by field name and by content; income and the like only with a written-consent reference;
    the refused value is in no response, no row and no log line."""
    agency = await f.agency()
    key = await _key(agency, categories=("person_negative", "penalty"))
    person = await f.natural_subject("孙禁采")
    secret_income = "月收入九千三百元"
    items = [
        _person_item(person, 宗教信仰="某宗教"),
        _person_item(person, content="经查该人血型为AB型"),
        _person_item(person, content=f"当事人{secret_income}，拖欠货款"),
        _person_item(person, content=f"当事人{secret_income}，拖欠货款", consent_ref="郑信同意〔2026〕15号"),
        _person_item(person, content=f"当事人{secret_income}", consent_ref="同意"),
        _penalty(f.unique("L"), f.new_uscc(), blood_type="A"),
    ]
    body = (await _push(client, key, items)).json()
    by_index = {r["index"]: r for r in body["results"]}
    assert (
        by_index[0]["errors"][0]["code"] == "forbidden_field:religion"
        and "第九条" in by_index[0]["errors"][0]["message"]
    )
    assert by_index[1]["errors"][0]["code"] == "forbidden_content:blood_type"
    assert by_index[2]["errors"][0]["code"] == "forbidden_content:income"
    assert by_index[3]["status"] == "created"  # with the subject's written consent (R-09 三)
    assert {e["code"] for e in by_index[4]["errors"]} >= {"consent_invalid"}
    assert by_index[5]["errors"][0]["code"] == "forbidden_field:blood_type"  # a legal person's item too
    text = str(body)
    for value in ("某宗教", "AB型", "九千三百"):
        assert value not in text and value not in caplog.text
    stored = await CreditRecord.select(CreditRecord.content, CreditRecord.consent_ref).where(
        CreditRecord.provider == agency["id"]
    )
    assert [r["consent_ref"] for r in stored] == ["郑信同意〔2026〕15号"]  # only the consented one is kept
    assert not any("AB型" in r["content"] for r in stored)
    # A correction is checked too, against the stored subject (a natural person: content is scanned).
    fix = {"action": "correct", "record_id": items[3]["record_id"], "content": "补充：患有高血压", "reason": "补充"}
    refused = (await _push(client, key, [fix])).json()["results"][0]
    assert refused["status"] == "rejected" and refused["errors"][0]["code"].startswith("forbidden_content:")
    # A revocation's reason likewise: group 三 with the consent reference the item carries, never 二.
    revoke = {"action": "revoke", "record_id": items[3]["record_id"], "consent_ref": "郑信同意〔2026〕15号"}
    sick = (await _push(client, key, [revoke | {"reason": "当事人患有高血压"}])).json()["results"][0]
    assert sick["status"] == "rejected" and sick["errors"][0]["code"].startswith("forbidden_content:")
    done = (await _push(client, key, [revoke | {"reason": f"经核实当事人{secret_income}，已结清"}])).json()
    assert done["results"][0]["status"] == "revoked"


async def test_the_catalogue_decides_the_class_and_the_default_publicity(client):
    """80号 第二十六条: a provider's class is checked against the shared indicator catalogue, and a
    penalty without its own 公示截止期 gets the catalogue's publicity period."""
    from portal.catalogue import service as catalogue

    agency = await f.agency()
    key = await _key(agency, categories=("penalty", "person_negative"))
    person = await f.natural_subject("周目录")
    public_person = _person_item(person, disclosure_class="A")  # a person's 失信提示 is never public
    no_end = _penalty(f.unique("E"), f.new_uscc())
    no_end.pop("publicity_end")
    body = (await _push(client, key, [public_person, no_end])).json()
    refused, created = body["results"]
    assert refused["status"] == "rejected" and refused["errors"][0]["code"] == "class_not_allowed"
    assert created["status"] == "created"
    row = (
        await CreditRecord.select(CreditRecord.decision_date, CreditRecord.publicity_end)
        .where(CreditRecord.provider_ref == no_end["record_id"])
        .first()
    )
    entry = await catalogue.entry("penalty")
    assert row["publicity_end"] == catalogue.publicity_end(entry, row["decision_date"]) and row["publicity_end"]
    # A reclassification by correction is checked the same way.
    to_a = {"action": "correct", "record_id": refused["record_id"], "disclosure_class": "A", "reason": "x"}
    ok = _person_item(person)
    await _push(client, key, [ok])
    to_a["record_id"] = ok["record_id"]
    again = (await _push(client, key, [to_a])).json()["results"][0]
    assert again["status"] == "rejected" and again["errors"][0]["code"] == "class_not_allowed"


async def test_a_body_nested_too_deeply_is_a_400_not_a_500(client):
    """Thousands of brackets make the JSON decoder recurse past Python's limit (RecursionError)."""
    key = await _key(await f.agency())
    body = '{"items":[' + "[" * 5000 + "]" * 5000 + "]}"
    response = await client.post(
        "/api/v1/agency/records",
        content=body,
        headers={"authorization": f"Bearer {key}", "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == {"code": "bad_request", "message": "请求内容的嵌套层数过多"}
