"""R-11: a provider's corrections and the centre's revocations keep every earlier version."""

from __future__ import annotations

import json
from datetime import date

import pytest

from portal.publication import service as publication
from portal.records import service
from tests import factories as f

pytestmark = pytest.mark.anyio


async def test_corrections_keep_history_and_revocation_hides_record():
    provider = await f.agency()
    subject = await f.legal_subject()
    record_id = await f.record(subject["id"], provider["id"], title="原标题", decision_date=date(2025, 1, 2))
    assert await service.correct_record(record_id, {"title": "更正后的标题"}, "agency-officer", "文号录入错误") == 2
    assert await service.correct_record(record_id, {"disclosure_class": "B"}, "staff", "按目录调整为部门共享") == 3
    changes = await service.history(record_id)
    assert [c["version"] for c in changes] == [1, 2]
    assert [c["action"] for c in changes] == ["correct", "reclassify"]
    first = changes[0]["snapshot"]
    first = json.loads(first) if isinstance(first, str) else first
    assert first["title"] == "原标题" and first["disclosure_class"] == "A"
    # Reclassified to B: gone from the public profile.
    page = await publication.subject_records(subject["id"], "positive")
    assert all(r["id"] != record_id for r in page.items)


async def test_revoked_record_is_no_longer_public_and_cannot_change_again():
    provider = await f.agency()
    subject = await f.legal_subject()
    record_id = await f.record(subject["id"], provider["id"], title="错误信息", decision_date=date(2025, 1, 2))
    assert any(r["id"] == record_id for r in (await publication.subject_records(subject["id"], "positive")).items)
    await service.revoke_record(record_id, "staff", "异议核实：信息有误")
    assert all(r["id"] != record_id for r in (await publication.subject_records(subject["id"], "positive")).items)
    with pytest.raises(service.RecordError):
        await service.correct_record(record_id, {"title": "x"}, "staff", "再次修改")
    with pytest.raises(service.RecordError):
        await service.revoke_record(record_id, "staff", "")


async def test_unknown_fields_and_categories_are_refused():
    provider = await f.agency()
    subject = await f.legal_subject()
    record_id = await f.record(subject["id"], provider["id"])
    with pytest.raises(service.RecordError):
        await service.correct_record(record_id, {"subject": 1}, "x", "改主体")
    with pytest.raises(ValueError):
        await service.correct_record(record_id, {"category": "religion"}, "x", "类别")
    assert await service.history(record_id) == []
