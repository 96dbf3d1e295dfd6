"""Proven identities only (R-18, R-17, R-28; DESIGN rule 8): what a registrant types is a claim.

An unproven enterprise files nothing and is never shown as the company it named; a registration
with someone else's ID number learns nothing about the holder and changes nothing about them; the
real owner, once proven, carries the name on record (or the name staff confirmed); registration
answers the same whether a number or USCC is held; the full ID number is shown to reviewing staff
and to its proven owner only on request, each view recorded first.
"""

from __future__ import annotations

import re
from contextlib import asynccontextmanager
from datetime import date, timedelta
from io import BytesIO

import pytest
from litestar.testing import AsyncTestClient

from audit import service as audit_service
from audit.service import BrowseFilters
from portal.accounts.service import create_account
from portal.accounts.tables import Account
from portal.authorizations.tables import Authorization
from portal.lib.masking import mask_id_number
from portal.proofs import service as proofs
from portal.subjects.identity import id_number_digest
from portal.subjects.tables import Subject
from tests import factories as f
from tests.integration.test_audit_down import unreachable_store  # noqa: F401  (fixture)
from tests.integration.test_queries import _as, _csrf, _file_request, _pdf_bytes

pytestmark = pytest.mark.anyio

PASSWORD = "Abcdef-12345"


@asynccontextmanager
async def _browser(app):
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        await client.get("/register")
        yield client


async def _register(client, **fields):
    data = {"password": PASSWORD, "password2": PASSWORD, "_csrf_token": _csrf(client), **fields}
    return await client.post("/register", data=data, follow_redirects=False)


async def _citizen(app, name: str, number: str) -> dict:
    username = f.unique("cit")
    async with _browser(app) as client:
        answer = await _register(client, kind="citizen", username=username, name=name, id_number=number)
    assert answer.status_code == 303, answer.text
    return {"username": username, "password": PASSWORD}


async def _upload_document(client) -> None:
    files = {"document": ("身份证.pdf", BytesIO(_pdf_bytes("id card")), "application/pdf")}
    sent = await client.post("/me/verify", data={"_csrf_token": _csrf(client)}, files=files, follow_redirects=False)
    assert sent.status_code == 303, sent.text


async def _account_id(username: str) -> int:
    return (await Account.select(Account.id).where(Account.username == username).first())["id"]


async def _browse(**filters) -> list[dict]:
    return (await audit_service.browse(BrowseFilters(**filters), None, 50)).items


# --- observation 1: an unproven enterprise ------------------------------------------------------


async def test_unproven_enterprise_cannot_file_and_is_never_shown_as_the_company(app):
    company, target = await f.legal_subject(), await f.legal_subject()
    username = f.unique("ent")
    async with _browser(app) as client:
        registered = await _register(
            client,
            kind="enterprise",
            username=username,
            uscc=company["uscc"],
            company="冒名贸易有限公司",
            name="刘冒名",
        )
    assert registered.status_code == 303
    account = await Account.select().where(Account.username == username).first()
    # Nothing the audit entry or others would read names the company (Principal.organisation).
    assert account["organisation"] == "" and account["subject"] is None

    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        assert (await f.login(client, username, PASSWORD)).status_code == 303
        page = await client.get("/account")
        assert company["name"] not in page.text
        assert "冒名贸易有限公司（未核验）" in page.text and "刘冒名（未核验）" in page.text
        new = await client.get("/requests/new")
        assert "尚未通过身份核验" in new.text and 'action="/requests"' not in new.text
        refused = await client.post(
            "/requests",
            data={
                "subject_kind": "legal",
                "uscc": target["uscc"],
                "reason_code": "business_cooperation",
                "valid_from": date.today().isoformat(),
                "valid_until": (date.today() + timedelta(days=30)).isoformat(),
                "class_b": "1",
                "_csrf_token": _csrf(client),
            },
            files={"letter": ("授权书.pdf", BytesIO(_pdf_bytes()), "application/pdf")},
            follow_redirects=False,
        )
    assert refused.status_code == 400 and "请先完成身份核验" in refused.text
    assert not await Authorization.exists().where(Authorization.requester == account["id"])


async def test_enterprise_proven_by_staff_speaks_for_the_company_on_record(app):
    company = await f.legal_subject()
    username = f.unique("ent")
    async with _browser(app) as client:
        await _register(
            client, kind="enterprise", username=username, uscc=company["uscc"], company="错写名称", name="刘经办"
        )
    account_id = await _account_id(username)
    staff = await f.account("staff")
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        assert (await f.login(client, username, PASSWORD)).status_code == 303
        files = {
            "document": ("营业执照.pdf", BytesIO(_pdf_bytes("licence")), "application/pdf"),
            "letter": ("经办函.pdf", BytesIO(_pdf_bytes("letter")), "application/pdf"),
        }
        sent = await client.post("/me/verify", data={"_csrf_token": _csrf(client)}, files=files, follow_redirects=False)
        assert sent.status_code == 303
        async with _as(app, staff) as staff_client:
            queue = await staff_client.get("/staff/reviews")
            # The claim next to the record, the mismatch flagged.
            assert (
                "错写名称" in queue.text
                and company["name"] in queue.text
                and "企业名称与平台登记的不一致" in queue.text
            )
            proof = (await proofs.latest_proof(account_id))["id"]
            done = await staff_client.post(
                f"/staff/proofs/{proof}", data={"action": "approve", "_csrf_token": _csrf(staff_client)}
            )
            assert done.status_code in (200, 303)
        assert await proofs.is_proven(account_id)
        row = await Account.select().where(Account.id == account_id).first()
        assert row["subject"] == company["id"] and row["organisation"] == company["name"]
        page = await client.get("/account")
        assert company["name"] in page.text and "未核验" not in page.text
        await _file_request(client, await f.legal_subject())  # proven: files (303)


