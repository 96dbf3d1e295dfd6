"""The non-public query paths, allowed and refused, each with its audit entry (issue 3; R-15, R-18, R-19).

Every subject here carries records with unique markers in classes A, B and C; the tests show
which requester sees which marker, and what the audit log recorded for each attempt.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import date, timedelta
from io import BytesIO

import pytest
from litestar.testing import AsyncTestClient

from audit import recorder
from portal.agencies.tables import AgencyGrant
from portal.proofs import service as proofs
from portal.subjects.identity import subject_ref
from portal.subjects.tables import Subject
from tests import factories as f

pytestmark = pytest.mark.anyio


def _pdf_bytes(text: str = "authorisation") -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=text)
    return bytes(pdf.output())


@asynccontextmanager
async def _as(app, user: dict):
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        response = await f.login(client, user["username"])
        assert response.status_code == 303
        yield client


def _csrf(client) -> str:
    return client.cookies.get("csrftoken")


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


async def _verified_account(role: str, subject_id: int) -> dict:
    user = await f.account(role, subject_id=subject_id)
    staff = await f.account("staff")
    await proofs.IdentityProof(
        account=user["id"],
        subject=subject_id,
        method="counter",
        status="verified",
        submitted_at=proofs._now(),
        reviewed_by=staff["id"],
        reviewed_at=proofs._now(),
    ).save()
    return user


async def _last_entry(ref: str) -> dict:
    history = await recorder.subject_history(ref, limit=1)
    assert history, "no audit entry was recorded"
    return history[0]


def _seen(body: str, markers: dict) -> set[str]:
    return {key for key, marker in markers.items() if marker in body}


async def test_verified_subject_sees_all_own_records_and_is_audited(app):
    s = await _subject_with_markers("natural")
    user = await _verified_account("citizen", s["id"])
    async with _as(app, user) as client:
        page = await client.get("/me/records")
    assert page.status_code == 200
    assert _seen(page.text, s["markers"]) == {"A", "B", "C", "C2"}
    assert s["id_number"] not in page.text  # the full ID number is never shown
    entry = await _last_entry(s["ref"])
    assert entry["outcome"] == "allowed" and entry["method"] == "web_self"
    assert entry["subject_query_count"] >= 1


async def test_unverified_subject_is_refused_and_the_refusal_is_audited(app):
    s = await _subject_with_markers("natural")
    user = await f.account("citizen", subject_id=s["id"])
    async with _as(app, user) as client:
        page = await client.get("/me/records")
    assert page.status_code == 403 and "身份核验" in page.text
    assert _seen(page.text, s["markers"]) == set()
    entry = await _last_entry(s["ref"])
    assert entry["outcome"] == "refused:identity_not_verified"


async def test_who_queried_me_lists_requesters_and_count(app):
    s = await _subject_with_markers("legal")
    user = await _verified_account("enterprise", s["id"])
    async with _as(app, user) as client:
        await client.get("/me/records")
        page = await client.get("/me/queries")
    assert page.status_code == 200
    assert "本人网上查询" in page.text and "累计被查询" in page.text
    assert f"<strong>{(await recorder.subject_count(s['ref'])).allowed}</strong>" in page.text


async def _file_request(client, subject: dict, classes=("B",), days=30) -> str:
    today = date.today()
    form = {
        "subject_kind": "legal",
        "uscc": subject["uscc"],
        "reason_code": "business_cooperation",
        "reason_text": "签订采购合同前了解交易对方信用状况",
        "valid_from": today.isoformat(),
        "valid_until": (today + timedelta(days=days)).isoformat(),
        "_csrf_token": _csrf(client),
    }
    for cls in classes:
        form[f"class_{cls.lower()}"] = "1"
    files = {"letter": ("授权书.pdf", BytesIO(_pdf_bytes()), "application/pdf")}
    response = await client.post("/requests", data=form, files=files, follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"]


async def test_third_party_query_needs_an_effective_authorisation(app):
    s = await _subject_with_markers("legal")
    requester = await f.proven("third_party")  # only a proven requester files
    owner = await _verified_account("enterprise", s["id"])
    async with _as(app, requester) as client:
        location = await _file_request(client, s, classes=("B",))
        pending = await client.post(location + "/query", data={"_csrf_token": _csrf(client)})
        assert pending.status_code == 403 and _seen(pending.text, s["markers"]) == set()
        assert (await _last_entry(s["ref"]))["outcome"] == "refused:authorization_not_effective"

        async with _as(app, owner) as subject_client:
            mine = await subject_client.get("/me/authorizations")
            assert "确认授权" in mine.text
            number = location.rsplit("/", 1)[1]
            ok = await subject_client.post(
                f"/me/authorizations/{number}",
                data={"action": "approve", "_csrf_token": _csrf(subject_client)},
                follow_redirects=False,
            )
            assert ok.status_code == 303

        allowed = await client.post(location + "/query", data={"_csrf_token": _csrf(client)})
        assert allowed.status_code == 200
        assert _seen(allowed.text, s["markers"]) == {"A", "B"}  # scope A+B: never C
        entry = await _last_entry(s["ref"])
        assert entry["outcome"] == "allowed" and entry["method"] == "third_party"

        async with _as(app, owner) as subject_client:
            await subject_client.post(
                f"/me/authorizations/{number}", data={"action": "revoke", "_csrf_token": _csrf(subject_client)}
            )
        revoked = await client.post(location + "/query", data={"_csrf_token": _csrf(client)})
        assert revoked.status_code == 403 and _seen(revoked.text, s["markers"]) == set()
        assert (await _last_entry(s["ref"]))["outcome"] == "refused:authorization_revoked"


async def test_expired_authorisation_stops_at_once_and_staff_can_accept_a_letter(app):
    from portal.authorizations.tables import Authorization

    s = await _subject_with_markers("legal")
    requester = await f.proven("enterprise")  # only a proven requester files
    staff = await f.account("staff")
    async with _as(app, requester) as client:
        location = await _file_request(client, s, classes=("B", "C"))
        number = int(location.rsplit("/", 1)[1])
        async with _as(app, staff) as staff_client:
            queue = await staff_client.get("/staff/reviews")
            assert s["name"] in queue.text
            accepted = await staff_client.post(
                f"/staff/authorizations/{number}",
                data={"action": "approve", "_csrf_token": _csrf(staff_client)},
                follow_redirects=False,
            )
            assert accepted.status_code == 303
        allowed = await client.post(location + "/query", data={"_csrf_token": _csrf(client)})
        assert _seen(allowed.text, s["markers"]) == {"A", "B", "C", "C2"}
        await Authorization.update({Authorization.valid_until: date.today() - timedelta(days=1)}).where(
            Authorization.id == number
        )
        expired = await client.post(location + "/query", data={"_csrf_token": _csrf(client)})
        assert expired.status_code == 403 and _seen(expired.text, s["markers"]) == set()
        assert (await _last_entry(s["ref"]))["outcome"] == "refused:authorization_expired"


async def test_another_requester_cannot_use_someone_elses_authorisation(app):
    s = await _subject_with_markers("legal")
    first, second = await f.proven("third_party"), await f.proven("third_party")
    async with _as(app, first) as client:
        location = await _file_request(client, s)
    async with _as(app, second) as other:
        assert (await other.get(location)).status_code == 404
        stolen = await other.post(location + "/query", data={"_csrf_token": _csrf(other)})
        assert stolen.status_code == 404 and _seen(stolen.text, s["markers"]) == set()
    entry = await _last_entry(s["ref"])  # the attempt is on the record too
    assert entry["outcome"] == "refused:not_requester" and entry["method"] == "third_party"


async def _agency_query(client, subject: dict, c_categories=(), letter=True) -> object:
    form = {
        "subject_kind": "legal",
        "uscc": subject["uscc"],
        "reason_code": "supervision_approval",
        "reason_text": "行政审批事项 审批编号2026-001",
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


async def test_identity_proof_by_document_then_staff_review(app):
    s = await _subject_with_markers("natural")
    citizen = await f.account("citizen", subject_id=s["id"])
    staff = await f.account("staff")
    async with _as(app, citizen) as client:
        files = {"document": ("身份证.pdf", BytesIO(_pdf_bytes("id card")), "application/pdf")}
        sent = await client.post("/me/verify", data={"_csrf_token": _csrf(client)}, files=files, follow_redirects=False)
        assert sent.status_code == 303
        assert (await client.get("/me/records")).status_code == 403
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
        page = await client.get("/me/records")
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
    assert await proofs.is_verified(citizen["id"], s["id"])


async def test_wrong_role_and_anonymous_attempts_are_recorded(app):
    """A query route opened by the wrong role, or by nobody, is refused and on the record (§6)."""
    from audit import service as audit_service
    from audit.service import BrowseFilters

    citizen = await f.account("citizen", subject_id=(await f.natural_subject("孙越权"))["id"])
    async with _as(app, citizen) as client:
        denied = await client.post("/agency/query", data={"_csrf_token": _csrf(client)})
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
    refused = await audit_service.browse(BrowseFilters(outcome="refused:not_logged_in"), None, 50)
    assert any(e["request_id"] == tag and e["requester_role"] == "anonymous" for e in refused.items)


async def test_who_queried_me_pages_through_older_entries(app):
    """谁查询了我 shows the newest page and loads older ones by keyset: every entry once, in order."""
    from portal.queries.self_routes import HISTORY_PAGE

    s = await _subject_with_markers("legal")
    user = await _verified_account("enterprise", s["id"])
    async with _as(app, user) as client:
        for _ in range(HISTORY_PAGE + 5):
            await client.get("/me/records", headers={"x-request-id": f.unique("hist-")})
        first = await client.get("/me/queries")
        assert first.text.count('<td class="pr-3">本人网上查询</td>') == HISTORY_PAGE and "更早的记录" in first.text
        link = first.text.split('hx-get="', 1)[1].split('"', 1)[0]
        older = await client.get(link, headers={"hx-request": "true"})
    assert older.status_code == 200 and "<html" not in older.text  # a fragment of rows
    assert older.text.count('<td class="pr-3">本人网上查询</td>') == 5 and "更早的记录" not in older.text
    history = await recorder.subject_history(s["ref"], limit=200)
    assert len(history) == HISTORY_PAGE + 5
