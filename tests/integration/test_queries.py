"""The non-public query paths, allowed and refused, each with its audit entry (R-15, R-18, R-19).

Every subject here carries records with unique markers in classes A, B and C; the tests show
which requester sees which marker, and what the audit log recorded for each attempt. A query is a
POST that records and redirects to its receipt page (DESIGN rule 7); the page is a GET.
"""

from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO

import pytest
from litestar.testing import AsyncTestClient

from audit import recorder
from portal.agencies.tables import AgencyGrant
from portal.authorizations.tables import Authorization
from portal.proofs import service as proofs
from portal.queries.tables import QueryReceipt
from portal.sharing import service as sharing
from portal.subjects.identity import subject_ref
from portal.subjects.tables import Subject
from tests import factories as f
from tests.queryflow import csrf as _csrf
from tests.queryflow import logged_in as _as
from tests.queryflow import post_query, proven_requester, self_query
from tests.queryflow import verified_account as _verified_account

pytestmark = pytest.mark.anyio


def _pdf_bytes(text: str = "authorisation") -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=text)
    return bytes(pdf.output())


async def _subject_with_markers(kind: str = "legal") -> dict:
    agency = await f.agency()
    subject = await (f.legal_subject() if kind == "legal" else f.natural_subject("王测试"))
    tag = f.unique()
    markers = {cls: f"MARK-{cls}-{tag}" for cls in "ABC"}
    category = "judicial" if kind == "legal" else "person_judicial"
    for cls, marker in markers.items():
        await f.record(
            subject["id"],
            agency["id"],
            disclosure_class=cls,
            category=category if cls == "C" else ("other_positive" if kind == "legal" else "person_positive"),
            polarity="negative" if cls == "C" else "positive",
            title=marker,
        )
    # A second class-C record in a category no agency is granted.
    other = f"MARK-C2-{tag}"
    await f.record(
        subject["id"],
        agency["id"],
        disclosure_class="C",
        category="tax_violation" if kind == "legal" else "person_negative",
        polarity="negative",
        title=other,
    )
    markers["C2"] = other
    row = await Subject.select().where(Subject.id == subject["id"]).first()
    return {**subject, "markers": markers, "ref": subject_ref(row), "agency": agency, "category": category}


async def _last_entry(ref: str) -> dict:
    history = await recorder.subject_history(ref, limit=1)
    assert history, "no audit entry was recorded"
    return history[0]


def _seen(body: str, markers: dict) -> set[str]:
    return {key for key, marker in markers.items() if marker in body}


async def _entries(ref: str) -> list[dict]:
    return await recorder.subject_history(ref, limit=500)


# --- 本人查询 -------------------------------------------------------------------------------------


async def test_verified_subject_sees_all_own_records_and_is_audited(app):
    s = await _subject_with_markers("natural")
    user = await _verified_account("citizen", s["id"])
    async with _as(app, user) as client:
        before = await client.get("/me/records")  # the page with the button: nothing read yet
        assert before.status_code == 200 and _seen(before.text, s["markers"]) == set()
        assert await _entries(s["ref"]) == []
        page = await self_query(client)
    assert page.status_code == 200 and "/queries/" in str(page.url)
    assert _seen(page.text, s["markers"]) == {"A", "B", "C", "C2"}
    assert s["id_number"] not in page.text  # the full ID number is never shown
    entry = await _last_entry(s["ref"])
    assert entry["outcome"] == "allowed" and entry["method"] == "web_self"
    assert entry["subject_query_count"] == 1


async def test_unverified_subject_is_refused_and_the_refusal_is_audited(app):
    s = await _subject_with_markers("natural")
    user = await f.account("citizen", subject_id=s["id"])
    async with _as(app, user) as client:
        page = await client.get("/me/records")
        assert page.status_code == 200 and "身份核验" in page.text and "查询本人信用信息" not in page.text
        refused = await self_query(client)
    assert (
        refused.status_code == 403
        and "身份未核验：身份核验通过后方可查询" in refused.text
        and "/me/verify" in refused.text
    )
    assert _seen(refused.text, s["markers"]) == set()
    entry = await _last_entry(s["ref"])
    assert entry["outcome"] == "refused:identity_not_verified"


