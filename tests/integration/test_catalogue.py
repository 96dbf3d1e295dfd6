"""The shared indicator catalogue (信用信息共享指标目录, Z80 第二十六条): seeded from the categories,
checks a provider's class (R-15, R-17), masks a natural person's class-A items in the one public
reader so pages and the open-data feed agree (R-17), and is kept by staff with history."""

from __future__ import annotations

import dataclasses
from contextlib import asynccontextmanager
from datetime import date, timedelta

import pytest

from portal.catalogue import service as catalogue
from portal.catalogue.tables import CatalogueChange, CatalogueEntry
from portal.lib.dates import today_cn
from portal.records.categories import CATEGORIES
from tests import factories as f

pytestmark = pytest.mark.anyio

STAFF = catalogue.Actor(None, "测试")


def _change(e: catalogue.Entry, reason: str = "测试调整", **overrides) -> catalogue.Change:
    values = {
        "label": e.label,
        "default_class": e.default_class,
        "polarity": e.polarity,
        "publicity_months": "" if e.publicity_months is None else str(e.publicity_months),
        "natural_class_a": e.natural_class_a,
        "masked_items": list(e.masked_items),
        "active": e.active,
        "reason": reason,
        "version": e.version,
    }
    return catalogue.Change(**{**values, **overrides})


@asynccontextmanager
async def changed(code: str, **overrides):
    """Change one entry for the test, and put it back afterwards (the database is shared)."""
    catalogue.invalidate()
    before = await catalogue.entry(code)
    await catalogue.update(STAFF, code, _change(before, **overrides))
    try:
        yield
    finally:
        now = await catalogue.entry(code)
        await catalogue.update(STAFF, code, _change(before, "测试结束复原", version=now.version))


# --- item 1: the table, seeded from the categories ---------------------------------------------


async def test_seeded_catalogue_matches_the_categories(db):
    rows = await CatalogueEntry.select().order_by(CatalogueEntry.id)
    assert [r["code"] for r in rows] == list(CATEGORIES)
    for row in rows:
        category = CATEGORIES[row["code"]]
        assert (row["label"], row["subject_kind"], row["polarity"], row["rule"]) == (
            category.label,
            category.subject_kind,
            category.polarity,
            category.rule,
        )
        assert row["default_class"] in ("A", "B", "C")
        if category.subject_kind == "legal":
            assert not row["natural_class_a"] and row["masked_items"] == ""
    seeded = {r["code"]: r for r in rows}
    # a natural person's identity data and 提示信息 never public; penalties public but masked.
    assert not seeded["identity"]["natural_class_a"] and not seeded["person_negative"]["natural_class_a"]
    penalty = seeded["person_penalty"]
    assert penalty["natural_class_a"] and penalty["publicity_months"] == 36
    assert {"name", "violation_facts", "penalty_content", "content"} <= set(penalty["masked_items"].split(","))
    assert seeded["operation"]["default_class"] == "B"  # business and financial status


async def test_publicity_end_follows_the_catalogue_period(db):
    e = await catalogue.entry("person_penalty")
    assert catalogue.publicity_end(e, date(2025, 1, 31)) == date(2028, 1, 31)
    assert catalogue.publicity_end(dataclasses.replace(e, publicity_months=1), date(2025, 1, 31)) == date(2025, 2, 28)
    assert catalogue.publicity_end(await catalogue.entry("license"), date(2025, 1, 31)) is None


# --- item 2: check_class --------------------------------------------------------------------------


async def test_check_class_refuses_what_the_catalogue_forbids(db):
    assert await catalogue.check_class("license", "A", "legal") is None
    assert await catalogue.check_class("person_penalty", "A", "natural") is None
    assert await catalogue.check_class("person_negative", "B", "natural") is None
    assert await catalogue.check_class("operation", "C", "legal") is None

    problem = await catalogue.check_class("person_negative", "A", "natural")
    assert "自然人" in problem and "不得列为社会公开类" in problem and "R-17" in problem
    assert "R-17" in await catalogue.check_class("identity", "A", "natural")
    problem = await catalogue.check_class("operation", "A", "legal")
    assert "部门共享类（B）" in problem and "R-15" in problem
    assert "仅适用于自然人" in await catalogue.check_class("person_penalty", "A", "legal")
    assert "仅适用于法人和其他组织" in await catalogue.check_class("penalty", "A", "natural")
    assert "R-15" in await catalogue.check_class("license", "D", "legal")
    assert "不在信用信息共享指标目录中" in await catalogue.check_class("no_such", "A", "legal")