async def test_third_party_files_only_after_its_organisation_proof(app):
    username = f.unique("tp")
    await create_account(username, f.PASSWORD, "third_party", "机构经办人", organisation="自称信用评级有限公司")
    account_id = await _account_id(username)
    row = await Account.select().where(Account.id == account_id).first()
    assert row["organisation"] == ""  # the audit entry reads Principal.organisation: empty until proven
    assert not await proofs.is_proven(account_id)
    staff = await f.account("staff")
    async with _as(app, {"username": username}) as client:
        page = await client.get("/account")
        assert "自称信用评级有限公司（未核验）" in page.text
        target = await f.legal_subject()
        form = {
            "subject_kind": "legal",
            "uscc": target["uscc"],
            "reason_code": "credit_report",
            "valid_from": date.today().isoformat(),
            "valid_until": (date.today() + timedelta(days=30)).isoformat(),
            "_csrf_token": _csrf(client),
        }
        letter = {"letter": ("授权书.pdf", BytesIO(_pdf_bytes()), "application/pdf")}
        refused = await client.post("/requests", data=form, files=letter)
        assert refused.status_code == 400 and "请先完成身份核验" in refused.text
        files = {
            "document": ("营业执照.pdf", BytesIO(_pdf_bytes("licence")), "application/pdf"),
            "letter": ("经办函.pdf", BytesIO(_pdf_bytes("letter")), "application/pdf"),
        }
        sent = await client.post(
            "/account/verify", data={"_csrf_token": _csrf(client)}, files=files, follow_redirects=False
        )
        assert sent.status_code == 303
        async with _as(app, staff) as staff_client:
            proof = (await proofs.latest_proof(account_id))["id"]
            await staff_client.post(
                f"/staff/proofs/{proof}",
                data={
                    "action": "approve",
                    "confirmed_name": "郑州信评信用管理有限公司",
                    "_csrf_token": _csrf(staff_client),
                },
            )
        assert await proofs.is_proven(account_id)
        row = await Account.select().where(Account.id == account_id).first()
        assert row["organisation"] == "郑州信评信用管理有限公司"
        await _file_request(client, target)


# --- observation 2: someone else's ID number ----------------------------------------------------


async def test_registering_someone_elses_number_shows_nothing_and_changes_nothing(app):
    holder = await f.natural_subject("李真名")
    intruder = await _citizen(app, "王冒名", holder["id_number"])
    row = await Account.select().where(Account.username == intruder["username"]).first()
    assert row["subject"] is None  # not linked to the holder
    assert (await Subject.select(Subject.name).where(Subject.id == holder["id"]).first())["name"] == "李真名"
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        assert (await f.login(client, intruder["username"], PASSWORD)).status_code == 303
        page = await client.get("/account")
        assert "李真名" not in page.text and "王冒名（未核验）" in page.text
        assert holder["id_number"] not in page.text
        records = await client.get("/me/records")  # the page; nothing is read before a proof
        assert records.status_code == 200 and "李真名" not in records.text
        refused = await client.post("/me/records", data={"_csrf_token": client.cookies.get("csrftoken")})
        assert refused.status_code == 403 and "李真名" not in refused.text


async def test_first_registrant_does_not_fix_the_name_the_owner_proven_later_carries_it(app):
    number = f.new_id_number()
    intruder = await _citizen(app, "王冒名", number)
    assert not await Subject.exists().where(Subject.id_number_digest == id_number_digest(number))
    owner = await _citizen(app, "赵真实", number)
    staff = await f.account("staff")
    for who in (intruder, owner):
        async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
            assert (await f.login(client, who["username"], PASSWORD)).status_code == 303
            await _upload_document(client)
    owner_id, intruder_id = await _account_id(owner["username"]), await _account_id(intruder["username"])
    async with _as(app, staff) as staff_client:
        queue = await staff_client.get("/staff/reviews")
        assert "另有 1 个账号声明或已关联同一主体" in queue.text  # a second claimant is flagged
        assert "平台尚无该证件号码的主体" in queue.text
        proof = (await proofs.latest_proof(owner_id))["id"]
        answer = await staff_client.post(
            f"/staff/proofs/{proof}",
            data={"action": "approve", "confirmed_name": "赵真实", "_csrf_token": _csrf(staff_client)},
            follow_redirects=False,
        )
        assert answer.status_code == 303
    subject = await Subject.select().where(Subject.id_number_digest == id_number_digest(number)).first()
    assert subject["name"] == "赵真实" and subject["id_number_masked"] == mask_id_number(number)
    assert await proofs.is_proven(owner_id) and not await proofs.is_proven(intruder_id)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        assert (await f.login(client, owner["username"], PASSWORD)).status_code == 303
        page = await client.get("/account")
        assert "赵真实" in page.text and "王冒名" not in page.text and "未核验" not in page.text
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        assert (await f.login(client, intruder["username"], PASSWORD)).status_code == 303
        assert "赵真实" not in (await client.get("/account")).text


