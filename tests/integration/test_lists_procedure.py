"""Red and black lists (R-P5, R-20): the deciding agency lists a subject on its desk, with basis,
measures and period (a black list runs 5 years unless the basis says otherwise, a red list needs its
end); the deciding agency or staff remove it with a reason; removed or expired entries leave the
public pages and the public API at once; every listing and removal stays in the history."""

from __future__ import annotations

import json
import logging
from datetime import date, timedelta

import pytest

from portal.lib.dates import today_cn
from portal.lists.service import period
from portal.lists.tables import ListChange, ListEntry
from tests import factories as f
from tests.queryflow import csrf, logged_in

pytestmark = pytest.mark.anyio


def _form(client, subject: dict, **over) -> dict:
    today = today_cn()
    data = {
        "_csrf_token": csrf(client),
        "subject_kind": "legal",
        "uscc": subject.get("uscc", ""),
        "list_type": "black",
        "list_name": f"重大税收违法失信主体{f.unique()}",
        "reason": "《重大税收违法失信主体信息公布管理办法》第六条；郑税稽罚〔2026〕12号处罚决定",
        "measures": "限制参与政府采购\n限制取得政府供应土地\n",
        "doc_number": f.unique("郑税认〔2026〕"),
        "listed_on": today.isoformat(),
        "expires_on": "",
    }
    data.update(over)
    return data


async def _officer(app, agency: dict | None = None):
    agency = agency or await f.agency()
    return agency, await f.account("agency", agency_id=agency["id"])


async def _entry(list_name: str) -> dict:
    return await ListEntry.select().where(ListEntry.list_name == list_name).first()


async def _changes(entry_id: int) -> list[dict]:
    return await ListChange.select().where(ListChange.entry == entry_id).order_by(ListChange.id)


async def _public_texts(client, subject: dict | None = None) -> str:
    """What the public sees: the black and red list pages, and (legal persons) the profile and API."""
    texts = [(await client.get("/lists/black")).text, (await client.get("/lists/red")).text]
    if subject and subject.get("uscc"):
        texts.append((await client.get(f"/subjects/{subject['uscc']}/negative")).text)
        texts.append((await client.get(f"/subjects/{subject['uscc']}/positive")).text)
        api = await client.get(f"/api/v1/public/subjects/{subject['uscc']}")
        assert api.status_code == 200
        texts.append(json.dumps(api.json()["list_entries"], ensure_ascii=False))
    return "\n".join(texts)


async def test_officer_lists_a_legal_person_black_list_five_years_public_and_history(app, client):
    agency, officer = await _officer(app)
    company = await f.legal_subject()
    async with logged_in(app, officer) as desk:
        data = _form(desk, company)
        posted = await desk.post("/agency/lists", data=data, follow_redirects=False)
        assert posted.status_code == 303 and posted.headers["location"] == "/agency/lists?done=list"
        page = await desk.get("/agency/lists?done=list")
        assert data["list_name"] in page.text and "限制参与政府采购" in page.text
    entry = await _entry(data["list_name"])
    today = today_cn()
    assert entry["listed_on"] == today
    leap = (today.month, today.day) == (2, 29)
    assert entry["expires_on"] == date(today.year + 5, today.month, 28 if leap else today.day)
    assert entry["decided_by"] == agency["id"] and entry["listed_by"] == officer["id"]
    assert entry["measures"] == "限制参与政府采购\n限制取得政府供应土地" and entry["status"] == "in_force"
    black = (await client.get("/lists/black")).text
    assert data["list_name"] in black and company["name"] in black
    assert data["list_name"] not in (await client.get("/lists/red")).text
    assert data["list_name"] in (await client.get(f"/subjects/{company['uscc']}/negative")).text
    api = (await client.get(f"/api/v1/public/subjects/{company['uscc']}")).json()["list_entries"]
    assert [(e["list_type"], e["list_name"]) for e in api] == [("black", data["list_name"])]
    [change] = await _changes(entry["id"])
    assert change["action"] == "list" and change["actor"] == officer["id"]
    assert officer["username"] in change["actor_name"] and agency["name"] in change["actor_name"]
    snapshot = json.loads(change["snapshot"]) if isinstance(change["snapshot"], str) else change["snapshot"]
    assert snapshot["measures"] == ["限制参与政府采购", "限制取得政府供应土地"]
    assert snapshot["expires_on"] == entry["expires_on"].isoformat()