async def test_reloading_a_result_neither_queries_again_nor_counts(app):
    """Observation 4: a reload re-ran the query and inflated the count and 谁查询了我."""
    s = await _subject_with_markers("legal")
    user = await _verified_account("enterprise", s["id"])
    async with _as(app, user) as client:
        first = await self_query(client)
        for _ in range(3):
            again = await client.get(str(first.url))
            assert again.status_code == 200 and _seen(again.text, s["markers"]) == {"A", "B", "C", "C2"}
            assert again.headers["cache-control"] == "no-store"
        history = await client.get("/me/queries")
    assert len(await _entries(s["ref"])) == 1
    assert (await recorder.subject_count(s["ref"])).allowed == 1
    assert history.text.count('<td class="pr-3">本人网上查询</td>') == 1


async def test_a_receipt_is_its_owners_only_and_expires(app):
    s = await _subject_with_markers("legal")
    owner = await _verified_account("enterprise", s["id"])
    other = await _verified_account("enterprise", s["id"])  # a second staff account of the same firm
    async with _as(app, owner) as client:
        result = await self_query(client)
        url = str(result.url)
        async with _as(app, other) as second:
            assert (await second.get(url)).status_code == 404
            assert (await second.post(url + "/report", data={"_csrf_token": _csrf(second)})).status_code == 404
        token = url.rsplit("/", 1)[1]
        from portal.queries.service import _digest

        await QueryReceipt.update({QueryReceipt.expires_at: QueryReceipt.created_at}).where(
            QueryReceipt.token_digest == _digest(token)
        )
        gone = await client.get(url)
    assert gone.status_code == 410 and "已过期" in gone.text and _seen(gone.text, s["markers"]) == set()
    assert len(await _entries(s["ref"])) == 1
    # Housekeeping drops expired receipts; the audit entry of the query stays.
    from portal.queries.service import purge_expired_receipts

    assert await purge_expired_receipts() >= 1
    assert not await QueryReceipt.exists().where(QueryReceipt.token_digest == _digest(token))
    assert len(await _entries(s["ref"])) == 1


async def test_personal_routes_record_nothing_for_anonymous_visitors_or_gets(app):
    """Observation 4: every anonymous GET /me/records (or .pdf) appended a 5-year audit entry, and a
    cross-site top-level navigation made a logged-in citizen perform an audited self-query."""
    from audit import service as audit_service
    from audit.service import BrowseFilters

    s = await _subject_with_markers("natural")
    user = await _verified_account("citizen", s["id"])
    tag = f.unique("anon-")
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as anonymous:
        for path in ("/me/records", "/me/records.pdf", "/me/queries"):
            answer = await anonymous.get(path, headers={"x-request-id": tag}, follow_redirects=False)
            assert answer.status_code in (302, 303, 404) and _seen(answer.text, s["markers"]) == set()
            if answer.status_code != 404:
                assert answer.headers["location"].startswith("/login")
        await anonymous.get("/login")
        posted = await anonymous.post(
            "/me/records", data={"_csrf_token": _csrf(anonymous)}, headers={"x-request-id": tag}
        )
        assert posted.status_code == 401
    async with _as(app, user) as client:
        # A link or form on another site: the GET opens the page only; a POST lacks the CSRF token.
        opened = await client.get("/me/records", headers={"sec-fetch-site": "cross-site"})
        assert opened.status_code == 200 and _seen(opened.text, s["markers"]) == set()
        forged = await client.post("/me/records", data={}, headers={"origin": "https://evil.example"})
        assert forged.status_code == 403 and _seen(forged.text, s["markers"]) == set()
    assert await _entries(s["ref"]) == []
    anonymous_entries = await audit_service.browse(BrowseFilters(outcome="refused"), None, 500)
    assert not any(e["request_id"] == tag for e in anonymous_entries.items)


async def test_the_pdf_is_built_from_the_receipt(app):
    s = await _subject_with_markers("legal")
    user = await _verified_account("enterprise", s["id"])
    async with _as(app, user) as client:
        result = await self_query(client)
        assert (await client.get(str(result.url) + "/report")).status_code == 405  # a GET issues nothing
        pdf = await client.post(str(result.url) + "/report", data={"_csrf_token": _csrf(client)})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf.headers["content-disposition"]
    assert len(await _entries(s["ref"])) == 1  # the report cites the query; it is not a second one