async def test_check_class_follows_a_change_at_once(db):
    """The cache is dropped on change: a retired category and a closed class A are refused at once."""
    assert await catalogue.check_class("person_positive", "A", "natural") is None
    async with changed("person_positive", active=False):
        assert "停用" in await catalogue.check_class("person_positive", "B", "natural")
    async with changed("person_positive", natural_class_a=False, masked_items=[]):
        assert "R-17" in await catalogue.check_class("person_positive", "A", "natural")
    assert await catalogue.check_class("person_positive", "A", "natural") is None


# --- item 3: the leak: a natural person's detention with its facts --------------------------------


async def _detention(name: str, category: str = "person_penalty") -> dict:
    provider = await f.agency(name=f"测试公安分局{f.unique()}")
    person = await f.natural_subject(name=name)
    marker = f.unique("HARVEST")
    decided = today_cn() - timedelta(days=3)
    record_id = await f.record(
        person["id"],
        provider["id"],
        record_type="penalty",
        category=category,
        polarity="negative",
        title="殴打他人",
        content=f"{marker}于某小区殴打邻居，依据治安管理处罚法决定行政拘留十日。",
        decision_date=decided,
        publicity_end=today_cn() + timedelta(days=365),
        detail={
            "subject_name": name,
            "violation_facts": f"{marker}facts 于某小区殴打邻居致其轻微伤",
            "penalty_category": "行政拘留",
            "penalty_content": f"{marker}content 行政拘留十日",
            "license_action": f"{marker}action",
            "legal_basis": "《中华人民共和国治安管理处罚法》第四十三条",
        },
    )
    return {"id": record_id, "marker": marker, "since": decided.isoformat(), "provider": provider, "person": person}