async def test_black_list_end_from_the_basis_is_kept_and_red_list_needs_a_period(app):
    _, officer = await _officer(app)
    company = await f.legal_subject()
    end = today_cn() + timedelta(days=400)
    async with logged_in(app, officer) as desk:
        explicit = _form(desk, company, expires_on=end.isoformat())
        assert (await desk.post("/agency/lists", data=explicit, follow_redirects=False)).status_code == 303
        red = _form(desk, company, list_type="red", list_name=f"A级纳税人{f.unique()}", expires_on="")
        refused = await desk.post("/agency/lists", data=red, follow_redirects=False)
        assert refused.status_code == 400 and "红名单须填写有效期" in refused.text
        assert red["reason"] in refused.text  # the form comes back filled in
        red["expires_on"] = end.isoformat()
        assert (await desk.post("/agency/lists", data=red, follow_redirects=False)).status_code == 303
    assert (await _entry(explicit["list_name"]))["expires_on"] == end
    assert (await _entry(red["list_name"]))["expires_on"] == end
    with pytest.raises(ValueError):
        period("red", date(2026, 1, 1), None)
    assert period("black", date(2024, 2, 29), None) == date(2029, 2, 28)  # 5 years


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"uscc": "91410105MA00000000"}, "统一社会信用代码"),
        ({"list_type": "grey"}, "请选择名单类型"),
        ({"measures": " \n "}, "激励或惩戒措施"),
        ({"reason": ""}, "认定依据"),
        ({"listed_on": "2026-13-01"}, "认定日期格式不正确"),
        ({"listed_on": "2999-01-01"}, "认定日期不能晚于今天"),
        ({"listed_on": "2019-01-01"}, "有效期已届满"),
        ({"expires_on": "2000-01-01"}, "有效期至须晚于认定日期"),
    ],
)
async def test_bad_listing_input_is_a_400_and_lists_nothing(app, over, message):
    _, officer = await _officer(app)
    company = await f.legal_subject()
    async with logged_in(app, officer) as desk:
        data = _form(desk, company, **over)
        refused = await desk.post("/agency/lists", data=data, follow_redirects=False)
    assert refused.status_code == 400 and message in refused.text
    assert await _entry(data["list_name"]) is None


async def test_only_the_deciding_agency_or_staff_remove_and_removal_leaves_public_at_once(app, client):
    agency, officer = await _officer(app)
    _, stranger = await _officer(app)
    company = await f.legal_subject()
    async with logged_in(app, officer) as desk:
        data = _form(desk, company)
        assert (await desk.post("/agency/lists", data=data, follow_redirects=False)).status_code == 303
    entry = await _entry(data["list_name"])
    assert data["list_name"] in await _public_texts(client, company)
    async with logged_in(app, stranger) as other:
        refused = await other.post(
            f"/agency/lists/{entry['id']}/remove", data={"_csrf_token": csrf(other), "reason": "repair"}
        )
        assert refused.status_code == 403 and "只有认定单位或信用中心" in refused.text
        assert data["list_name"] not in (await other.get("/agency/lists")).text  # another agency's desk
    assert (await _entry(data["list_name"]))["status"] == "in_force" and len(await _changes(entry["id"])) == 1
    async with logged_in(app, officer) as desk:
        no_reason = await desk.post(f"/agency/lists/{entry['id']}/remove", data={"_csrf_token": csrf(desk)})
        assert no_reason.status_code == 400 and "请选择移出原因" in no_reason.text
        removed = await desk.post(
            f"/agency/lists/{entry['id']}/remove",
            data={"_csrf_token": csrf(desk), "reason": "repair", "note": "已完成信用修复"},
            follow_redirects=False,
        )
        assert removed.status_code == 303
        again = await desk.post(
            f"/agency/lists/{entry['id']}/remove", data={"_csrf_token": csrf(desk), "reason": "repair"}
        )
        assert again.status_code == 409
    assert data["list_name"] not in await _public_texts(client, company)
    row = await _entry(data["list_name"])
    assert row["status"] == "removed" and row["removal_reason"] == "repair" and row["removed_at"] is not None
    listing, removal = await _changes(entry["id"])
    assert (listing["action"], removal["action"]) == ("list", "remove")
    assert removal["reason"] == "信用修复：已完成信用修复" and removal["actor"] == officer["id"]
    assert (json.loads(removal["snapshot"]) if isinstance(removal["snapshot"], str) else removal["snapshot"])[
        "status"
    ] == "removed"