async def test_who_queried_me_lists_requesters_and_count(app):
    s = await _subject_with_markers("legal")
    user = await _verified_account("enterprise", s["id"])
    async with _as(app, user) as client:
        await self_query(client)
        page = await client.get("/me/queries")
    assert page.status_code == 200
    assert "本人网上查询" in page.text and "累计被查询" in page.text
    assert f"<strong>{(await recorder.subject_count(s['ref'])).allowed}</strong>" in page.text


# --- 授权查询 -------------------------------------------------------------------------------------


async def _file_request(client, subject: dict, classes=("B",), days=30, categories=(), reason=None) -> str:
    today = date.today()
    form = {
        "subject_kind": "legal",
        "uscc": subject["uscc"],
        "reason_code": "business_cooperation",
        "reason_text": "签订采购合同前了解交易对方信用状况",
        "valid_from": today.isoformat(),
        "valid_until": (today + timedelta(days=days)).isoformat(),
        "_csrf_token": _csrf(client),
        **(reason or {}),
    }
    for cls in classes:
        form[f"class_{cls.lower()}"] = "1"
    files = {"letter": ("授权书.pdf", BytesIO(_pdf_bytes()), "application/pdf")}
    response = await client.post("/requests", data=form, files=files, follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"]


async def _decide(app, owner: dict, location: str, action: str) -> None:
    async with _as(app, owner) as subject_client:
        done = await subject_client.post(
            f"/me/authorizations/{location.rsplit('/', 1)[1]}",
            data={"action": action, "_csrf_token": _csrf(subject_client)},
            follow_redirects=False,
        )
        assert done.status_code == 303


async def test_third_party_query_needs_an_effective_authorisation(app):
    s = await _subject_with_markers("legal")
    requester = await f.proven("third_party")  # only a proven requester files
    owner = await _verified_account("enterprise", s["id"])
    async with _as(app, requester) as client:
        location = await _file_request(client, s, classes=("B",))
        pending = await post_query(client, location + "/query")
        assert pending.status_code == 403 and _seen(pending.text, s["markers"]) == set()
        assert (await _last_entry(s["ref"]))["outcome"] == "refused:authorization_not_effective"

        async with _as(app, owner) as subject_client:
            assert "确认授权" in (await subject_client.get("/me/authorizations")).text
        await _decide(app, owner, location, "approve")

        allowed = await post_query(client, location + "/query")
        assert allowed.status_code == 200 and "/queries/" in str(allowed.url)
        assert _seen(allowed.text, s["markers"]) == {"A", "B"}  # scope A+B: never C
        entry = await _last_entry(s["ref"])
        assert entry["outcome"] == "allowed" and entry["method"] == "third_party"

        await _decide(app, owner, location, "revoke")
        revoked = await post_query(client, location + "/query")
        assert revoked.status_code == 403 and _seen(revoked.text, s["markers"]) == set()
        assert (await _last_entry(s["ref"]))["outcome"] == "refused:authorization_revoked"


async def test_authorised_class_c_only_in_categories_marked_shareable(app):
    """Observation 10: an authorised third party received every class-C category (R-15: C goes only
    to some bodies, per category). By default no category is shareable under an authorisation."""
    from portal.authorizations.tables import Authorization

    s = await _subject_with_markers("legal")
    requester = await f.proven("enterprise")  # only a proven requester files
    staff = await f.account("staff")
    async with _as(app, requester) as client:
        location = await _file_request(client, s, classes=("B", "C"))
        number = int(location.rsplit("/", 1)[1])
        async with _as(app, staff) as staff_client:
            assert s["name"] in (await staff_client.get("/staff/reviews")).text
            accepted = await staff_client.post(
                f"/staff/authorizations/{number}",
                data={"action": "approve", "_csrf_token": _csrf(staff_client)},
                follow_redirects=False,
            )
            assert accepted.status_code == 303
        allowed = await post_query(client, location + "/query")
        assert allowed.status_code == 200
        assert _seen(allowed.text, s["markers"]) == {"A", "B"}  # no class C without a sharing mark
        staff_actor = sharing.Actor(staff["id"], "测试staff")
        await sharing.mark_shareable(staff_actor, s["category"], "《办法》第十五条：经主体书面授权可查询的司法信息")
        try:
            marked = await post_query(client, location + "/query")
            assert _seen(marked.text, s["markers"]) == {"A", "B", "C"}  # not C2: its category is not marked
        finally:
            await sharing.unmark_shareable(staff_actor, s["category"], "测试结束，恢复默认不共享的状态")
        unmarked = await post_query(client, location + "/query")
        assert _seen(unmarked.text, s["markers"]) == {"A", "B"}
        await Authorization.update({Authorization.valid_until: date.today() - timedelta(days=1)}).where(
            Authorization.id == number
        )
        expired = await post_query(client, location + "/query")
        assert expired.status_code == 403 and _seen(expired.text, s["markers"]) == set()
        assert (await _last_entry(s["ref"]))["outcome"] == "refused:authorization_expired"
        # The result page of the earlier query stays readable inside its window (it is a receipt).
        assert _seen((await client.get(str(allowed.url))).text, s["markers"]) == {"A", "B"}


async def test_an_unproven_requester_cannot_query_even_with_an_authorisation(app):
    """Observation 1: an enterprise account that never proved it is that company received A/B/C
    records once the subject approved its request."""
    from portal.authorizations.tables import Authorization, AuthorizationStatus

    s = await _subject_with_markers("legal")
    proven = await proven_requester("enterprise")
    async with _as(app, proven) as client:
        location = await _file_request(client, s, classes=("B",))
    number = int(location.rsplit("/", 1)[1])
    unproven = await f.account("enterprise", subject_id=(await f.legal_subject())["id"])
    # The same effective authorisation, held by an account whose licence was never accepted.
    await Authorization.update(
        {Authorization.requester: unproven["id"], Authorization.status: AuthorizationStatus.EFFECTIVE}
    ).where(Authorization.id == number)
    async with _as(app, unproven) as client:
        refused = await post_query(client, f"/requests/{number}/query")
    assert refused.status_code == 403 and _seen(refused.text, s["markers"]) == set()
    assert (await _last_entry(s["ref"]))["outcome"] == "refused:requester_not_proven"


async def test_another_requester_cannot_use_someone_elses_authorisation(app):
    s = await _subject_with_markers("legal")
    first, second = await f.proven("third_party"), await f.proven("third_party")
    async with _as(app, first) as client:
        location = await _file_request(client, s)
    async with _as(app, second) as other:
        assert (await other.get(location)).status_code == 404
        stolen = await post_query(other, location + "/query")
        assert stolen.status_code == 404 and _seen(stolen.text, s["markers"]) == set()
    async with _as(app, await f.account("citizen")) as wrong_role:
        tried = await post_query(wrong_role, location + "/query")
        assert tried.status_code == 403 and _seen(tried.text, s["markers"]) == set()
    # The attempts are on the record, naming the authorisation, but not on the subject's
    # 谁查询了我: strangers trying numbers must not fill someone's history.
    from audit import service as audit_service
    from audit.service import BrowseFilters

    assert [e for e in await _entries(s["ref"]) if e["outcome"].startswith("refused")] == []
    entries = (await audit_service.browse(BrowseFilters(requester_account=second["username"]), None, 5)).items
    assert [(e["outcome"], e["method"], e["subject_ref"], e["authority_ref"]) for e in entries] == [
        ("refused:not_requester", "third_party", "unknown", f"authorization:{location.rsplit('/', 1)[1]}")
    ]


# --- 部门履职查询 -----------------------------------------------------------------------------------


async def _agency_query(
    client,
    subject: dict,
    c_categories=(),
    letter=True,
    reason="supervision_approval",
    text="行政审批事项 审批编号2026-001",
):
    form = {
        "subject_kind": "legal",
        "uscc": subject["uscc"],
        "reason_code": reason,
        "reason_text": text,
        "_csrf_token": _csrf(client),
    }
    if c_categories:
        form["c_categories"] = list(c_categories)
        form["letter_number"] = "郑法函〔2026〕12号"
    files = {"letter": ("函件.pdf", BytesIO(_pdf_bytes("letter")), "application/pdf")} if letter else None
    return await client.post("/agency/query", data=form, files=files)


async def test_agency_uses_class_b_and_class_c_only_when_granted_with_a_letter(app):
    s = await _subject_with_markers("legal")
    officer_agency = await f.agency()
    officer = await f.account("agency", agency_id=officer_agency["id"])
    async with _as(app, officer) as client:
        b_only = await _agency_query(client, s, letter=False)
        assert b_only.status_code == 200 and _seen(b_only.text, s["markers"]) == {"B"}
        assert (await _last_entry(s["ref"]))["method"] == "agency"

        not_granted = await _agency_query(client, s, c_categories=[s["category"]])
        assert not_granted.status_code == 403 and _seen(not_granted.text, s["markers"]) == set()
        assert (await _last_entry(s["ref"]))["outcome"] == "refused:category_not_granted"

        await AgencyGrant(agency=officer_agency["id"], category=s["category"], granted_at=proofs._now()).save()
        no_letter = await _agency_query(client, s, c_categories=[s["category"]], letter=False)
        assert no_letter.status_code == 403 and _seen(no_letter.text, s["markers"]) == set()
        assert (await _last_entry(s["ref"]))["outcome"] == "refused:no_official_letter"

        with_letter = await _agency_query(client, s, c_categories=[s["category"]])
        assert with_letter.status_code == 200
        assert _seen(with_letter.text, s["markers"]) == {"B", "C"}  # not C2: its category is not granted
        from audit import service as audit_service

        entry = await audit_service.entry((await _last_entry(s["ref"]))["seq"])
        assert entry["outcome"] == "allowed" and entry["authority_ref"].startswith("official_letter:")
        assert len(entry["authority_sha256"]) == 64


async def test_an_id_number_typed_into_a_reason_is_kept_and_shown_masked(app):
    """DESIGN rule 4: the audit log masked it, but the receipt and the authorisation kept it whole
    and the result page showed it back."""
    s = await _subject_with_markers("legal")
    number = f.new_id_number()
    masked = number[:4] + "*" * 10 + number[-4:]
    officer = await f.account("agency", agency_id=(await f.agency())["id"])
    async with _as(app, officer) as client:
        result = await _agency_query(client, s, letter=False, text=f"核查 {number} 涉案线索")
        assert result.status_code == 200 and f"核查 {masked} 涉案线索" in result.text and number not in result.text
    requester = await f.proven("third_party")
    async with _as(app, requester) as client:
        form = {"reason_code": "other", "reason_text": f"与 {number} 有关的合同"}
        location = await _file_request(client, s, reason=form)
        page = await client.get(location)
        assert f"与 {masked} 有关的合同" in page.text and number not in page.text
    stored = await QueryReceipt.select(QueryReceipt.reason_text).where(QueryReceipt.subject == s["id"])
    assert [row["reason_text"] for row in stored] == [f"核查 {masked} 涉案线索"]
    filed = await Authorization.select(Authorization.reason_text).where(Authorization.subject == s["id"])
    assert [row["reason_text"] for row in filed] == [f"与 {masked} 有关的合同"]


async def test_agency_reasons_resting_on_an_authorisation_are_refused(app):
    """Observation 10: agency reasons marked 经主体书面授权 needed no authorisation."""
    s = await _subject_with_markers("legal")
    officer = await f.account("agency", agency_id=(await f.agency())["id"])
    async with _as(app, officer) as client:
        form = await client.get("/agency/query")
        assert 'value="financing"' not in form.text and 'value="supervision_approval"' in form.text
        refused = await _agency_query(client, s, letter=False, reason="financing")
    assert refused.status_code == 403 and _seen(refused.text, s["markers"]) == set()
    assert (await _last_entry(s["ref"]))["outcome"] == "refused:authorization_required"


async def test_agency_input_errors_keep_the_form_and_record_nothing(app):
    officer = await f.account("agency", agency_id=(await f.agency())["id"])
    async with _as(app, officer) as client:
        unknown = await _agency_query(client, {"uscc": f.new_uscc()}, letter=False)
    assert unknown.status_code == 400 and "没有与所填信息一致的信用主体" in unknown.text
    assert 'name="reason_text"' in unknown.text and "审批编号2026-001" in unknown.text


# --- identity proofs ------------------------------------------------------------------------------


async def test_identity_proof_by_document_then_staff_review(app):
    s = await _subject_with_markers("natural")
    citizen = await f.account("citizen", subject_id=s["id"])
    staff = await f.account("staff")
    async with _as(app, citizen) as client:
        files = {"document": ("身份证.pdf", BytesIO(_pdf_bytes("id card")), "application/pdf")}
        sent = await client.post("/me/verify", data={"_csrf_token": _csrf(client)}, files=files, follow_redirects=False)
        assert sent.status_code == 303
        assert (await self_query(client)).status_code == 403
        async with _as(app, staff) as staff_client:
            queue = await staff_client.get("/staff/reviews")
            proof = (await proofs.latest_proof(citizen["id"]))["id"]
            assert f"/staff/proofs/{proof}" in queue.text
            done = await staff_client.post(
                f"/staff/proofs/{proof}",
                data={"action": "approve", "_csrf_token": _csrf(staff_client)},
                follow_redirects=False,
            )
            assert done.status_code == 303
        page = await self_query(client)
        assert page.status_code == 200 and _seen(page.text, s["markers"]) == {"A", "B", "C", "C2"}


async def test_counter_check_compares_the_registered_number(app):
    s = await _subject_with_markers("natural")
    citizen = await f.account("citizen", subject_id=s["id"])
    staff = await f.account("staff")
    async with _as(app, staff) as staff_client:
        wrong = await staff_client.post(
            "/staff/counter",
            data={"username": citizen["username"], "id_number": f.new_id_number(), "_csrf_token": _csrf(staff_client)},
        )
        assert wrong.status_code == 400 and "不一致" in wrong.text
        right = await staff_client.post(
            "/staff/counter",
            data={"username": citizen["username"], "id_number": s["id_number"], "_csrf_token": _csrf(staff_client)},
            follow_redirects=False,
        )
        assert right.status_code == 303
    assert await proofs.is_proven(citizen["id"])


# --- refusals -------------------------------------------------------------------------------------


async def test_wrong_role_is_recorded_and_anonymous_attempts_are_not(app):
    """A query opened by the wrong role is refused and on the record; one by nobody is sent to log
    in and recorded nowhere (observation 4: anonymous requests must not fill the 5-year log)."""
    from audit import service as audit_service
    from audit.service import BrowseFilters

    citizen = await f.account("citizen", subject_id=(await f.natural_subject("孙越权"))["id"])
    async with _as(app, citizen) as client:
        denied = await client.post("/agency/query", data={"_csrf_token": _csrf(client), "reason_code": "x"})
    assert denied.status_code == 403
    page = await audit_service.browse(BrowseFilters(requester_account=citizen["username"]), None, 5)
    assert [(e["outcome"], e["method"], e["requester_role"]) for e in page.items] == [
        ("refused:wrong_role", "agency", "citizen")
    ]

    tag = f.unique("req-")
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as anonymous:
        await anonymous.get("/login")
        answer = await anonymous.post(
            "/requests/1/query",
            data={"_csrf_token": anonymous.cookies.get("csrftoken")},
            headers={"x-request-id": tag},
            follow_redirects=False,
        )
    assert answer.status_code == 401  # a POST is not redirected to the login page
    refused = await audit_service.browse(BrowseFilters(outcome="refused"), None, 500)
    assert not any(e["request_id"] == tag for e in refused.items)


async def test_refusals_are_recorded_up_to_a_limit_per_account(app):
    from portal.settings import get_settings

    limit = get_settings().query_refusals_per_window
    s = await _subject_with_markers("natural")
    user = await f.account("citizen", subject_id=s["id"])  # never verified: every self-query is refused
    async with _as(app, user) as client:
        answers = [(await self_query(client)).status_code for _ in range(limit + 3)]
    assert answers == [403] * limit + [429] * 3
    entries = await _entries(s["ref"])
    assert len(entries) == limit and {e["outcome"] for e in entries} == {"refused:identity_not_verified"}


async def test_who_queried_me_pages_through_older_entries(app):
    """谁查询了我 shows the newest page and loads older ones by keyset: every entry once, in order."""
    from portal.queries.self_routes import HISTORY_PAGE

    s = await _subject_with_markers("legal")
    user = await _verified_account("enterprise", s["id"])
    async with _as(app, user) as client:
        for _ in range(HISTORY_PAGE + 5):
            await self_query(client, **{"x-request-id": f.unique("hist-")})
        first = await client.get("/me/queries")
        assert first.text.count('<td class="pr-3">本人网上查询</td>') == HISTORY_PAGE and "更早的记录" in first.text
        # The page's own "older" link (the header also loads the unread-notice count by hx-get).
        link = first.text.split('hx-get="/me/queries', 1)[1].split('"', 1)[0]
        link = "/me/queries" + link
        older = await client.get(link, headers={"hx-request": "true"})
    assert older.status_code == 200 and "<html" not in older.text  # a fragment of rows
    assert older.text.count('<td class="pr-3">本人网上查询</td>') == 5 and "更早的记录" not in older.text
    history = await recorder.subject_history(s["ref"], limit=200)
    assert len(history) == HISTORY_PAGE + 5
