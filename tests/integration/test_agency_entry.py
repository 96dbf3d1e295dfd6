"""逐条录入 and the records desk (R-11, R-12): an officer enters one record through the form, checked
field by field by the shared rules, and corrects or revokes its own agency's records with history."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from portal.ingest.tables import IngestBatch
from portal.lib.dates import today_cn
from portal.records.tables import CreditRecord, RecordChange
from tests import factories as f

pytestmark = pytest.mark.anyio


async def _officer(client, agency: dict | None = None) -> dict:
    agency = agency or await f.agency()
    officer = await f.account("agency", agency_id=agency["id"])
    assert (await f.login(client, officer["username"])).status_code == 303
    return agency


def _penalty_form(client, ref: str, uscc: str, **over) -> dict:
    today = today_cn()
    form = {
        "_csrf_token": client.cookies.get("csrftoken"),
        "record_id": ref,
        "subject.kind": "legal",
        "subject.uscc": uscc,
        "subject.name": "郑州录入测试商贸有限公司",
        "subject.id_number": "",
        "category": "penalty",
        "disclosure_class": "A",
        "polarity": "",
        "title": f"未按规定公示年度报告（录入{ref}）",
        "content": "",
        "doc_number": f"郑市监罚〔2026〕{ref}号",
        "decision_date": (today - timedelta(days=1)).isoformat(),
        "publicity_end": (today + timedelta(days=365)).isoformat(),
        "penalty.violation_type": "未按规定公示",
        "penalty.violation_facts": "逾期未公示年度报告",
        "penalty.legal_basis": "",
        "penalty.penalty_category": "警告",
        "penalty.penalty_content": "",
        "penalty.license_action": "",
        "penalty.authority": "郑州市市场监督管理局",
        "penalty.fine_amount": "",
        "penalty.confiscated_amount": "",
        "penalty.valid_to": "",
        "consent_ref": "",
    }
    form.update(over)
    return form


def _validate(client, record_type: str, form: dict, field: str):
    headers = {"HX-Request": "true", "HX-Trigger-Name": field, "x-csrftoken": client.cookies.get("csrftoken")}
    return client.post(f"/agency/entry/{record_type}/validate", data=form, headers=headers)


def _error_of(html: str, field: str) -> str:
    found = re.search(rf'<p id="e-{re.escape(field.replace(".", "-"))}"[^>]*>(.*?)</p>', html, re.S)
    assert found, f"no error element for {field}"
    return found.group(1).strip()


async def test_a_penalty_entered_through_the_form_appears_on_the_public_profile(client):
    agency = await _officer(client)
    assert (await client.get("/agency/entry")).status_code == 200
    page = await client.get("/agency/entry/penalty")
    assert page.status_code == 200
    for name in ("subject.uscc", "penalty.authority", "record_id", "decision_date", "consent_ref"):
        assert f'name="{name}"' in page.text
    assert 'value="person_penalty"' in page.text and 'value="license"' not in page.text  # valid categories only
    uscc, ref = f.new_uscc(), f.unique("E")
    done = await client.post("/agency/entry/penalty", data=_penalty_form(client, ref, uscc))
    assert done.status_code == 200, done.text[:500]
    assert "已登记" in done.text and f'href="/subjects/{uscc}"' in done.text
    profile = await client.get(f"/subjects/{uscc}/penalty")
    assert profile.status_code == 200 and f"未按规定公示年度报告（录入{ref}）" in profile.text
    row = await CreditRecord.select().where(CreditRecord.provider_ref == ref).first()
    assert row["provider"] == agency["id"] and row["channel"] == "entry" and row["polarity"] == "negative"
    batch = await IngestBatch.select().where(IngestBatch.agency == agency["id"]).first()
    assert batch["channel"] == "entry" and batch["created"] == 1 and batch["account"] is not None


async def test_inline_validation_names_a_wrong_uscc_and_is_silent_for_a_good_field(client):
    await _officer(client)
    good = f.new_uscc()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    form = _penalty_form(client, f.unique("E"), bad)
    wrong = await _validate(client, "penalty", form, "subject.uscc")
    assert wrong.status_code == 200
    assert "校验" in _error_of(wrong.text, "subject.uscc")
    assert 'aria-invalid="true"' in wrong.text and 'aria-describedby="e-subject-uscc' in wrong.text
    assert f'value="{bad}"' in wrong.text  # the field is swapped whole, what was typed kept
    fine = await _validate(client, "penalty", form, "penalty.authority")
    assert _error_of(fine.text, "penalty.authority") == "" and "aria-invalid" not in fine.text
    ok = await _validate(client, "penalty", _penalty_form(client, f.unique("E"), good), "subject.uscc")
    assert _error_of(ok.text, "subject.uscc") == ""
    future = (today_cn() + timedelta(days=3)).isoformat()
    late = await _validate(client, "penalty", {**form, "decision_date": future}, "decision_date")
    assert _error_of(late.text, "decision_date") == "决定日期不能晚于今天"
    assert (await _validate(client, "penalty", form, "no.such.field")).status_code == 400
    assert await CreditRecord.count().where(CreditRecord.subject.uscc == bad) == 0  # validating records nothing


async def test_a_wrong_id_check_digit_is_named_without_echoing_the_number(client):
    await _officer(client)
    number = f.new_id_number()
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    form = _penalty_form(
        client,
        f.unique("E"),
        "",
        **{
            "subject.kind": "natural",
            "subject.name": "王录入",
            "subject.id_number": wrong,
            "category": "person_penalty",
        },
    )
    inline = await _validate(client, "penalty", form, "subject.id_number")
    assert "校验" in _error_of(inline.text, "subject.id_number") and wrong not in inline.text
    refused = await client.post("/agency/entry/penalty", data=form)
    assert refused.status_code == 400
    assert "校验" in _error_of(refused.text, "subject.id_number") and wrong not in refused.text
    assert 'value="王录入"' in refused.text  # the rest of the form is kept
    assert re.search(r'id="f-subject-id_number"[^>]*aria-invalid="true"', refused.text)
    assert await CreditRecord.count().where(CreditRecord.provider_ref == form["record_id"]) == 0


async def test_a_duplicate_record_number_is_refused_beside_the_field(client):
    await _officer(client)
    uscc, ref = f.new_uscc(), f.unique("E")
    assert (await client.post("/agency/entry/penalty", data=_penalty_form(client, ref, uscc))).status_code == 200
    again = await client.post("/agency/entry/penalty", data=_penalty_form(client, ref, uscc, title="另一条处罚"))
    assert again.status_code == 400
    assert "已报送过" in _error_of(again.text, "record_id") and 'value="另一条处罚"' in again.text
    assert await CreditRecord.count().where(CreditRecord.provider_ref == ref) == 1


async def _entered(client, agency: dict) -> tuple[dict, str]:
    uscc, ref = f.new_uscc(), f.unique("E")
    assert (await client.post("/agency/entry/penalty", data=_penalty_form(client, ref, uscc))).status_code == 200
    return await CreditRecord.select().where(CreditRecord.provider_ref == ref).first(), uscc


async def test_correct_and_revoke_from_the_desk_keep_history(client):
    agency = await _officer(client)
    record, uscc = await _entered(client, agency)
    listing = await client.get("/agency/records", params={"q": record["provider_ref"]})
    assert listing.status_code == 200 and f'href="/agency/records/{record["id"]}"' in listing.text
    assert f'/agency/records/{record["id"]}"' in (await client.get("/agency/records", params={"q": "年度报告"})).text
    page = await client.get(f"/agency/records/{record['id']}")
    assert page.status_code == 200 and "提交更正" in page.text
    token = client.cookies.get("csrftoken")
    url = f"/agency/records/{record['id']}"

    no_reason = await client.post(f"{url}/correct", data={"_csrf_token": token, "title": "改后的标题"})
    assert no_reason.status_code == 400 and "原因" in _error_of(no_reason.text, "correct.reason")
    fixed = await client.post(
        f"{url}/correct",
        data={"_csrf_token": token, "title": "未按规定公示年度报告（已更正）", "reason": "标题录入错误"},
        follow_redirects=False,
    )
    assert fixed.status_code == 303 and fixed.headers["location"] == f"{url}?done=corrected"
    assert "（已更正）" in (await client.get(f"/subjects/{uscc}/penalty")).text
    gone = await client.post(
        f"{url}/revoke", data={"_csrf_token": token, "reason": "处罚决定已撤销"}, follow_redirects=False
    )
    assert gone.status_code == 303
    assert "未按规定公示年度报告" not in (await client.get(f"/subjects/{uscc}/penalty")).text
    history = await RecordChange.select().where(RecordChange.record == record["id"]).order_by(RecordChange.version)
    assert [h["action"] for h in history] == ["correct", "revoke"]
    assert [h["reason"] for h in history] == ["标题录入错误", "处罚决定已撤销"]
    after = await client.get(url)
    assert "标题录入错误" in after.text and "已撤销" in after.text and "提交更正" not in after.text


async def test_another_agency_cannot_see_or_change_the_record(client, app):
    from litestar.testing import AsyncTestClient

    agency = await _officer(client)
    record, uscc = await _entered(client, agency)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as other:
        await _officer(other)
        token = other.cookies.get("csrftoken")
        url = f"/agency/records/{record['id']}"
        assert (await other.get(url)).status_code == 404
        assert record["title"] not in (await other.get("/agency/records", params={"q": record["provider_ref"]})).text
        for action, data in (("correct", {"title": "他人改的", "reason": "x"}), ("revoke", {"reason": "x"})):
            assert (await other.post(f"{url}/{action}", data={"_csrf_token": token, **data})).status_code == 404
        # The same record number entered by another agency is its own record, not a change of this one.
        again = await other.post("/agency/entry/penalty", data=_penalty_form(other, record["provider_ref"], uscc))
        assert again.status_code == 200
    current = await CreditRecord.select().where(CreditRecord.id == record["id"]).first()
    assert current["version"] == 1 and current["status"] == "in_force"
    assert await RecordChange.count().where(RecordChange.record == record["id"]) == 0
