"""An objection answered with 更正 is checked by the same item rules as every other correction path
(R-11, R-12, R-23): a refused correction leaves the objection in its stage and the record as it was,
and the officer sees the reason beside the field of the answer form."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from portal.accounts.tables import Role
from portal.lib.dates import today_cn
from portal.objections.tables import Objection, ObjectionStep
from portal.records import service as records
from portal.records.tables import CreditRecord, RecordChange
from tests import factories as f
from tests.queryflow import csrf, logged_in, verified_account

pytestmark = pytest.mark.anyio
DECIDED = date(2025, 6, 1)


async def _forwarded(app, *, natural: bool = False) -> dict:
    """A class-A record objected to by its subject online and forwarded by staff to the provider."""
    agency = await f.agency()
    subject = await (f.natural_subject("赵异议") if natural else f.legal_subject())
    record_id = await f.record(
        subject["id"],
        agency["id"],
        category="person_negative" if natural else "tax_violation",
        polarity="negative",
        title="未按期申报纳税",
        decision_date=DECIDED,
    )
    owner = await verified_account(Role.CITIZEN if natural else Role.ENTERPRISE, subject["id"])
    officer = await f.account(Role.AGENCY, agency_id=agency["id"])
    staff = await f.account(Role.STAFF)
    if natural:  # a person's record is not public: filed at the counter as a written objection
        objection_id = (await f.objection_row(subject_id=subject["id"], agency_id=agency["id"], record_id=record_id))[
            "id"
        ]
    else:
        async with logged_in(app, owner) as client:
            filed = await client.post(
                "/me/objections",
                data={"_csrf_token": csrf(client), "record": str(record_id), "statement": "申报记录有误"},
                follow_redirects=False,
            )
            assert filed.status_code == 303, filed.text[:300]
            objection_id = int(re.search(r"/objections/(\d+)", filed.headers["location"]).group(1))
    async with logged_in(app, staff) as client:
        forwarded = await client.post(
            f"/staff/objections/{objection_id}/forward", data={"_csrf_token": csrf(client)}, follow_redirects=False
        )
        assert forwarded.status_code == 303
    return {"record": record_id, "objection": objection_id, "officer": officer}


async def _answer(app, case: dict, **fields):
    async with logged_in(app, case["officer"]) as client:
        data = {"_csrf_token": csrf(client), "outcome": "corrected", "reason": "经核查决定日期录入有误", **fields}
        return await client.post(f"/agency/objections/{case['objection']}/answer", data=data, follow_redirects=False)


def _beside(html: str, field: str) -> str:
    """The error text rendered under the answer form's field."""
    found = re.search(rf'<p id="e-fix-{field}"[^>]*>(.*?)</p>', html, re.S)
    assert found, f"no error element for {field}"
    return found.group(1)


async def _untouched(case: dict) -> None:
    record = await CreditRecord.select().where(CreditRecord.id == case["record"]).first()
    assert (record["decision_date"], record["title"], record["version"]) == (DECIDED, "未按期申报纳税", 1)
    assert await RecordChange.count().where(RecordChange.record == case["record"]) == 0
    objection = await Objection.select().where(Objection.id == case["objection"]).first()
    assert objection["stage"] == "forwarded" and not objection["outcome"] and objection["answered_on"] is None
    steps = await ObjectionStep.select(ObjectionStep.action).where(ObjectionStep.objection == case["objection"])
    assert "answered" not in {s["action"] for s in steps}


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"decision_date": "2099-01-01"}, "decision_date", "决定日期不能晚于今天"),
        ({"decision_date": "2025-13-01"}, "decision_date", "决定日期应为日期，格式 YYYY-MM-DD"),
        ({"title": "名" * 201}, "title", "信息名称不能超过200字"),
    ],
)
async def test_a_correction_the_item_rules_refuse_changes_nothing_and_is_shown_beside_the_field(
    app, fields, field, message
):
    case = await _forwarded(app)
    refused = await _answer(app, case, **fields)
    assert refused.status_code == 400
    assert message in _beside(refused.text, field)
    assert 'aria-invalid="true"' in re.search(rf'<[^>]*id="fix-{field}"[^>]*>', refused.text).group(0)
    await _untouched(case)
    # Put right, the same answer goes through and the record changes through its history.
    fixed = await _answer(app, case, decision_date=(today_cn() - timedelta(days=1)).isoformat())
    assert fixed.status_code == 303
    record = await CreditRecord.select().where(CreditRecord.id == case["record"]).first()
    assert record["decision_date"] == today_cn() - timedelta(days=1) and record["version"] == 2