async def _feed(client, since: str) -> tuple[list[dict], str]:
    """Every penalty in the open-data feed since a day (all pages), and the raw text."""
    items, texts, cursor = [], [], None
    while True:
        params = {"type": "penalty", "since": since, "limit": 100, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/api/v1/public/disclosures", params=params)
        assert response.status_code == 200
        texts.append(response.text)
        body = response.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            return items, "\n".join(texts)


async def test_a_natural_persons_detention_facts_cannot_be_harvested(client):
    """R-17: the decision is published (type, basis, authority, 文号), the facts, the measure and
    the full name are not — in the feed and on the 双公示 page alike."""
    planted = await _detention("赵拘留")
    items, text = await _feed(client, planted["since"])
    mine = [i for i in items if i["id"] == planted["id"]]
    assert len(mine) == 1  # still published (双公示)
    assert planted["marker"] not in text
    assert "赵拘留" not in text
    item = mine[0]
    assert item["subject_name"] == "赵*留"
    assert item["detail"]["subject_name"] == "赵*留"
    assert item["detail"]["violation_facts"] == catalogue.MASK_TEXT
    assert item["detail"]["penalty_content"] == catalogue.MASK_TEXT
    assert item["detail"]["penalty_category"] == "行政拘留"
    assert "治安管理处罚法" in item["detail"]["legal_basis"]
    assert item["subject_code"].count("*") == 10  # the masked ID number only

    page = await client.get("/disclosures", params={"type": "penalty", "agency": planted["provider"]["code"]})
    assert page.status_code == 200
    assert "赵*留" in page.text and "赵拘留" not in page.text and planted["marker"] not in page.text


async def test_a_legal_persons_penalty_is_not_masked(client):
    provider = await f.agency()
    company = await f.legal_subject()
    record_id = await f.record(
        company["id"],
        provider["id"],
        record_type="penalty",
        category="penalty",
        polarity="negative",
        decision_date=today_cn() - timedelta(days=3),
        publicity_end=today_cn() + timedelta(days=365),
        detail={"subject_name": company["name"], "violation_facts": "超范围经营", "penalty_content": "罚款一万元"},
    )
    items, _ = await _feed(client, (today_cn() - timedelta(days=3)).isoformat())
    item = next(i for i in items if i["id"] == record_id)
    assert item["subject_name"] == company["name"]
    assert item["detail"]["violation_facts"] == "超范围经营"


async def test_a_natural_person_appears_in_class_a_only_where_the_catalogue_allows(client):
    """R-17 in the reader: a natural person's record in a category not opened to class A for
    natural persons (here a legal person's category) is not published; closing person_penalty to
    class A takes it off the feed and the page at once, reopening brings it back."""
    wrong_kind = await _detention("钱错类", category="penalty")
    planted = await _detention("孙可公")
    items, text = await _feed(client, planted["since"])
    ids = {i["id"] for i in items}
    assert planted["id"] in ids and wrong_kind["id"] not in ids and "钱错类" not in text

    async with changed("person_penalty", natural_class_a=False):
        items, _ = await _feed(client, planted["since"])
        assert planted["id"] not in {i["id"] for i in items}
        page = await client.get("/disclosures", params={"agency": planted["provider"]["code"]})
        assert page.status_code == 200 and "孙*公" not in page.text
    items, _ = await _feed(client, planted["since"])
    assert planted["id"] in {i["id"] for i in items}


async def test_masking_follows_the_catalogue(client):
    """Staff unmask the facts: the feed shows them (the catalogue decides, not the code)."""
    planted = await _detention("周改目")
    async with changed("person_penalty", masked_items=["name"]):
        items, _ = await _feed(client, planted["since"])
        item = next(i for i in items if i["id"] == planted["id"])
        assert planted["marker"] in item["detail"]["violation_facts"]
        assert item["subject_name"] == "周*目"
    items, text = await _feed(client, planted["since"])
    assert planted["marker"] not in text


# --- item 4: staff keep the catalogue, with history ----------------------------------------------


async def _staff(client) -> dict:
    user = await f.account("staff")
    assert (await f.login(client, user["username"])).status_code == 303
    return user


def _form(client, e: catalogue.Entry, **overrides) -> dict:
    data = {
        "_csrf_token": client.cookies.get("csrftoken"),
        "label": e.label,
        "default_class": e.default_class,
        "polarity": e.polarity,
        "publicity_months": "" if e.publicity_months is None else str(e.publicity_months),
        "masked_items": list(e.masked_items),
        "reason": "",
        "version": str(e.version),
    }
    if e.natural_class_a:
        data["natural_class_a"] = "on"
    if e.active:
        data["active"] = "on"
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


async def test_staff_edit_needs_a_reason_and_is_kept_in_history(client):
    user = await _staff(client)
    listing = await client.get("/staff/catalogue")
    assert listing.status_code == 200 and "信用信息共享指标目录" in listing.text and "行政处罚信息" in listing.text
    before = await catalogue.entry("person_positive")

    refused = await client.post(
        "/staff/catalogue/person_positive", data=_form(client, before, publicity_months="24"), follow_redirects=False
    )
    assert refused.status_code == 400 and "理由为必填项" in refused.text
    assert (await catalogue.entry("person_positive")) == before

    reason = f"依据{f.unique('测试文号')}调整公示期限"
    saved = await client.post(
        "/staff/catalogue/person_positive",
        data=_form(client, before, publicity_months="24", masked_items=["name"], reason=reason),  # one box: a string
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    after = await catalogue.entry("person_positive")
    assert after.publicity_months == 24 and after.masked_items == ("name",)
    assert after.version == before.version + 1

    change = await CatalogueChange.select().where(CatalogueChange.reason == reason).first()
    assert change["actor"] == user["id"] and change["actor_name"] == user["username"]
    assert change["code"] == "person_positive" and change["version"] == after.version
    page = await client.get("/staff/catalogue/person_positive")
    assert page.status_code == 200 and reason in page.text and user["username"] in page.text
    assert "公示期限（月）：（无） → 24" in page.text
    assert reason in (await client.get("/staff/catalogue")).text

    # A form read before that change is refused, not applied over it.
    stale = await client.post(
        "/staff/catalogue/person_positive",
        data=_form(client, before, publicity_months="12", reason="旧页面提交"),
        follow_redirects=False,
    )
    assert stale.status_code == 400 and "刚被他人修改" in stale.text

    restored = await client.post(
        "/staff/catalogue/person_positive",
        data=_form(client, before, version=str(after.version), reason="测试结束复原"),
        follow_redirects=False,
    )
    assert restored.status_code == 303
    assert dataclasses.replace(await catalogue.entry("person_positive"), version=before.version) == before


async def test_staff_edit_refuses_bad_values(client):
    await _staff(client)
    legal = await catalogue.entry("penalty")
    for overrides, message in (
        ({"natural_class_a": "on"}, "不适用自然人公开规则"),
        ({"default_class": "Z"}, "A、B或C"),
        ({"publicity_months": "三年"}, "公示期限"),
        ({"masked_items": ["id_number_plain"]}, "隐去项目"),
        ({}, "未作任何修改"),
    ):
        response = await client.post(
            "/staff/catalogue/penalty", data=_form(client, legal, reason="测试", **overrides), follow_redirects=False
        )
        assert response.status_code == 400 and message in response.text, overrides
    assert await catalogue.entry("penalty") == legal
    missing = await client.get("/staff/catalogue/no_such_code")
    assert missing.status_code == 404


async def test_history_is_append_only(db):
    async with changed("person_positive", publicity_months="6"):
        pass
    with pytest.raises(Exception, match="append-only"):
        await CatalogueChange.update({CatalogueChange.reason: "改写"}).where(CatalogueChange.code == "person_positive")
    with pytest.raises(Exception, match="append-only"):
        await CatalogueChange.delete().where(CatalogueChange.code == "person_positive")
