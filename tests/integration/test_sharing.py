"""Class-C sharing rules as data that staff manage (R-15, R-18, SPEC §5).

Marking a category shareable under a subject's written authorisation and granting an agency a
category change what the query policy reads (``shareable_under_authorisation``,
``agency_c_grants``); every change needs a legal basis and leaves an append-only history row; only
credit-centre staff may make one. Observation 10 (a third party received every class-C category)
is shown at service level here, through the real authorisation and disclosure path.
"""

from __future__ import annotations

import asyncio
import re
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from litestar.testing import AsyncTestClient

from portal.agencies.tables import LEGACY_GRANT_BASIS, AgencyGrant
from portal.authorizations import service as auths
from portal.authorizations.tables import Authorization, AuthorizationStatus
from portal.disclosure import service as disclosure
from portal.disclosure.service import Method, Requester, Scope
from portal.lib.dates import today_cn
from portal.queries import policy
from portal.records.categories import CATEGORIES
from portal.sharing import service as sharing
from portal.sharing.tables import ShareableCategory, SharingChange
from portal.uploads.service import store_upload
from tests import factories as f

pytestmark = pytest.mark.anyio

BASIS = "《郑州市公共信用信息管理暂行办法》第十五条（郑政办〔2017〕80号）"
OTHER_BASIS = "《社会信用体系建设规划纲要》及市信用办〔2026〕3号文"


@pytest.fixture
async def restore_marks(db):
    """Marks are global: put back the state this test found (the history keeps the steps)."""
    before = {r["category"]: r["legal_basis"] for r in await ShareableCategory.select()}
    yield
    cleaner = sharing.Actor(None, "test-cleanup")
    for category in await sharing.shareable_under_authorisation() - set(before):
        await sharing.unmark_shareable(cleaner, category, "测试结束，恢复原状")


async def _staff() -> tuple[dict, sharing.Actor]:
    staff = await f.account("staff")
    return staff, sharing.Actor(staff["id"], staff["username"])


async def _changes_since(last_id: int) -> list[dict]:
    return await SharingChange.select().where(SharingChange.id > last_id).order_by(SharingChange.id)


async def _last_change_id() -> int:
    row = await SharingChange.select(SharingChange.id).order_by(SharingChange.id, ascending=False).first()
    return row["id"] if row else 0


def _fields(change: dict) -> tuple:
    return (
        change["rule"],
        change["category"],
        change["action"],
        change["old_basis"],
        change["new_basis"],
        change["basis"],
    )


async def test_marking_and_unmarking_change_what_an_authorisation_may_open_with_history(restore_marks):
    staff, actor = await _staff()
    start, baseline = await _last_change_id(), await sharing.shareable_under_authorisation()
    category = next(c for c in ("judicial", "labour", "accident") if c not in baseline)

    assert await sharing.mark_shareable(actor, category, BASIS) == "grant"
    assert await sharing.shareable_under_authorisation() == baseline | {category}
    assert await sharing.mark_shareable(actor, category, OTHER_BASIS) == "amend"
    assert await sharing.shareable_under_authorisation() == baseline | {category}
    await sharing.unmark_shareable(actor, category, "上级文件废止")
    assert await sharing.shareable_under_authorisation() == baseline

    changes = await _changes_since(start)
    assert [_fields(c) for c in changes] == [
        ("authorisation", category, "grant", "", BASIS, BASIS),
        ("authorisation", category, "amend", BASIS, OTHER_BASIS, OTHER_BASIS),
        ("authorisation", category, "revoke", OTHER_BASIS, "", "上级文件废止"),
    ]
    assert {(c["actor"], c["actor_name"], c["agency"]) for c in changes} == {(staff["id"], staff["username"], None)}
    assert changes[0]["changed_at"] <= changes[-1]["changed_at"]


async def test_granting_and_revoking_change_an_agencys_c_grants_with_history(db):
    staff, actor = await _staff()
    agency, bystander = await f.agency(), await f.agency()
    await sharing.grant_agency(actor, bystander["id"], "judicial", BASIS)
    start = await _last_change_id()
    assert await sharing.agency_c_grants(agency["id"]) == frozenset()

    assert await sharing.grant_agency(actor, agency["id"], "tax_violation", BASIS) == "grant"
    assert await sharing.grant_agency(actor, str(agency["id"]), "labour", BASIS) == "grant"
    assert await sharing.agency_c_grants(agency["id"]) == {"tax_violation", "labour"}
    assert await sharing.grant_agency(actor, agency["id"], "labour", OTHER_BASIS) == "amend"
    await sharing.revoke_agency(actor, agency["id"], "tax_violation", "函件有效期届满")

    assert await sharing.agency_c_grants(agency["id"]) == {"labour"}
    assert await sharing.agency_c_grants(bystander["id"]) == {"judicial"}  # another agency's grant is its own
    rows = await AgencyGrant.select().where(AgencyGrant.agency == agency["id"])
    assert [(r["category"], r["legal_basis"], r["granted_by"]) for r in rows] == [("labour", OTHER_BASIS, staff["id"])]
    changes = await _changes_since(start)
    assert [_fields(c) for c in changes] == [
        ("agency", "tax_violation", "grant", "", BASIS, BASIS),
        ("agency", "labour", "grant", "", BASIS, BASIS),
        ("agency", "labour", "amend", BASIS, OTHER_BASIS, OTHER_BASIS),
        ("agency", "tax_violation", "revoke", BASIS, "", "函件有效期届满"),  # revocation is a change, kept
    ]
    assert {(c["agency"], c["actor"]) for c in changes} == {(agency["id"], staff["id"])}