async def test_staff_see_every_entry_filter_and_remove(app, client):
    agency, officer = await _officer(app)
    company = await f.legal_subject()
    async with logged_in(app, officer) as desk:
        data = _form(desk, company)
        assert (await desk.post("/agency/lists", data=data, follow_redirects=False)).status_code == 303
    entry = await _entry(data["list_name"])
    staff = await f.account("staff")
    async with logged_in(app, staff) as centre:
        wanted = {"agency": agency["id"], "list_type": "black", "state": "active"}
        mine = await centre.get("/staff/lists", params=wanted)
        row = 'data-entry="{}"'.format(entry["id"])
        assert mine.status_code == 200 and row in mine.text and data["list_name"] in mine.text
        assert row not in (await centre.get("/staff/lists", params={"list_type": "red"})).text
        assert (await centre.get("/staff/lists", params={"state": "nonsense"})).status_code == 400
        assert (await centre.get("/staff/lists", params={"agency": "x"})).status_code == 400
        # The form's "全部" sends agency= (empty); the page's own 更早的名单 link carries it too.
        everyone = await centre.get("/staff/lists", params={"list_type": "black", "state": "", "agency": ""})
        assert everyone.status_code == 200 and row in everyone.text
        older = await centre.get(
            "/staff/lists", params={"list_type": "", "state": "", "agency": "", "before": "9999999"}
        )
        assert older.status_code == 200 and row in older.text
        assert (await centre.get("/staff/lists", params={"before": ""})).status_code == 200  # no paging
        other = await centre.post(
            f"/staff/lists/{entry['id']}/remove", data={"_csrf_token": csrf(centre), "reason": "other"}
        )
        assert other.status_code == 400 and "请写明移出原因" in other.text
        removed = await centre.post(
            f"/staff/lists/{entry['id']}/remove",
            data={"_csrf_token": csrf(centre), "reason": "revoked", "note": "认定决定已被撤销"},
            follow_redirects=False,
        )
        assert removed.status_code == 303
        gone = await centre.get("/staff/lists", params={"agency": agency["id"], "state": "removed"})
        assert data["list_name"] in gone.text and "撤销认定：认定决定已被撤销" in gone.text
    assert data["list_name"] not in await _public_texts(client, company)
    removal = (await _changes(entry["id"]))[-1]
    assert removal["actor"] == staff["id"] and "信用中心" in removal["actor_name"]


async def test_an_expired_entry_is_not_shown_even_while_in_force(app, client):
    agency = await f.agency()
    company = await f.legal_subject()
    yesterday = today_cn() - timedelta(days=1)
    name = f"失信被执行人{f.unique()}"
    await f.list_entry(company["id"], agency["id"], list_name=name, listed_on=yesterday - timedelta(days=30),
                       expires_on=yesterday, status="in_force")  # fmt: skip
    live = f"失信被执行人{f.unique()}"
    await f.list_entry(company["id"], agency["id"], list_name=live, listed_on=yesterday, expires_on=today_cn())
    public = await _public_texts(client, company)
    assert live in public and name not in public
    staff = await f.account("staff")
    async with logged_in(app, staff) as centre:
        expired = await centre.get("/staff/lists", params={"agency": agency["id"], "state": "expired"})
        assert name in expired.text and live not in expired.text  # no history: made by the loader


