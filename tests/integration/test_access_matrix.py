"""Every role against every route (SPEC §7, issue 3): the expected allow/deny, nothing more.

The table below must name every route the app registers: a new route without an entry fails the
test, so nobody adds a page without deciding who may open it. "Allowed" means the guard lets the
request through (the handler may still answer 400 or 404 for the made-up parameters); "denied"
means 401/403 or the redirect to the login page.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from litestar.testing import AsyncTestClient

from portal.lib import uscc as uscc_rules
from portal.proofs.tables import IdentityProof
from tests import factories as f

pytestmark = pytest.mark.anyio

ROLES = ("anonymous", "citizen", "enterprise", "third_party", "agency", "staff", "auditor", "admin")
ALL = frozenset(ROLES)
LOGGED_IN = ALL - {"anonymous"}
SUBJECTS = frozenset({"citizen", "enterprise"})
REQUESTERS = frozenset({"enterprise", "third_party"})
UPLOADERS = frozenset({"citizen", "enterprise", "third_party", "agency", "staff"})
AUDITORS = frozenset({"auditor"})  # SPEC §7: auditors read the query log; administrators cannot

EXPECT: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/"): ALL,
    ("GET", "/search"): ALL,
    ("GET", "/subjects/{uscc:str}"): ALL,
    ("GET", "/subjects/{uscc:str}/{tab:str}"): ALL,
    ("GET", "/disclosures"): ALL,
    ("GET", "/lists/{list_type:str}"): ALL,
    ("GET", "/lists/{list_type:str}/{entry_id:int}"): ALL,
    ("GET", "/disclosures/export/{fmt:str}"): ALL,
    ("GET", "/healthz"): ALL,
    ("GET", "/api"): ALL,
    ("GET", "/policies"): ALL,
    ("GET", "/policies/{slug:str}"): ALL,
    ("GET", "/guide"): ALL,
    ("GET", "/help"): ALL,
    ("GET", "/announcements"): ALL,
    ("GET", "/announcements/{announcement_id:int}"): ALL,
    ("POST", "/preferences/elder"): ALL,
    ("GET", "/staff/announcements"): frozenset({"staff"}),
    ("POST", "/staff/announcements"): frozenset({"staff"}),
    ("POST", "/staff/announcements/{announcement_id:int}/withdraw"): frozenset({"staff"}),
    ("GET", "/api/v1/public/subjects"): ALL,
    ("GET", "/api/v1/public/subjects/{uscc:str}"): ALL,
    ("GET", "/api/v1/public/disclosures"): ALL,
    ("GET", "/reports/verify/{token:path}"): ALL,
    # R-23: whoever holds a written decision checks it (the page shows no statement or record).
    ("GET", "/objections/verify/{token:str}"): ALL,
    ("GET", "/login"): ALL,
    ("POST", "/login"): ALL,
    ("GET", "/register"): ALL,
    ("POST", "/register"): ALL,
    ("GET", "/account"): LOGGED_IN,
    ("POST", "/account/id-number"): frozenset({"citizen"}),
    ("GET", "/account/verify"): frozenset({"third_party"}),
    ("POST", "/account/verify"): frozenset({"third_party"}),
    ("GET", "/account/password"): LOGGED_IN,
    # Notices: every account has an inbox and may add an e-mail address (its own only).
    ("GET", "/account/notices"): LOGGED_IN,
    ("POST", "/account/email"): LOGGED_IN,
    ("POST", "/account/email/verify"): LOGGED_IN,
    ("POST", "/account/phone"): LOGGED_IN,
    ("POST", "/account/phone/verify"): LOGGED_IN,
    ("POST", "/account/notice-preferences"): LOGGED_IN,
    ("GET", "/notices"): LOGGED_IN,
    ("GET", "/notices/unread"): LOGGED_IN,
    ("POST", "/notices/{notice_id:int}/read"): LOGGED_IN,
    ("POST", "/notices/read-all"): LOGGED_IN,
    ("POST", "/account/password"): LOGGED_IN,
    # A reset link is the credential itself: anyone holding it may open it.
    ("GET", "/reset/{token:str}"): ALL,
    ("POST", "/reset/{token:str}"): ALL,
    ("GET", "/password/reset/{token:str}"): ALL,
    ("POST", "/password/reset/{token:str}"): ALL,
    # Anyone may ask for a reset link (same answer whatever the name); throttled per address and account.
    ("GET", "/password/forgot"): ALL,
    ("POST", "/password/forgot"): ALL,
    ("GET", "/me/records"): SUBJECTS,
    ("POST", "/me/records"): SUBJECTS,
    ("GET", "/queries/{token:str}"): LOGGED_IN,  # a receipt is its owner's; anyone else's is a 404
    ("POST", "/queries/{token:str}/report"): LOGGED_IN,
    ("GET", "/me/queries"): SUBJECTS,
    ("GET", "/me/verify"): SUBJECTS,
    ("POST", "/me/verify"): SUBJECTS,
    ("GET", "/me/authorizations"): SUBJECTS,
    ("POST", "/me/authorizations/{authorization_id:int}"): SUBJECTS,
    ("GET", "/requests"): REQUESTERS,
    ("GET", "/requests/new"): REQUESTERS,
    ("POST", "/requests"): REQUESTERS,
    ("GET", "/requests/{authorization_id:int}"): REQUESTERS,
    ("POST", "/requests/{authorization_id:int}/query"): REQUESTERS,
    ("GET", "/agency"): frozenset({"agency"}),
    ("GET", "/agency/query"): frozenset({"agency"}),
    ("POST", "/agency/query"): frozenset({"agency"}),
    # 批量上传 (R-12): an officer's own agency only (another agency's job is a 404).
    ("GET", "/agency/templates/{name:str}"): frozenset({"agency"}),
    ("GET", "/agency/uploads"): frozenset({"agency"}),
    ("POST", "/agency/uploads"): frozenset({"agency"}),
    ("GET", "/agency/uploads/{job_id:int}"): frozenset({"agency"}),
    ("GET", "/agency/uploads/{job_id:int}/rejected.xlsx"): frozenset({"agency"}),
    # 逐条录入 and the records desk (R-12): the agency's officers only; another agency's record is a 404.
    ("GET", "/agency/entry"): frozenset({"agency"}),
    ("GET", "/agency/entry/{record_type:str}"): frozenset({"agency"}),
    ("POST", "/agency/entry/{record_type:str}"): frozenset({"agency"}),
    ("POST", "/agency/entry/{record_type:str}/validate"): frozenset({"agency"}),
    ("GET", "/agency/records"): frozenset({"agency"}),
    ("GET", "/agency/records/{record_id:int}"): frozenset({"agency"}),
    ("POST", "/agency/records/{record_id:int}/correct"): frozenset({"agency"}),
    ("POST", "/agency/records/{record_id:int}/revoke"): frozenset({"agency"}),
    ("GET", "/staff/reviews"): frozenset({"staff"}),
    ("POST", "/staff/proofs/{proof_id:int}"): frozenset({"staff"}),
    ("POST", "/staff/proofs/{proof_id:int}/id-number"): frozenset({"staff"}),
    ("POST", "/staff/authorizations/{authorization_id:int}"): frozenset({"staff"}),
    ("POST", "/staff/counter"): frozenset({"staff"}),
    ("GET", "/staff/password-reset"): frozenset({"staff"}),
    ("POST", "/staff/password-reset"): frozenset({"staff"}),
    ("GET", "/staff/calendar"): frozenset({"staff"}),
    ("POST", "/staff/calendar/days"): frozenset({"staff"}),
    ("POST", "/staff/calendar/days/{day:date}/delete"): frozenset({"staff"}),
    ("POST", "/staff/calendar/years"): frozenset({"staff"}),
    ("POST", "/staff/calendar/years/reopen"): frozenset({"staff"}),
    ("GET", "/staff/sharing"): frozenset({"staff"}),
    ("POST", "/staff/sharing/categories"): frozenset({"staff"}),
    ("POST", "/staff/sharing/grants"): frozenset({"staff"}),
    # The shared indicator catalogue (Z80 第二十六条): staff keep it.
    ("GET", "/staff/catalogue"): frozenset({"staff"}),
    ("GET", "/staff/catalogue/{code:str}"): frozenset({"staff"}),
    ("POST", "/staff/catalogue/{code:str}"): frozenset({"staff"}),
    ("GET", "/staff/reports"): frozenset({"staff"}),
    ("POST", "/staff/reports/revoke"): frozenset({"staff"}),
    # Red and black lists (R-P5): the deciding agency lists and removes; staff see all and remove.
    ("GET", "/agency/lists"): frozenset({"agency"}),
    ("POST", "/agency/lists"): frozenset({"agency"}),
    ("POST", "/agency/lists/{entry_id:int}/amend"): frozenset({"agency"}),
    ("POST", "/agency/lists/{entry_id:int}/remove"): frozenset({"agency"}),
    ("GET", "/staff/lists"): frozenset({"staff"}),
    ("POST", "/staff/lists/{entry_id:int}/remove"): frozenset({"staff"}),
    ("GET", "/staff/objections/figures"): frozenset({"staff"}),
    ("GET", "/staff/objections/figures.xlsx"): frozenset({"staff"}),
    # The scheduler's run log: staff run the centre, auditors check the audit jobs ran (R-19).
    ("GET", "/staff/housekeeping"): frozenset({"staff", "auditor"}),
    ("GET", "/admin/accounts"): frozenset({"admin"}),
    ("POST", "/admin/accounts/{account_id:int}/{action:str}"): frozenset({"admin"}),
    ("POST", "/uploads"): UPLOADERS,
    ("GET", "/audit/log"): AUDITORS,
    ("GET", "/audit/log/{seq:int}"): AUDITORS,
    ("GET", "/audit/subjects"): AUDITORS,
    ("POST", "/audit/subjects"): AUDITORS,
    ("GET", "/audit/export.csv"): AUDITORS,
    ("GET", "/audit/export.xlsx"): AUDITORS,
    ("GET", "/audit/integrity"): AUDITORS,
    # Objections (R-22, R-23): the subject files and follows; staff take written objections at the
    # counter, forward and tell; the providing agency answers. Documents: only those three parties
    # (anyone else gets a 404, the existence is not revealed).
    ("GET", "/me/objections"): SUBJECTS,
    ("GET", "/me/objections/new"): SUBJECTS,
    ("POST", "/me/objections"): SUBJECTS,
    ("GET", "/me/objections/{objection_id:int}"): SUBJECTS,
    ("POST", "/me/objections/{objection_id:int}/withdraw"): SUBJECTS,
    ("GET", "/staff/objections"): frozenset({"staff"}),
    ("GET", "/staff/objections/{objection_id:int}"): frozenset({"staff"}),
    ("POST", "/staff/objections/{objection_id:int}/forward"): frozenset({"staff"}),
    ("POST", "/staff/objections/{objection_id:int}/tell"): frozenset({"staff"}),
    ("GET", "/staff/objections/counter"): frozenset({"staff"}),
    ("POST", "/staff/objections/counter"): frozenset({"staff"}),
    ("GET", "/staff/objections/new"): frozenset({"staff"}),
    ("POST", "/staff/objections"): frozenset({"staff"}),
    ("GET", "/agency/objections"): frozenset({"agency"}),
    ("GET", "/agency/objections/{objection_id:int}"): frozenset({"agency"}),
    ("POST", "/agency/objections/{objection_id:int}/answer"): frozenset({"agency"}),
    ("GET", "/objections/{objection_id:int}/documents/{token:str}"): LOGGED_IN,
    ("GET", "/objections/{objection_id:int}/decision.pdf"): LOGGED_IN,
    ("GET", "/staff"): frozenset({"staff"}),
    # 系统对接 (R-12): an agency system's API key, never a browser session (401 for every role).
    ("GET", "/api/v1/agency/records"): frozenset(),
    ("POST", "/api/v1/agency/records"): frozenset(),
    # Existence is not revealed: a token the principal may not read is a 404 for everyone.
    ("GET", "/uploads/{token:str}"): ALL,
    # R-11, R-14: an officer revokes its own agency's key (another agency's is a 404); staff make keys.
    ("POST", "/agency/keys/{key_id:int}/revoke"): frozenset({"agency"}),
    ("GET", "/agency/urges/{urge_id:int}/notice.pdf"): frozenset({"agency"}),
    ("GET", "/staff/agencies"): frozenset({"staff"}),
    ("POST", "/staff/agencies"): frozenset({"staff"}),
    ("GET", "/staff/agencies/{agency_id:int}"): frozenset({"staff"}),
    ("POST", "/staff/agencies/{agency_id:int}/keys"): frozenset({"staff"}),
    ("POST", "/staff/agencies/{agency_id:int}/keys/{key_id:int}/rotate"): frozenset({"staff"}),
    ("POST", "/staff/agencies/{agency_id:int}/keys/{key_id:int}/revoke"): frozenset({"staff"}),
    # R-12, R-13: the centre watches timeliness and issues 催报.
    ("GET", "/staff/timeliness"): frozenset({"staff"}),
    ("GET", "/staff/timeliness/{agency_id:int}"): frozenset({"staff"}),
    ("POST", "/staff/timeliness/{agency_id:int}/obligations"): frozenset({"staff"}),
    ("POST", "/staff/timeliness/{agency_id:int}/obligations/{obligation_id:int}/end"): frozenset({"staff"}),
    ("POST", "/staff/timeliness/{agency_id:int}/urges"): frozenset({"staff"}),
    ("POST", "/staff/timeliness/{agency_id:int}/urges/{urge_id:int}/send"): frozenset({"staff"}),
    ("GET", "/staff/timeliness/urges/{urge_id:int}/notice.pdf"): frozenset({"staff"}),
    # R-P3: staff keep the registry of credit-service agencies; anyone reads the 名录; an agency's
    # staff upload reports; the subject reads its own (its identity checked in the handler).
    ("GET", "/staff/credit-agencies"): frozenset({"staff"}),
    ("POST", "/staff/credit-agencies"): frozenset({"staff"}),
    ("GET", "/staff/credit-agencies/{agency_id:int}"): frozenset({"staff"}),
    ("POST", "/staff/credit-agencies/{agency_id:int}/status"): frozenset({"staff"}),
    ("POST", "/staff/credit-agencies/{agency_id:int}/members"): frozenset({"staff"}),
    ("POST", "/staff/credit-agencies/{agency_id:int}/members/{account_id:int}/remove"): frozenset({"staff"}),
    ("GET", "/credit-agencies"): ALL,
    ("GET", "/credit-reports"): frozenset({"third_party"}),
    ("GET", "/credit-reports/new"): frozenset({"third_party"}),
    ("POST", "/credit-reports"): frozenset({"third_party"}),
    ("GET", "/credit-reports/{report_id:int}/report.pdf"): frozenset({"third_party"}),
    ("GET", "/me/credit-reports"): SUBJECTS,
    ("GET", "/me/credit-reports/{report_id:int}/report.pdf"): SUBJECTS,
    # 逢办必查 (R-P5): approval systems with the agency's API key only (401 for every session).
    ("POST", "/api/v1/checks"): frozenset(),
    ("GET", "/api/v1/checks/{number:str}/record.pdf"): frozenset(),
    ("POST", "/api/v1/checks/{number:str}/outcome"): frozenset(),
    ("POST", "/api/v1/matters"): frozenset(),
    # The same check by an officer on the agency desk; a check is its agency's (another's is a 404).
    ("GET", "/agency/checks"): frozenset({"agency"}),
    ("POST", "/agency/checks"): frozenset({"agency"}),
    ("GET", "/agency/checks/{number:str}"): frozenset({"agency"}),
    ("GET", "/agency/checks/{number:str}/record.pdf"): frozenset({"agency"}),
    # R-P5, R-P4: the centre keeps the measures catalogue and reads the usage figures.
    ("GET", "/staff/measures"): frozenset({"staff"}),
    ("POST", "/staff/measures"): frozenset({"staff"}),
    ("GET", "/staff/measures/{code:str}"): frozenset({"staff"}),
    ("POST", "/staff/measures/{code:str}/revise"): frozenset({"staff"}),
    ("POST", "/staff/measures/{code:str}/withdraw"): frozenset({"staff"}),
    ("GET", "/staff/usage"): frozenset({"staff"}),
    ("GET", "/staff/usage/export.xlsx"): frozenset({"staff"}),
    # R-P2: a subject applies for its own opinion, an agency officer about a subject; the centre issues.
    ("GET", "/verifications"): frozenset({"citizen", "enterprise", "agency"}),
    ("POST", "/verifications"): frozenset({"citizen", "enterprise", "agency"}),
    ("GET", "/verifications/{verification_id:int}/opinion.pdf"): frozenset({"citizen", "enterprise", "agency"}),
    # Whoever holds a printed opinion checks it (the page shows counts, no record).
    ("GET", "/verifications/verify/{token:str}"): ALL,
    ("GET", "/staff/verifications"): frozenset({"staff"}),
    ("POST", "/staff/verifications/{verification_id:int}/issue"): frozenset({"staff"}),
    # 信用承诺 (R-P1): subjects sign (proven ones only, refused in the handler); staff keep the texts;
    # the accepting agency records breaches; the check page and a legal person's PDF are public.
    ("GET", "/me/commitments"): SUBJECTS,
    ("GET", "/me/commitments/new"): SUBJECTS,
    ("POST", "/me/commitments"): SUBJECTS,
    ("GET", "/me/commitments/{commitment_id:int}"): SUBJECTS,
    ("GET", "/commitments/verify/{token:str}"): ALL,
    ("GET", "/commitments/{commitment_id:int}/pdf"): ALL,
    ("GET", "/staff/commitments/templates"): frozenset({"staff"}),
    ("POST", "/staff/commitments/templates"): frozenset({"staff"}),
    ("GET", "/staff/commitments/templates/{text_id:int}"): frozenset({"staff"}),
    ("GET", "/agency/commitments"): frozenset({"agency"}),
    ("GET", "/agency/commitments/{commitment_id:int}"): frozenset({"agency"}),
    ("POST", "/agency/commitments/{commitment_id:int}/breach"): frozenset({"agency"}),
}
# Not role-gated pages: the session's own end, the static files and the OpenAPI document.
SKIP_PREFIXES = ("/static", "/schema", "/logout")

SAMPLES = {
    "{uscc:str}": uscc_rules.make("91410105MA0000000"),
    "{tab:str}": "license",
    "{code:str}": "person_positive",
    "{list_type:str}": "red",
    "{fmt:str}": "csv",
    "{token:path}": "not-a-token",
    "{token:str}": "A" * 32,
    "{authorization_id:int}": "999999999",
    "{proof_id:int}": "999999999",
    "{account_id:int}": "999999999",
    "{action:str}": "disable",
    "{day:date}": "2031-01-01",
    "{seq:int}": "999999999",
    "{notice_id:int}": "999999999",
    "{objection_id:int}": "999999999",
    "{entry_id:int}": "999999999",
    "{name:str}": "penalty.xlsx",
    "{job_id:int}": "999999999",
    "{record_type:str}": "penalty",
    "{record_id:int}": "999999999",
    "{agency_id:int}": "999999999",
    "{key_id:int}": "999999999",
    "{urge_id:int}": "999999999",
    "{obligation_id:int}": "999999999",
    "{announcement_id:int}": "999999999",
    "{slug:str}": "zzb-2017-80",
    "{report_id:int}": "999999999",
    "{number:str}": "JC20261204FFFFFFFF",
    "{verification_id:int}": "999999999",
    "{commitment_id:int}": "999999999",
    "{text_id:int}": "1",
}


def _concrete(path: str) -> str:
    for placeholder, value in SAMPLES.items():
        path = path.replace(placeholder, value)
    assert "{" not in path, f"no sample value for a parameter of {path}"
    return path


def _registered(app) -> set[tuple[str, str]]:
    out = set()
    for route in app.routes:
        if route.path.startswith(SKIP_PREFIXES):
            continue
        for method in getattr(route, "methods", ()):
            if method not in ("HEAD", "OPTIONS"):
                out.add((method, route.path))
    return out


async def test_every_route_has_an_expectation(app):
    missing = _registered(app) - set(EXPECT)
    assert not missing, f"routes without an access expectation: {sorted(missing)}"
    stale = set(EXPECT) - _registered(app)
    assert not stale, f"expectations for routes that do not exist: {sorted(stale)}"


def _denied(response) -> bool:
    if response.status_code in (401, 403):
        return True
    return response.status_code in (302, 303, 307) and response.headers.get("location", "").startswith("/login")


async def test_each_role_against_each_route(app):
    agency = await f.agency()
    subject = await f.legal_subject()
    person = await f.natural_subject()
    accounts = {
        "citizen": await f.account("citizen", subject_id=person["id"]),
        "enterprise": await f.account("enterprise", subject_id=subject["id"]),
        "agency": await f.account("agency", agency_id=agency["id"]),
    }
    for role in ("third_party", "staff", "auditor", "admin"):
        accounts[role] = await f.account(role)
    for role in ("citizen", "enterprise"):  # identity verified: the matrix is about roles (R-18 has its own tests)
        await IdentityProof(
            account=accounts[role]["id"],
            subject=person["id"] if role == "citizen" else subject["id"],
            method="counter",
            status="verified",
            submitted_at=datetime.now(timezone.utc),
        ).save()
    failures = []
    for role in ROLES:
        async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
            if role != "anonymous":
                assert (await f.login(client, accounts[role]["username"])).status_code == 303
            else:
                await client.get("/login")  # a CSRF cookie, as a browser would have
            token = client.cookies.get("csrftoken")
            for (method, path), allowed in sorted(EXPECT.items()):
                url = _concrete(path)
                if method == "GET":
                    response = await client.get(url, follow_redirects=False)
                else:
                    response = await client.post(url, data={"_csrf_token": token}, follow_redirects=False)
                expected_denied = role not in allowed
                if _denied(response) != expected_denied or response.status_code >= 500:
                    failures.append(f"{role:12} {method} {path}: {response.status_code}")
    assert not failures, "\n".join(failures)