async def test_a_grant_carried_over_without_a_basis_is_honoured_until_staff_supply_one(db):
    _, actor = await _staff()
    agency = await f.agency()
    # A grant written before bases were recorded (as the migration leaves them).
    await AgencyGrant(agency=agency["id"], category="penalty", granted_at=sharing._now()).save()
    assert await sharing.agency_c_grants(agency["id"]) == {"penalty"}
    start = await _last_change_id()
    assert await sharing.grant_agency(actor, agency["id"], "penalty", BASIS) == "amend"
    (change,) = await _changes_since(start)
    assert (change["old_basis"], change["new_basis"]) == (LEGACY_GRANT_BASIS, BASIS)


@pytest.mark.parametrize("basis", ["", "   ", "x", LEGACY_GRANT_BASIS, "依" * 501])
async def test_a_change_without_a_legal_basis_is_refused(restore_marks, basis):
    _, actor = await _staff()
    agency = await f.agency()
    await sharing.grant_agency(actor, agency["id"], "judicial", BASIS)
    start, marks = await _last_change_id(), await sharing.shareable_under_authorisation()
    attempts = (
        sharing.mark_shareable(actor, "bankruptcy", basis),
        sharing.grant_agency(actor, agency["id"], "labour", basis),
        sharing.revoke_agency(actor, agency["id"], "judicial", basis),
    )
    for attempt in attempts:
        with pytest.raises(sharing.SharingError, match="法律依据"):
            await attempt
    assert await sharing.shareable_under_authorisation() == marks
    assert await sharing.agency_c_grants(agency["id"]) == {"judicial"}
    assert await _changes_since(start) == []


async def test_unknown_categories_agencies_and_repeats_are_refused(restore_marks):
    _, actor = await _staff()
    agency = await f.agency()
    start = await _last_change_id()
    for attempt, message in (
        (sharing.mark_shareable(actor, "no_such_category", BASIS), "请选择信息类别"),
        (sharing.grant_agency(actor, 10**30, "labour", BASIS), "请选择部门"),
        (sharing.grant_agency(actor, "abc", "labour", BASIS), "请选择部门"),
        (sharing.revoke_agency(actor, agency["id"], "labour", BASIS), "未获此类别授权"),
        (sharing.unmark_shareable(actor, "honour", BASIS), "未标记"),
    ):
        with pytest.raises(sharing.SharingError, match=message):
            await attempt
    await sharing.grant_agency(actor, agency["id"], "labour", BASIS)
    with pytest.raises(sharing.SharingError, match="依据未变化"):
        await sharing.grant_agency(actor, agency["id"], "labour", BASIS)
    assert len(await _changes_since(start)) == 1
    assert await sharing.agency_c_grants(10**30) == frozenset()


async def test_two_staff_granting_at_once_give_one_grant_and_one_history_row(db):
    """Concurrent submissions of the same grant: one is recorded, the other refused in Chinese."""
    _, first = await _staff()
    _, second = await _staff()
    agency = await f.agency()
    start = await _last_change_id()
    results = await asyncio.gather(
        sharing.grant_agency(first, agency["id"], "labour", BASIS),
        sharing.grant_agency(second, agency["id"], "labour", BASIS),
        return_exceptions=True,
    )
    assert sorted(map(type, results), key=str) == sorted([str, sharing.SharingError], key=str), results
    assert await sharing.agency_c_grants(agency["id"]) == {"labour"}
    assert [_fields(c) for c in await _changes_since(start)] == [("agency", "labour", "grant", "", BASIS, BASIS)]


async def test_the_history_cannot_be_rewritten(db):
    """SPEC §5: the database itself refuses to update or delete a change."""
    _, actor = await _staff()
    agency = await f.agency()
    await sharing.grant_agency(actor, agency["id"], "labour", BASIS)
    last = await _last_change_id()
    with pytest.raises(Exception, match="append-only"):
        await SharingChange.update({SharingChange.basis: "改写"}).where(SharingChange.id == last)
    with pytest.raises(Exception, match="append-only"):
        await SharingChange.delete().where(SharingChange.id == last)
    row = await SharingChange.select(SharingChange.basis).where(SharingChange.id == last).first()
    assert row == {"basis": BASIS}


