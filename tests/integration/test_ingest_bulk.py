"""Collection speed without changed outcomes (R-11, R-12): a chunk of items applied together
(``service.apply_many``, used by the push API and the Excel import) gives, item for item, what
applying them one by one gives; new subjects are registered once and indexed; and a chunk the
database refuses leaves nothing half-written."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.ingest import service
from portal.ingest.tables import Channel
from portal.lib.dates import today_cn
from portal.records.tables import CreditRecord, PenaltyDetail
from portal.search.service import search_subjects
from portal.subjects.tables import Subject
from tests import factories as f

pytestmark = pytest.mark.anyio
R = CreditRecord


def _penalty(ref: str, subject: dict, **over) -> dict:
    natural = subject["kind"] == "natural"
    item = {
        "action": "create",
        "record_id": ref,
        "subject": subject,
        "record_type": "penalty",
        "category": "person_penalty" if natural else "penalty",
        "disclosure_class": "B" if natural else "A",
        "title": "成批报送测试事项",
        "doc_number": f"郑应急罚〔2026〕{ref}号",
        "decision_date": (today_cn() - timedelta(days=2)).isoformat(),
        "penalty": {
            "violation_type": "安全生产违法",
            "violation_facts": "成批报送测试事实",
            "penalty_category": "罚款",
            "authority": "郑州市应急管理局",
        },
    }
    item.update(over)
    return item


async def _mixed_chunk(tag: str) -> tuple[list[dict], dict]:
    """Every way a create can go in a chunk, plus corrections and revocations in between; fresh
    subjects each time, so two chunks made by this function must end the same way."""
    stored = await f.legal_subject(f"郑州成批已登记{tag}有限公司")
    person = await f.natural_subject("吴成批")
    new_uscc, new_id = f.new_uscc(), f.new_id_number()
    company = {"kind": "legal", "uscc": new_uscc, "name": f"郑州成批新登记{tag}有限公司"}
    newcomer = {"kind": "natural", "id_number": new_id, "name": "郑成批"}
    ref = lambda n: f"{tag}-{n}"  # noqa: E731
    items = [
        _penalty(ref(1), company),  # registers the company
        _penalty(ref(2), {**company, "name": "另一个名称有限公司"}),  # the registered name stays
        _penalty(ref(3), {"kind": "legal", "uscc": stored["uscc"], "name": stored["name"]}),
        _penalty(ref(4), {"kind": "legal", "uscc": f.new_uscc()}),  # unknown, no name: rejected
        _penalty(ref(5), newcomer),  # registers the person
        _penalty(ref(6), {**newcomer, "name": "郑不符"}),  # same ID number, other name: rejected
        _penalty(ref(7), {"kind": "natural", "id_number": person["id_number"], "name": person["name"]}),
        _penalty(ref(8), {"kind": "natural", "id_number": person["id_number"], "name": "错名字"}),
        _penalty(ref(9), company, category="license"),  # wrong category for a penalty: parse error
        # The catalogue never makes a person's 失信提示 public (class A).
        _penalty(ref(10), newcomer, record_type="general", category="person_negative", disclosure_class="A"),
        _penalty(ref(11), company, category="other_positive", record_type="general", penalty=None),
        _penalty(ref(12), company),  # sent twice in the chunk: the second is unchanged
        _penalty(ref(12), company),
        _penalty(ref(13), company),  # created, then corrected in the same chunk
        {"action": "correct", "record_id": ref(13), "title": "更正后的标题", "reason": "文字有误"},
        _penalty(ref(14), company),
        {"action": "revoke", "record_id": ref(14), "reason": "重复报送"},
        {"action": "revoke", "record_id": ref(99), "reason": "没有这条"},
        _penalty(ref(15), company, title="同一编号内容不同"),
        _penalty(ref(1), company, title="已报送的编号内容不同"),  # stored by the first item: refused
        "not an object",
        _penalty(ref(16), {**company, "uscc": "91410105MA0000000X"}),  # wrong check character
    ]
    items[9].pop("penalty")
    items[10].pop("penalty")
    return items, {"company": company, "newcomer": newcomer, "stored": stored}


def _outcome(results) -> list[tuple]:
    return [(r.index, r.status, r.version, sorted(e.code for e in r.errors)) for r in results]


async def _reporter(categories=("penalty", "person_penalty", "license", "person_negative")) -> service.Reporter:
    agency = await f.agency()
    return service.Reporter(agency_id=agency["id"], channel=Channel.API, actor="测试", categories=frozenset(categories))


async def test_a_chunk_ends_as_applying_its_items_one_by_one():
    today = today_cn()
    one_by_one, one_ids = await _mixed_chunk(f.unique("S"))
    reporter = await _reporter()
    single = [await service.apply_one(reporter, i, raw, today) for i, raw in enumerate(one_by_one)]
    together, ids = await _mixed_chunk(f.unique("B"))
    chunked_reporter = await _reporter()
    chunked = await service.report(chunked_reporter, together)
    assert _outcome(chunked) == _outcome(single)
    assert [(r.status, [e.code for e in r.errors]) for r in chunked] == [
        ("created", []),
        ("created", []),
        ("created", []),
        ("rejected", ["unknown_subject"]),
        ("created", []),
        ("rejected", ["subject_mismatch"]),
        ("created", []),
        ("rejected", ["subject_mismatch"]),
        ("rejected", ["category_type"]),
        ("rejected", ["class_not_allowed"]),
        ("rejected", ["category_not_in_scope"]),
        ("created", []),
        ("unchanged", []),
        ("created", []),
        ("corrected", []),
        ("created", []),
        ("revoked", []),
        ("rejected", ["unknown_record_id"]),
        ("created", []),
        ("rejected", ["duplicate_record_id"]),
        ("rejected", ["invalid"]),
        ("rejected", ["invalid_uscc"]),
    ]
    # The company was registered once, under the name of the item that registered it.
    company = await Subject.select().where(Subject.uscc == ids["company"]["uscc"])
    assert [s["name"] for s in company] == [ids["company"]["name"]]
    # Detail rows name the subject as stored, not as the item spelled it.
    detail = (
        await PenaltyDetail.select(PenaltyDetail.subject_name, PenaltyDetail.subject_code)
        .where(PenaltyDetail.record.provider_ref == together[1]["record_id"])
        .first()
    )
    assert detail == {"subject_name": ids["company"]["name"], "subject_code": ids["company"]["uscc"]}
    person = await Subject.select(Subject.id, Subject.id_number_masked).where(Subject.name == "郑成批")
    assert len(person) == 2  # one per chunk: the second item with its ID number was refused
    rows = await R.select(R.provider_ref, R.subject, R.title, R.version, R.status).where(
        R.provider == chunked_reporter.agency_id
    )
    by_ref = {r["provider_ref"]: r for r in rows}
    assert by_ref[together[13]["record_id"]]["title"] == "更正后的标题"
    assert by_ref[together[13]["record_id"]]["version"] == 2
    assert by_ref[together[15]["record_id"]]["status"] == "revoked"
    assert by_ref[together[2]["record_id"]]["subject"] == ids["stored"]["id"]
    # A newly registered legal person can be found by name at once (the search indexes).
    found = await search_subjects(ids["company"]["name"])
    assert ids["company"]["uscc"] in {s["uscc"] for s in found.items}


async def test_a_chunk_the_database_refuses_leaves_nothing_half_written():
    """What only the database can refuse (here a trigger on one detail row) is not hidden by the
    batch: the per-item path meets it too, and the chunk's transaction takes nothing."""
    db = Subject._meta.db
    marker = "触发器拒收"
    if db.engine_type == "postgres":
        await Subject.raw(
            "CREATE OR REPLACE FUNCTION bulk_test_refuse() RETURNS trigger AS $$ BEGIN "
            f"IF NEW.violation_type = '{marker}' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$ "
            "LANGUAGE plpgsql"
        )
        await Subject.raw(
            "CREATE TRIGGER bulk_test_refuse BEFORE INSERT ON penalty_detail "
            "FOR EACH ROW EXECUTE FUNCTION bulk_test_refuse()"
        )
    else:
        await Subject.raw(
            "CREATE TRIGGER bulk_test_refuse BEFORE INSERT ON penalty_detail "
            f"WHEN NEW.violation_type = '{marker}' BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
    reporter = await _reporter()
    tag = f.unique("D")
    usccs = [f.new_uscc() for _ in range(3)]
    items = [
        _penalty(f"{tag}-{i}", {"kind": "legal", "uscc": u, "name": f"郑州拒收{tag}{i}有限公司"})
        for i, u in enumerate(usccs)
    ]
    items[2]["penalty"] = {**items[2]["penalty"], "violation_type": marker}
    try:
        with pytest.raises(Exception, match="refused"):
            await service.report(reporter, items)
    finally:
        await Subject.raw(
            "DROP TRIGGER bulk_test_refuse" + (" ON penalty_detail" if db.engine_type == "postgres" else "")
        )
    assert not await Subject.exists().where(Subject.uscc.is_in(usccs))
    assert not await R.exists().where(R.provider == reporter.agency_id)
    # The same chunk without the refused value goes through whole.
    items[2]["penalty"]["violation_type"] = "安全生产违法"
    assert [r.status for r in await service.report(reporter, items)] == ["created"] * 3