async def test_forbidden_content_in_a_persons_corrected_record_is_refused(app):
    """R-09: a natural person's corrected content is scanned as on every collection path."""
    case = await _forwarded(app, natural=True)
    refused = await _answer(app, case, content="经查该人血型为AB型")
    assert refused.status_code == 400 and "第九条" in _beside(refused.text, "content")
    await _untouched(case)
    stored = await CreditRecord.select(CreditRecord.content).where(CreditRecord.id == case["record"]).first()
    assert "AB型" not in stored["content"]


async def test_the_records_service_itself_refuses_what_the_item_rules_refuse():
    """One place decides: no caller of ``correct_record`` can skip the rules."""
    agency = await f.agency()
    person = await f.natural_subject("钱更正")
    record_id = await f.record(person["id"], agency["id"], category="person_negative", polarity="negative")
    cases = [
        ({"decision_date": date(2099, 1, 1)}, "决定日期不能晚于今天"),
        ({"title": ""}, "请填写信息名称"),
        ({"publicity_end": DECIDED - timedelta(days=1)}, "公示截止日期不能早于决定日期"),
        ({"category": "tax_violation"}, "该类别只用于法人和其他组织"),
        ({"content": "当事人患有高血压"}, "第九条"),
    ]
    for changes, message in cases:
        with pytest.raises(records.RecordError) as refused:
            await records.correct_record(record_id, changes, "test", "核查更正")
        assert message in str(refused.value), changes
    assert await records.history(record_id) == []
    row = await CreditRecord.select().where(CreditRecord.id == record_id).first()
    assert (row["decision_date"], row["version"]) == (DECIDED, 1)


async def test_the_desk_correction_form_says_the_same(client):
    agency = await f.agency()
    user = await f.account("agency", agency_id=agency["id"])
    assert (await f.login(client, user["username"])).status_code == 303
    subject = await f.legal_subject()
    record_id = await f.record(subject["id"], agency["id"], decision_date=DECIDED)
    await CreditRecord.update({CreditRecord.provider_ref: f.unique("D")}).where(CreditRecord.id == record_id)
    refused = await client.post(
        f"/agency/records/{record_id}/correct",
        data={"_csrf_token": client.cookies.get("csrftoken"), "decision_date": "2099-01-01", "reason": "日期有误"},
    )
    assert refused.status_code == 400 and "决定日期不能晚于今天" in refused.text
    row = await CreditRecord.select().where(CreditRecord.id == record_id).first()
    assert (row["decision_date"], row["version"]) == (DECIDED, 1)


async def test_a_revocations_reason_is_scanned_on_every_path(app):
    """R-09: the reason of a revocation is kept in the record's history; an objection's 撤销 answer
    and any other caller of ``revoke_record`` are refused as a pushed revocation is."""
    case = await _forwarded(app, natural=True)
    refused = await _answer(app, case, outcome="revoked", reason="经查当事人患有糖尿病，予以撤销")
    assert refused.status_code == 400 and "第九条" in refused.text
    await _untouched(case)
    with pytest.raises(records.RecordError) as direct:
        await records.revoke_record(case["record"], "test", "当事人血型为AB型")
    assert "第九条" in str(direct.value) and await records.history(case["record"]) == []
    assert (await _answer(app, case, outcome="revoked", reason="经核查该处罚已被复议撤销")).status_code == 303
    row = await CreditRecord.select(CreditRecord.status).where(CreditRecord.id == case["record"]).first()
    assert row["status"] == "revoked"