# --- observation 10 at service level: what a written authorisation opens ------------------------


async def _authorised_third_party_setup() -> tuple[dict, dict, int]:
    """A legal subject with A, B and C records (C in two categories), and a third party holding an
    effective written authorisation for A, B and C that names no category. The row is written
    directly: how a request becomes effective is not what this test is about."""
    provider, subject = await f.agency(), await f.legal_subject()
    for name, (cls, category) in {
        "A": ("A", "other_positive"),
        "B": ("B", "other_positive"),
        "C-judicial": ("C", "judicial"),
        "C-tax": ("C", "tax_violation"),
    }.items():
        await f.record(
            subject["id"], provider["id"], disclosure_class=cls, category=category, title=f"{name}-{f.unique()}"
        )
    third = await f.account("third_party")
    letter = await store_upload(
        _pdf(), owner_id=third["id"], purpose="authorization_letter", original_name="授权书.pdf"
    )
    today = today_cn()
    row = Authorization(
        requester=third["id"],
        requester_org="测试信用服务机构",
        subject=subject["id"],
        reason_code="credit_report",
        reason_text="为该企业出具第三方信用报告",
        scope_classes="A,B,C",
        scope_categories="",
        valid_from=today,
        valid_until=today + timedelta(days=30),
        letter=letter["id"],
        status=AuthorizationStatus.EFFECTIVE,
        confirmed_via="subject",
        created_at=sharing._now(),
    )
    await row.save()
    return subject, third, row.id


def _pdf() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="written authorisation")
    return bytes(pdf.output())


async def _query(subject: dict, third: dict, authorization_id: int) -> set[str]:
    row = await auths.get(authorization_id)
    assert policy.authorisation_problem(policy.AuthorisationFacts.of(row), third["id"], today_cn()) is None
    assert row["scope_classes"] == "A,B,C" and row["scope_categories"] == ""  # the letter names all of C
    # The query policy's rule for an authorised query, fed by the sharing service: class C
    # only in the categories staff marked, none when none is marked.
    shareable = await sharing.shareable_under_authorisation()
    scope = Scope.of("A,B,C", ",".join(sorted(shareable))) if shareable else Scope.of("A,B")
    found = await disclosure.disclose(
        Requester(third["id"], third["username"], "third_party", "测试信用服务机构"),
        await disclosure.load_subject(subject["id"]),
        scope,
        method=Method.THIRD_PARTY,
        reason_code=row["reason_code"],
        authority=disclosure.Authority(ref=f"authorization:{authorization_id}"),
    )
    return {r["title"].rsplit("-", 1)[0] for r in found.records}


async def test_observation_10_an_authorised_third_party_gets_class_c_only_in_shareable_categories(app, restore_marks):
    """Observation 10: the authorisation names class C, yet only categories staff marked shareable
    are disclosed — none by default (R-15)."""
    subject, third, authorization_id = await _authorised_third_party_setup()
    _, actor = await _staff()
    marks = await sharing.shareable_under_authorisation()
    for category in marks & {"judicial", "tax_violation"}:  # start from the default for these two
        await sharing.unmark_shareable(actor, category, "测试前置：恢复默认")
    async with AsyncTestClient(app=app, base_url="http://testserver.local"):  # the app's audit writer
        assert await _query(subject, third, authorization_id) == {"A", "B"}
        await sharing.mark_shareable(actor, "judicial", BASIS)
        assert await _query(subject, third, authorization_id) == {"A", "B", "C-judicial"}
        await sharing.unmark_shareable(actor, "judicial", "测试：取消")
        assert await _query(subject, third, authorization_id) == {"A", "B"}
    for category in marks & {"judicial", "tax_violation"}:
        await sharing.mark_shareable(actor, category, "测试结束：恢复原标记")


# --- the staff page -----------------------------------------------------------------------------


@asynccontextmanager
async def _as(app, user: dict):
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        assert (await f.login(client, user["username"])).status_code == 303
        yield client


