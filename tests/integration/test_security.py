"""Accounts and the security baseline (issue 2 §8): Argon2id, session rotation and timeouts,
CSRF, throttling, role guards, cookies and headers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from argon2 import PasswordHasher

from portal.accounts.tables import Account, LoginThrottle, Role, Session
from portal.settings import get_settings
from tests import factories as f

pytestmark = pytest.mark.anyio
COOKIE = get_settings().session_cookie


def session_cookie(response) -> str | None:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{COOKIE}="):
            return header.split(";")[0].split("=", 1)[1]
    return None


async def test_argon2id_at_or_above_owasp_floor():
    user = await f.account(Role.CITIZEN)
    stored = await Account.select(Account.password_hash).where(Account.id == user["id"]).first()
    phc = stored["password_hash"]
    assert phc.startswith("$argon2id$")
    fields = dict(kv.split("=") for kv in phc.split("$")[3].split(","))
    assert int(fields["m"]) >= 19 * 1024 and int(fields["t"]) >= 2


async def test_weak_hash_is_upgraded_on_login(client):
    user = await f.account(Role.CITIZEN)
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024).hash(f.PASSWORD)
    await Account.update({Account.password_hash: weak}).where(Account.id == user["id"])
    response = await f.login(client, user["username"])
    assert response.status_code == 303
    stored = (await Account.select(Account.password_hash).where(Account.id == user["id"]).first())["password_hash"]
    params = dict(kv.split("=") for kv in stored.split("$")[3].split(","))
    assert stored != weak and int(params["t"]) >= 2 and int(params["m"]) >= 19 * 1024


async def test_login_rotates_session_and_logout_ends_it(client):
    user = await f.account(Role.CITIZEN)
    first = await f.login(client, user["username"])
    token1 = session_cookie(first)
    assert first.status_code == 303 and token1
    cookie_header = next(h for h in first.headers.get_list("set-cookie") if h.startswith(COOKIE))
    assert "HttpOnly" in cookie_header and "SameSite=lax" in cookie_header.replace("Lax", "lax")
    account_page = await client.get("/account")
    assert account_page.status_code == 200 and user["username"] in account_page.text
    assert account_page.headers["cache-control"] == "no-store"
    # Logging in again while holding a session: a new id, and the old one is dead.
    second = await f.login(client, user["username"])
    token2 = session_cookie(second)
    assert token2 and token2 != token1
    assert not await Session.exists().where(
        Session.token_digest == __import__("hashlib").sha256(token1.encode()).hexdigest()
    )
    client.cookies.set(COOKIE, token1)
    stale = await client.get("/account", follow_redirects=False)
    assert stale.status_code in (302, 303) and stale.headers["location"].startswith("/login")
    client.cookies.set(COOKIE, token2)
    csrf = client.cookies.get("csrftoken")
    out = await client.post("/logout", headers={"x-csrftoken": csrf}, follow_redirects=False)
    assert out.status_code == 303
    client.cookies.set(COOKIE, token2)
    assert (await client.get("/account", follow_redirects=False)).status_code in (302, 303)


async def test_idle_and_absolute_timeouts(client):
    user = await f.account(Role.CITIZEN)
    token = session_cookie(await f.login(client, user["username"]))
    digest = __import__("hashlib").sha256(token.encode()).hexdigest()
    settings = get_settings()
    idle = datetime.now(timezone.utc) - timedelta(seconds=settings.session_idle_seconds + 5)
    await Session.update({Session.last_seen_at: idle}).where(Session.token_digest == digest)
    assert (await client.get("/account", follow_redirects=False)).status_code in (302, 303)
    token = session_cookie(await f.login(client, user["username"]))
    digest = __import__("hashlib").sha256(token.encode()).hexdigest()
    old = datetime.now(timezone.utc) - timedelta(seconds=settings.session_absolute_seconds + 5)
    await Session.update({Session.created_at: old}).where(Session.token_digest == digest)
    assert (await client.get("/account", follow_redirects=False)).status_code in (302, 303)


async def test_csrf_rejects_unsafe_requests_without_token(client):
    user = await f.account(Role.CITIZEN)
    await client.get("/login")
    no_token = await client.post("/login", data={"username": user["username"], "password": f.PASSWORD})
    assert no_token.status_code == 403
    assert session_cookie(no_token) is None
    wrong = await client.post(
        "/login", data={"username": user["username"], "password": f.PASSWORD, "_csrf_token": "forged"}
    )
    assert wrong.status_code == 403
    htmx_style = await client.post("/logout", headers={"HX-Request": "true"})
    assert htmx_style.status_code == 403


async def test_login_failures_delay_the_account_instead_of_locking_it(client):
    # Five wrong passwords used to lock any account for 15 minutes; now they cost the next attempt
    # a 1 s wait (then 2 s, 4 s …): tests/integration/test_login_defence.py has the rest.
    user = await f.account(Role.CITIZEN)
    for _ in range(get_settings().login_free_failures):
        bad = await f.login(client, user["username"], "Wrong-Passw0rd!")
        assert bad.status_code == 400 and "用户名或密码错误" in bad.text
    row = await LoginThrottle.select().where(LoginThrottle.key == f"acct:{user['username']}").first()
    assert row["failures"] == get_settings().login_free_failures and row["next_allowed_at"] - row["last_at"] == 1
    other = await f.account(Role.CITIZEN)
    assert (await f.login(client, other["username"])).status_code == 303


async def test_unknown_user_and_wrong_password_look_the_same(client):
    user = await f.account(Role.CITIZEN)
    a = await f.login(client, "nobody-" + f.unique(), "Wrong-Passw0rd!")
    b = await f.login(client, user["username"], "Wrong-Passw0rd!")
    assert a.status_code == b.status_code == 400 and a.text.count("用户名或密码错误") == b.text.count(
        "用户名或密码错误"
    )


ROLE_PAGES = {
    "/account": set(Role.LABELS),
    "/staff/calendar": {Role.STAFF},
    "/admin/accounts": {Role.ADMIN},
    "/agency": {Role.AGENCY},
}


@pytest.mark.parametrize("role", [None, *Role.LABELS])
async def test_role_guards(client, role):
    provider = await f.agency()
    if role:
        user = await f.account(role, agency_id=provider["id"] if role == Role.AGENCY else None)
        assert (await f.login(client, user["username"])).status_code == 303
    for path, allowed in ROLE_PAGES.items():
        response = await client.get(path, follow_redirects=False)
        if role is None:
            assert response.status_code in (302, 303) and "/login" in response.headers["location"], path
        elif role in allowed:
            assert response.status_code == 200, (path, role)
        else:
            assert response.status_code == 403 and "无权访问" in response.text, (path, role)


async def test_registration_citizen_and_enterprise(client):
    await client.get("/register")
    csrf = client.cookies.get("csrftoken")
    person = f.new_id_number()
    username = "cit" + f.unique()
    ok = await client.post(
        "/register",
        data={
            "kind": "citizen",
            "username": username,
            "password": "Abcdef-12345",
            "password2": "Abcdef-12345",
            "name": "王测试",
            "id_number": person,
            "_csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303
    bad_id = person[:-1] + ("0" if person[-1] != "0" else "1")
    rejected = await client.post(
        "/register",
        data={
            "kind": "citizen",
            "username": "cit" + f.unique(),
            "password": "Abcdef-12345",
            "password2": "Abcdef-12345",
            "name": "王测试",
            "id_number": bad_id,
            "_csrf_token": csrf,
        },
    )
    assert rejected.status_code == 400 and "校验" in rejected.text and bad_id not in rejected.text
    company = await f.legal_subject()
    ent = await client.post(
        "/register",
        data={
            "kind": "enterprise",
            "username": "ent" + f.unique(),
            "password": "Abcdef-12345",
            "password2": "Abcdef-12345",
            "uscc": company["uscc"],
            "company": company["name"],
            "name": "刘经办",
            "_csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert ent.status_code == 303
    weak = await client.post(
        "/register",
        data={
            "kind": "citizen",
            "username": "cit" + f.unique(),
            "password": "short",
            "password2": "short",
            "name": "王测试",
            "id_number": f.new_id_number(),
            "_csrf_token": csrf,
        },
    )
    assert weak.status_code == 400 and "密码至少10位" in weak.text


async def test_disallowed_host_is_refused(app):
    from litestar.testing import AsyncTestClient

    async with AsyncTestClient(app=app, base_url="http://evil.example") as evil:
        assert (await evil.get("/")).status_code == 400


async def test_calendar_staff_can_extend_2027(client):
    from datetime import date

    from portal.calendar.service import load_calendar
    from portal.lib.workdays import UnknownCalendarYear
    from tests.calendar_entry import HOLIDAYS_2027, enter_days, forget_2027

    staff = await f.account(Role.STAFF)
    await f.login(client, staff["username"])
    csrf = client.cookies.get("csrftoken")
    with pytest.raises(UnknownCalendarYear):
        (await load_calendar()).add_workdays(date(2026, 12, 28), 5)
    try:
        early = await client.post(
            "/staff/calendar/years",
            data={"year": "2027", "source": "国办发明电〔2026〕1号", "workdays": "0", "_csrf_token": csrf},
        )
        assert early.status_code == 400 and "请先录入2027年" in early.text
        # a year counts only with every statutory holiday entered (here one rest day each).
        await enter_days(client, csrf, HOLIDAYS_2027)
        r = await client.post(
            "/staff/calendar/years",
            data={"year": "2027", "source": "国办发明电〔2026〕1号", "workdays": "0", "_csrf_token": csrf},
            follow_redirects=False,
        )
        assert r.status_code == 303
        assert (await load_calendar()).add_workdays(date(2026, 12, 28), 5) == date(2027, 1, 5)
    finally:
        await forget_2027()
