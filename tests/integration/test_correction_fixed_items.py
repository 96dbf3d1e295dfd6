"""A correction changes the record's own items only (R-11): a correction that would change the
subject or the licence / penalty details is refused naming those items — never applied in part,
never counted as unchanged — on the Excel upload and the push API alike (R-12). A row that repeats
them as stored (a re-uploaded row) is a correction like any other."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from portal.ingest import keys
from portal.ingest.tables import ImportStatus
from portal.lib.dates import today_cn
from portal.records.tables import CreditRecord, LicenseDetail, RecordChange
from portal.subjects.tables import Subject
from tests import factories as f
from tests.integration.test_xlsx_upload import _filled, _imported, _officer, _penalty_row, _template

pytestmark = pytest.mark.anyio
NAME = "郑州更正测试建材有限公司"
CONTENT = "建筑工程施工总承包三级"


def _license_row(ref: str, uscc: str, **over) -> dict:
    today = today_cn()
    row = {
        "操作": "新增",
        "记录编号": ref,
        "行政相对人类别": "法人及非法人组织",
        "行政相对人名称": NAME,
        "统一社会信用代码": uscc,
        "行政许可决定文书号": f"郑审批〔2026〕{ref}号",
        "项目名称": "建筑业企业资质",
        "审批类别": "普通",
        "许可内容": CONTENT,
        "许可决定日期": today - timedelta(days=3),
        "有效期自": today - timedelta(days=3),
        "有效期至": today + timedelta(days=900),
        "许可机关": "郑州市行政审批局",
        "信息名称": "建筑业企业资质核准",
        "信息类别代码": "license",
        "公开类别": "A",
        "公示截止期": today + timedelta(days=365),
    }
    row.update(over)
    return row


async def _record(agency_id: int, ref: str) -> dict:
    return (
        await CreditRecord.select(
            CreditRecord.id, CreditRecord.title, CreditRecord.version, CreditRecord.subject.uscc.as_alias("uscc")
        )
        .where((CreditRecord.provider == agency_id) & (CreditRecord.provider_ref == ref))
        .first()
    )


async def _licence_content(record_id: int) -> str:
    return (await LicenseDetail.select().where(LicenseDetail.record == record_id).first())["license_content"]


async def test_an_excel_correction_that_changes_the_subject_or_the_details_is_refused_naming_them(client):
    agency = await _officer(client)
    uscc, other = f.new_uscc(), f.new_uscc()
    moved, detailed, retitled = f.unique("M"), f.unique("D"), f.unique("T")
    rows = [_license_row(r, uscc) for r in (moved, detailed, retitled)]
    created = await _imported(client, _filled(await _template(client, "license"), rows))
    assert created["created"] == 3
    fix = {"操作": "更正", "更正或撤销原因": "报送有误"}
    rows = [
        _license_row(moved, other, **fix, **{"行政相对人名称": "郑州另一家建材有限公司"}),
        _license_row(detailed, uscc, **fix, **{"许可内容": "建筑工程施工总承包二级", "信息名称": "资质核准（更正）"}),
        # The whole row again, the company written by its former name: the code identifies a legal
        # person, and its name as written is ignored, as on 新增.
        _license_row(
            retitled, uscc, **fix, **{"信息名称": "建筑业企业资质核准（更正）", "行政相对人名称": "郑州旧名建材厂"}
        ),
    ]
    job = await _imported(client, _filled(await _template(client, "license"), rows))
    assert (job["status"], job["corrected"], job["unchanged"], job["rejected"]) == (ImportStatus.DONE, 1, 0, 2)

    download = await client.get(f"/agency/uploads/{job['id']}/rejected.xlsx")
    ws = load_workbook(io.BytesIO(download.content)).worksheets[0]
    header = [c.value for c in ws[1]]
    body = [dict(zip(header, v)) for v in ws.iter_rows(min_row=2, values_only=True)]
    reasons = {r["记录编号"]: r["错误原因"] for r in body}
    assert set(reasons) == {moved, detailed}
    assert reasons[moved].startswith("更正不能修改：") and "请撤销后重新报送" in reasons[moved]
    assert "统一社会信用代码" in reasons[moved] and "行政相对人名称" not in reasons[moved]
    assert "许可内容" not in reasons[moved]
    assert "许可内容" in reasons[detailed] and "统一社会信用代码" not in reasons[detailed]

    # Nothing of a refused row is applied: not the subject, not the detail, not the title beside it.
    first = await _record(agency["id"], moved)
    assert (first["uscc"], first["version"]) == (uscc, 1)
    assert await Subject.count().where(Subject.uscc == other) == 0
    second = await _record(agency["id"], detailed)
    assert (second["title"], second["version"]) == ("建筑业企业资质核准", 1)
    assert await _licence_content(second["id"]) == CONTENT
    third = await _record(agency["id"], retitled)
    assert (third["title"], third["version"]) == ("建筑业企业资质核准（更正）", 2)


async def test_a_penalty_row_uploaded_again_as_a_correction_compares_amounts_and_dates_as_stored(client):
    agency = await _officer(client)
    uscc, ref = f.new_uscc(), f.unique("P")
    row = _penalty_row(ref, uscc, **{"没收违法所得金额（万元）": "12", "处罚依据": "《安全生产法》第九十九条"})
    assert (await _imported(client, _filled(await _template(client), [row])))["created"] == 1
    again = row | {"操作": "更正", "信息名称": "未按规定设置安全警示标志（更正）", "更正或撤销原因": "标题有误"}
    fined = row | {"操作": "更正", "罚款金额（万元）": 0.8, "更正或撤销原因": "金额有误"}
    job = await _imported(client, _filled(await _template(client), [again]))
    assert (job["corrected"], job["rejected"]) == (1, 0)
    job = await _imported(client, _filled(await _template(client), [fined]))
    assert (job["corrected"], job["rejected"]) == (0, 1)
    record = await _record(agency["id"], ref)
    assert (record["title"], record["version"]) == ("未按规定设置安全警示标志（更正）", 2)


async def test_the_push_api_refuses_the_same_corrections_and_takes_a_full_item_repeated(client):
    agency = await f.agency()
    key, _ = await keys.create_key(agency["code"], ("license",), "审批系统", "test")
    uscc = f.new_uscc()
    today = today_cn()
    refs = [f.unique("A") for _ in range(3)]

    def item(ref: str) -> dict:
        return {
            "action": "create",
            "record_id": ref,
            "subject": {"kind": "legal", "uscc": uscc, "name": NAME},
            "record_type": "license",
            "category": "license",
            "disclosure_class": "A",
            "title": "建筑业企业资质核准",
            "decision_date": (today - timedelta(days=3)).isoformat(),
            "license": {
                "project_name": "建筑业企业资质",
                "approval_category": "普通",
                "license_content": CONTENT,
                "authority": "郑州市行政审批局",
            },
        }

    async def push(items) -> list[dict]:
        response = await client.post(
            "/api/v1/agency/records", json={"items": items}, headers={"authorization": f"Bearer {key}"}
        )
        assert response.status_code == 200, response.text
        return response.json()["results"]

    assert [r["status"] for r in await push([item(r) for r in refs])] == ["created"] * 3

    def correction(ref: str, **over) -> dict:
        fixed = item(ref) | {"action": "correct", "reason": "报送有误"}
        fixed.pop("category")  # unchanged items may be repeated or left out
        return fixed | over

    moved = correction(refs[0], subject={"kind": "legal", "uscc": f.new_uscc(), "name": "郑州另一家建材有限公司"})
    detailed = correction(refs[1], title="资质核准（更正）")
    detailed["license"] = {**detailed["license"], "license_content": "建筑工程施工总承包二级"}
    retitled = correction(refs[2], title="建筑业企业资质核准（更正）")
    retitled["subject"] = {**retitled["subject"], "name": "郑州旧名建材厂"}  # ignored for a legal person
    results = await push([moved, detailed, retitled])
    assert [r["status"] for r in results] == ["rejected", "rejected", "corrected"]
    first, second = results[0]["errors"], results[1]["errors"]
    assert [e["code"] for e in first] == ["not_correctable"] and [e["code"] for e in second] == ["not_correctable"]
    assert "统一社会信用代码" in first[0]["message"] and "行政相对人名称" not in first[0]["message"]
    assert "许可内容" in second[0]["message"] and "请撤销后重新报送" in second[0]["message"]
    stored = {r: await _record(agency["id"], r) for r in refs}
    assert stored[refs[0]]["uscc"] == uscc and stored[refs[0]]["version"] == 1
    assert stored[refs[1]]["title"] == "建筑业企业资质核准" and await _licence_content(stored[refs[1]]["id"]) == CONTENT
    assert await RecordChange.count().where(RecordChange.record.is_in([stored[r]["id"] for r in refs[:2]])) == 0
    assert stored[refs[2]]["version"] == 2


async def test_a_persons_changed_id_number_is_named_never_echoed(client):
    agency = await f.agency()
    key, _ = await keys.create_key(agency["code"], ("person_negative",), "办案系统", "test")
    person = await f.natural_subject("孙更正")
    ref = f.unique("N")
    base = {
        "record_id": ref,
        "subject": {"kind": "natural", "name": person["name"], "id_number": person["id_number"]},
        "title": "失信提示信息",
        "disclosure_class": "B",
    }
    headers = {"authorization": f"Bearer {key}"}
    create = base | {
        "action": "create",
        "record_type": "general",
        "category": "person_negative",
        "decision_date": (today_cn() - timedelta(days=1)).isoformat(),
    }
    assert (await client.post("/api/v1/agency/records", json={"items": [create]}, headers=headers)).json()[
        "created"
    ] == 1
    other = f.new_id_number()
    fix = base | {"action": "correct", "reason": "身份有误", "title": "失信提示信息（更正）"}
    fix["subject"] = {**base["subject"], "id_number": other}
    body = (await client.post("/api/v1/agency/records", json={"items": [fix]}, headers=headers)).json()
    result = body["results"][0]
    assert result["status"] == "rejected" and "公民身份号码" in result["errors"][0]["message"]
    assert other not in str(body) and person["id_number"] not in str(body)
    row = await _record(agency["id"], ref)
    assert (row["title"], row["version"]) == ("失信提示信息", 1)