async def test_staff_page_grants_and_revokes_with_post_redirect_get(app, restore_marks):
    staff, _ = await _staff()
    agency = await f.agency()
    async with _as(app, staff) as client:
        token = client.cookies.get("csrftoken")
        page = await client.get("/staff/sharing")
        assert (
            page.status_code == 200
            and "偷税、欠税、骗取出口退税、抗税信息" in page.text
            and agency["name"] in page.text
        )

        form = {"agency_id": str(agency["id"]), "category": "tax_violation", "action": "grant", "legal_basis": BASIS}
        done = await client.post("/staff/sharing/grants", data={**form, "_csrf_token": token}, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == "/staff/sharing?done=grant"
        assert await sharing.agency_c_grants(agency["id"]) == {"tax_violation"}
        after = await client.get(done.headers["location"])
        assert "已授予并记录变更" in after.text and BASIS in after.text

        mark = {"category": "labour", "action": "grant", "legal_basis": BASIS, "_csrf_token": token}
        assert (await client.post("/staff/sharing/categories", data=mark, follow_redirects=False)).status_code == 303
        assert "labour" in await sharing.shareable_under_authorisation()

        revoke = {**form, "action": "revoke", "legal_basis": "授权期满", "_csrf_token": token}
        assert (await client.post("/staff/sharing/grants", data=revoke, follow_redirects=False)).status_code == 303
        assert await sharing.agency_c_grants(agency["id"]) == frozenset()
        rows = re.findall(r'data-change="(\d+)">(.*?)</tr>', (await client.get("/staff/sharing")).text, re.S)
        assert [int(i) for i, _ in rows] == sorted((int(i) for i, _ in rows), reverse=True)  # newest first
        assert "撤销" in rows[0][1] and agency["name"] in rows[0][1] and "授权期满" in rows[0][1]
        assert "授予" in rows[2][1] and agency["name"] in rows[2][1] and BASIS in rows[2][1]


async def test_staff_page_refuses_a_change_without_basis_in_chinese(app):
    staff, _ = await _staff()
    agency = await f.agency()
    start = await _last_change_id()
    async with _as(app, staff) as client:
        form = {"agency_id": str(agency["id"]), "category": "labour", "action": "grant", "legal_basis": " "}
        refused = await client.post(
            "/staff/sharing/grants", data={**form, "_csrf_token": client.cookies.get("csrftoken")}
        )
        assert refused.status_code == 400
        assert "请填写法律依据" in refused.text and 'role="alert"' in refused.text
        assert 'value="labour" selected' in refused.text  # the form keeps what was chosen
        bad = await client.post(
            "/staff/sharing/categories",
            data={
                "category": "labour",
                "action": "x",
                "legal_basis": BASIS,
                "_csrf_token": client.cookies.get("csrftoken"),
            },
        )
        assert bad.status_code == 400 and "请选择操作" in bad.text
        assert (await client.get("/staff/sharing?before=99999999999999999999")).status_code == 400
    assert await sharing.agency_c_grants(agency["id"]) == frozenset()
    assert await _changes_since(start) == []


async def test_history_is_keyset_paged_newest_first(app):
    staff, actor = await _staff()
    agency = await f.agency()
    categories = list(CATEGORIES)[: sharing.HISTORY_PAGE // 2 + 1]
    for category in categories:  # 2 × 26 = 52 changes, more than a page
        await sharing.grant_agency(actor, agency["id"], category, BASIS)
        await sharing.revoke_agency(actor, agency["id"], category, "测试撤销")
    newest = await _last_change_id()
    first, before = await sharing.history()
    assert len(first) == sharing.HISTORY_PAGE and first[0]["id"] == newest
    assert [r["id"] for r in first] == sorted((r["id"] for r in first), reverse=True)
    assert before == first[-1]["id"]
    second, _ = await sharing.history(before)
    assert second and second[0]["id"] < before
    async with _as(app, staff) as client:
        page = await client.get("/staff/sharing")
        assert f'href="/staff/sharing?before={before}"' in page.text
        older = await client.get(f"/staff/sharing?before={before}")
        assert older.status_code == 200 and f'data-change="{second[0]["id"]}"' in older.text
        assert f'data-change="{newest}"' not in older.text


@pytest.mark.parametrize("role", ["citizen", "enterprise", "third_party", "agency", "auditor", "admin", "anonymous"])
async def test_only_staff_may_see_or_change_the_sharing_rules(app, restore_marks, role):
    agency = await f.agency()
    start, marks = await _last_change_id(), await sharing.shareable_under_authorisation()
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        if role == "anonymous":
            await client.get("/login")
        else:
            user = await f.account(role, agency_id=agency["id"] if role == "agency" else None)
            assert (await f.login(client, user["username"])).status_code == 303
        token = client.cookies.get("csrftoken")
        page = await client.get("/staff/sharing", follow_redirects=False)
        assert page.status_code in (401, 403) or page.headers.get("location", "").startswith("/login")
        for path, form in (
            ("/staff/sharing/grants", {"agency_id": str(agency["id"]), "category": "labour"}),
            ("/staff/sharing/categories", {"category": "labour"}),
        ):
            sent = await client.post(path, data={**form, "action": "grant", "legal_basis": BASIS, "_csrf_token": token})
            assert sent.status_code in (401, 403)
    assert await sharing.agency_c_grants(agency["id"]) == frozenset()
    assert await sharing.shareable_under_authorisation() == marks
    assert await _changes_since(start) == []