def _normalise(text: str, *values: str) -> str:
    for value in values:
        text = text.replace(value, "VALUE")
    return re.sub(r"[0-9a-f]{40,}", "TOKEN", text)  # per-session CSRF tokens


async def test_registration_answers_the_same_whether_a_number_or_uscc_is_held(app):
    held_person, held_company = await f.natural_subject("钱持有"), await f.legal_subject()
    free_number, free_uscc = f.new_id_number(), f.new_uscc()
    answers, pages = [], []
    for kind, code in (("citizen", held_person["id_number"]), ("citizen", free_number)):
        username = f.unique("same")
        async with _browser(app) as client:
            answer = await _register(client, kind=kind, username=username, name="孙注册", id_number=code)
            answers.append((answer.status_code, answer.headers.get("location"), answer.text))
            assert (await f.login(client, username, PASSWORD)).status_code == 303
            page = await client.get("/account")
            pages.append(_normalise(page.text, username, mask_id_number(code)))
    for code in (held_company["uscc"], free_uscc):
        async with _browser(app) as client:
            answer = await _register(
                client, kind="enterprise", username=f.unique("same"), uscc=code, company="某某公司", name="孙经办"
            )
            answers.append((answer.status_code, answer.headers.get("location"), answer.text))
    assert answers[0] == answers[1] and answers[0][0] == 303
    assert answers[2] == answers[3] and answers[2][0] == 303
    assert pages[0] == pages[1]
    assert "钱持有" not in pages[0]


# --- the full ID number: staff on review, the owner on request, each recorded first ----------


async def test_staff_see_the_full_number_on_request_and_the_view_is_recorded(app):
    number = f.new_id_number()
    applicant = await _citizen(app, "周申请", number)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        assert (await f.login(client, applicant["username"], PASSWORD)).status_code == 303
        await _upload_document(client)
    proof = (await proofs.latest_proof(await _account_id(applicant["username"])))["id"]
    staff = await f.account("staff")
    async with _as(app, staff) as staff_client:
        queue = await staff_client.get("/staff/reviews")
        assert number not in queue.text and mask_id_number(number) in queue.text  # masked until asked
        assert not await _browse(requester_account=staff["username"], method="staff_review")
        shown = await staff_client.post(f"/staff/proofs/{proof}/id-number", data={"_csrf_token": _csrf(staff_client)})
        assert shown.status_code == 200 and number in shown.text
        assert "no-store" in shown.headers["cache-control"]
        entries = await _browse(requester_account=staff["username"], method="staff_review")
        assert len(entries) == 1 and entries[0]["subject_ref"] == "n:" + id_number_digest(number)
        assert number not in str(entries[0])  # the log keeps the key, never the number
        assert number not in (await staff_client.get("/staff/reviews")).text  # shown once, not kept


async def test_staff_view_fails_closed_without_a_record(app, unreachable_store):  # noqa: F811
    number = f.new_id_number()
    applicant = await _citizen(app, "吴封闭", number)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        assert (await f.login(client, applicant["username"], PASSWORD)).status_code == 303
        await _upload_document(client)
    proof = (await proofs.latest_proof(await _account_id(applicant["username"])))["id"]
    async with _as(app, await f.account("staff")) as staff_client:
        shown = await staff_client.post(f"/staff/proofs/{proof}/id-number", data={"_csrf_token": _csrf(staff_client)})
    assert shown.status_code == 503 and number not in shown.text


async def test_owner_sees_its_full_number_on_request_and_the_view_is_recorded(app):
    person = await f.natural_subject("郑本人")
    owner = await f.proven("citizen", subject_id=person["id"])
    async with _as(app, owner) as client:
        page = await client.get("/account")
        assert person["id_number"] not in page.text and mask_id_number(person["id_number"]) in page.text
        shown = await client.post("/account/id-number", data={"_csrf_token": _csrf(client)})
        assert shown.status_code == 200 and person["id_number"] in shown.text
        assert "no-store" in shown.headers["cache-control"]
    entries = await _browse(requester_account=owner["username"], method="owner_view")
    assert len(entries) == 1 and entries[0]["subject_ref"] == "n:" + id_number_digest(person["id_number"])

    unproven = await f.account("citizen", subject_id=person["id"])  # linked but never proven
    async with _as(app, unproven) as client:
        refused = await client.post("/account/id-number", data={"_csrf_token": _csrf(client)})
    assert refused.status_code == 403 and person["id_number"] not in refused.text
    assert not await _browse(requester_account=unproven["username"], method="owner_view")