async def test_a_natural_persons_id_number_is_in_no_url_log_or_page(app, client, caplog):
    caplog.set_level(logging.DEBUG)
    _, officer = await _officer(app)
    person = await f.natural_subject(name="赵名单")
    number = person["id_number"]
    seen: list[str] = []
    async with logged_in(app, officer) as desk:
        wrong = _form(desk, {}, subject_kind="natural", name="钱名单", id_number=number)
        refused = await desk.post("/agency/lists", data=wrong)
        assert refused.status_code == 400 and "没有与所填信息一致的信用主体" in refused.text
        seen += [refused.text, str(refused.url)]
        data = _form(desk, {}, subject_kind="natural", name="赵名单", id_number=number)
        posted = await desk.post("/agency/lists", data=data, follow_redirects=False)
        assert posted.status_code == 303
        seen += [posted.headers["location"], (await desk.get(posted.headers["location"])).text]
    public = await client.get("/lists/black")
    masked = number[:4] + "**********" + number[-4:]
    assert data["list_name"] in public.text and masked in public.text
    entry = await _entry(data["list_name"])
    assert entry["subject"] == person["id"]
    changes = await _changes(entry["id"])
    seen += [public.text, caplog.text, json.dumps(changes, default=str, ensure_ascii=False)]
    assert not [s for s in seen if number in s]


async def test_the_history_is_append_only(app):
    _, officer = await _officer(app)
    company = await f.legal_subject()
    async with logged_in(app, officer) as desk:
        data = _form(desk, company)
        assert (await desk.post("/agency/lists", data=data, follow_redirects=False)).status_code == 303
    [change] = await _changes((await _entry(data["list_name"]))["id"])
    with pytest.raises(Exception, match="append-only"):
        await ListChange.update({ListChange.reason: "改写"}).where(ListChange.id == change["id"])
    with pytest.raises(Exception, match="append-only"):
        await ListChange.delete().where(ListChange.id == change["id"])


async def test_the_deciding_agency_amends_measures_and_period_with_history(app, client):
    _, officer = await _officer(app)
    _, stranger = await _officer(app)
    company = await f.legal_subject()
    end = today_cn() + timedelta(days=200)
    async with logged_in(app, officer) as desk:
        data = _form(desk, company)
        assert (await desk.post("/agency/lists", data=data, follow_redirects=False)).status_code == 303
    entry = await _entry(data["list_name"])
    amend = f"/agency/lists/{entry['id']}/amend"
    async with logged_in(app, stranger) as other:
        form = {"_csrf_token": csrf(other), "expires_on": end.isoformat(), "reason": "越权"}
        refused = await other.post(amend, data=form)
        assert refused.status_code == 403
    async with logged_in(app, officer) as desk:
        empty = await desk.post(amend, data={"_csrf_token": csrf(desk), "reason": "无变更"})
        assert empty.status_code == 400 and "请填写要变更的措施或有效期" in empty.text
        past = await desk.post(amend, data={"_csrf_token": csrf(desk), "expires_on": "2020-01-01", "reason": "提前"})
        assert past.status_code == 400
        changed = await desk.post(
            amend,
            data={
                "_csrf_token": csrf(desk),
                "expires_on": end.isoformat(),
                "measures": "限制参与评优评先",
                "reason": "复议决定缩短惩戒期限",
            },  # fmt: skip
            follow_redirects=False,
        )
        assert changed.status_code == 303
    row = await _entry(data["list_name"])
    assert (row["expires_on"], row["measures"], row["status"]) == (end, "限制参与评优评先", "in_force")
    listing, amendment = await _changes(entry["id"])
    assert amendment["action"] == "amend" and amendment["reason"] == "复议决定缩短惩戒期限"
    assert amendment["actor"] == officer["id"]
    api = (await client.get(f"/api/v1/public/subjects/{company['uscc']}")).json()["list_entries"]
    assert [e["expires_on"] for e in api] == [end.isoformat()]
