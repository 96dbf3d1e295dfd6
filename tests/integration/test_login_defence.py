"""Login defence (OWASP ASVS V2): atomic failure counting, a per-account delay that never locks the
owner out, per-address limits, trusted proxies, password change, counter reset links, and the
public API's rate limit.

Each test speaks from its own client address (httpx's ASGI transport sets the TCP peer), so the
counters of one test never touch another's; time is moved by editing the counter row, never slept.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import sys
import time
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx
import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from portal.accounts import recovery
from portal.accounts.passwords import hash_password
from portal.accounts.tables import Account, LoginThrottle, Role, Session
from portal.settings import get_settings
from tests import factories as f

pytestmark = pytest.mark.anyio
WRONG = "Wrong-Passw0rd!"
ROOT = Path(__file__).resolve().parents[2]
NEW_PASSWORD = "Brand-New-Pass9"
_hosts = itertools.count(1)


def new_address() -> str:
    n = next(_hosts) + int(time.time()) % 50_000 * 100
    return f"198.18.{n // 250 % 250}.{n % 250 + 1}"  # benchmarking range: never a real client


@asynccontextmanager
async def browser(app, address: str | None = None):
    transport = httpx.ASGITransport(app=app, client=(address or new_address(), 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as client:
        yield client


async def csrf(client) -> str:
    await client.get("/login")
    return client.cookies.get("csrftoken")


async def post_login(client, username: str, password: str, token: str | None = None, headers=None):
    token = token or await csrf(client)
    data = {"username": username, "password": password, "next": "/account", "_csrf_token": token}
    return await client.post("/login", data=data, headers=headers, follow_redirects=False)


@pytest.fixture
def settings_env(monkeypatch):
    """Run with some PORTAL_* variables set, as a deployment would (settings are read per request)."""

    def apply(**env: str) -> None:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield apply
    monkeypatch.undo()
    get_settings.cache_clear()


async def counter(key: str) -> dict | None:
    return await LoginThrottle.select().where(LoginThrottle.key == key).first()


# --- observation 3: check-then-act ------------------------------------------------------------


async def test_concurrent_wrong_passwords_are_counted_before_they_are_checked(app):
    """40 wrong passwords at once for one account: only the free attempts reach the hash check;
    the rest are refused with 429 (on main all 40 were checked)."""
    user = await f.account(Role.ADMIN)
    free = get_settings().login_free_failures
    async with browser(app) as client:
        token = await csrf(client)
        started = time.monotonic()
        responses = await asyncio.gather(*(post_login(client, user["username"], WRONG, token) for _ in range(40)))
        elapsed = time.monotonic() - started
    checked = [r for r in responses if r.status_code == 400]
    refused = [r for r in responses if r.status_code == 429]
    assert len(checked) + len(refused) == 40, sorted({r.status_code for r in responses})
    # After the free attempts the next one waits 1 s; a burst slower than that may admit one more.
    assert len(checked) <= free + (1 if elapsed > 1 else 0), (len(checked), elapsed)
    assert all("用户名或密码错误" in r.text for r in checked)
    # Refused by the account's delay, or (while the burst is in flight) by the address's count.
    assert all(int(r.headers["retry-after"]) >= 1 and re.search(r"请在 \d+ (秒|分钟)后再试", r.text) for r in refused)
    row = await counter(f"acct:{user['username']}")
    assert row["failures"] == len(checked)  # refused attempts are not counted: they were not tried


# --- observation 3: any account locked by anyone for 15 minutes ------------------------------


async def test_failures_delay_the_account_progressively_and_the_owner_gets_in_after_the_delay(app):
    admin = await f.account(Role.ADMIN)
    key = f"acct:{admin['username']}"
    s = get_settings()
    async with browser(app) as attacker:
        for _ in range(s.login_free_failures):
            assert (await post_login(attacker, admin["username"], WRONG)).status_code == 400
    row = await counter(key)
    assert row["failures"] == s.login_free_failures
    assert row["next_allowed_at"] - row["last_at"] == 1  # 2^0 s, not 15 minutes
    # Four more failures later (as if they had waited each delay out): 16 s before the next check.
    now = time.time()
    await LoginThrottle.update(
        {
            LoginThrottle.failures: s.login_free_failures + 4,
            LoginThrottle.last_at: now,
            LoginThrottle.next_allowed_at: now + 16,
        }
    ).where(LoginThrottle.key == key)
    async with browser(app) as owner:
        before = await counter(key)
        refused = await post_login(owner, admin["username"], f.PASSWORD)
        assert refused.status_code == 429
        assert 15 <= int(refused.headers["retry-after"]) <= 16
        assert re.search(r"请在 1[56] 秒后再试", refused.text)
        assert await counter(key) == before  # a refused attempt is not counted and does not lengthen the wait
        # The delay has passed: the owner's right password is checked and accepted; the count restarts.
        await LoginThrottle.update({LoginThrottle.next_allowed_at: time.time() - 1}).where(LoginThrottle.key == key)
        assert (await post_login(owner, admin["username"], f.PASSWORD)).status_code == 303
    assert await counter(key) is None


async def test_the_delay_is_capped(app):
    user = await f.account(Role.AUDITOR)
    key = f"acct:{user['username']}"
    s = get_settings()
    now = time.time()
    await LoginThrottle(key=key, failures=60, first_at=now, last_at=now - 1, next_allowed_at=now - 1, version=1).save()
    async with browser(app) as client:
        assert (await post_login(client, user["username"], WRONG)).status_code == 400
    row = await counter(key)
    assert row["failures"] == 61 and row["next_allowed_at"] - row["last_at"] == s.login_max_delay_seconds


async def test_a_browser_that_logged_in_before_is_not_slowed_by_strangers(app):
    """The owner's own browser keeps working while strangers keep the account at the longest delay."""
    user = await f.account(Role.STAFF)
    async with browser(app) as owner:
        assert (await post_login(owner, user["username"], f.PASSWORD)).status_code == 303
        assert owner.cookies.get("portal_device")
        now = time.time()
        await LoginThrottle(
            key=f"acct:{user['username']}", failures=40, first_at=now, last_at=now, next_allowed_at=now + 900, version=1
        ).save()
        async with browser(app) as stranger:
            assert (await post_login(stranger, user["username"], f.PASSWORD)).status_code == 429
        owner.cookies.delete("portal_session")
        assert (await post_login(owner, user["username"], f.PASSWORD)).status_code == 303
        # A device cookie of another account does not help.
        other = await f.account(Role.STAFF)
        await LoginThrottle(
            key=f"acct:{other['username']}",
            failures=40,
            first_at=now,
            last_at=now,
            next_allowed_at=now + 900,
            version=1,
        ).save()
        assert (await post_login(owner, other["username"], f.PASSWORD)).status_code == 429


async def test_many_accounts_from_one_address_are_limited(app, settings_env):
    settings_env(PORTAL_LOGIN_ADDRESS_FAILURES="3")
    victims = [await f.account(Role.CITIZEN) for _ in range(4)]
    address = new_address()
    async with browser(app, address) as sprayer:
        for victim in victims[:3]:
            assert (await post_login(sprayer, victim["username"], WRONG)).status_code == 400
        blocked = await post_login(sprayer, victims[3]["username"], f.PASSWORD)
        assert blocked.status_code == 429 and "分钟后再试" in blocked.text
        assert int(blocked.headers["retry-after"]) > 60
    assert (await counter(f"acct:{victims[3]['username']}")) is None  # the account was not charged
    async with browser(app) as elsewhere:
        assert (await post_login(elsewhere, victims[3]["username"], f.PASSWORD)).status_code == 303


async def test_a_success_from_an_address_does_not_count_against_it(app, settings_env):
    settings_env(PORTAL_LOGIN_ADDRESS_FAILURES="3")
    users = [await f.account(Role.CITIZEN) for _ in range(3)]
    async with browser(app) as office:
        assert (await post_login(office, users[0]["username"], WRONG)).status_code == 400
        for user in users:
            assert (await post_login(office, user["username"], f.PASSWORD)).status_code == 303
        assert (await post_login(office, users[1]["username"], WRONG)).status_code == 400
        assert (await post_login(office, users[2]["username"], f.PASSWORD)).status_code == 303


# --- observation 3: behind a load balancer every user shares one address ----------------------


async def test_behind_a_trusted_proxy_each_client_has_its_own_address(app, settings_env):
    settings_env(PORTAL_LOGIN_ADDRESS_FAILURES="2", PORTAL_TRUSTED_PROXIES="10.0.0.0/8")
    a, b = new_address(), new_address()
    users = [await f.account(Role.CITIZEN) for _ in range(3)]
    async with browser(app, "10.1.2.3") as balancer:  # every request arrives from the load balancer
        spoofed = {"x-forwarded-for": f"192.0.2.77, {a}, 10.9.9.9"}  # client-written left end, then our hops
        for user in users[:2]:
            assert (await post_login(balancer, user["username"], WRONG, headers=spoofed)).status_code == 400
        assert (await post_login(balancer, users[2]["username"], f.PASSWORD, headers=spoofed)).status_code == 429
        assert await counter(f"addr:{a}") is not None and await counter("addr:192.0.2.77") is None
        other = {"x-forwarded-for": b}
        assert (await post_login(balancer, users[2]["username"], f.PASSWORD, headers=other)).status_code == 303
    assert await counter("addr:10.1.2.3") is None


async def test_forwarded_for_from_an_untrusted_peer_is_ignored(app, settings_env):
    settings_env(PORTAL_LOGIN_ADDRESS_FAILURES="2", PORTAL_TRUSTED_PROXIES="10.0.0.0/8")
    address = new_address()
    users = [await f.account(Role.CITIZEN) for _ in range(3)]
    async with browser(app, address) as client:
        for i, user in enumerate(users[:2]):
            fake = {"x-forwarded-for": f"203.0.113.{i + 1}"}  # a new "address" per attempt
            assert (await post_login(client, user["username"], WRONG, headers=fake)).status_code == 400
        fake = {"x-forwarded-for": "203.0.113.99"}
        assert (await post_login(client, users[2]["username"], f.PASSWORD, headers=fake)).status_code == 429
    assert (await counter(f"addr:{address}"))["failures"] == 2


# --- build 4: password change ------------------------------------------------------------------


async def test_password_change_needs_the_current_password_and_ends_other_sessions(app):
    user = await f.account(Role.CITIZEN)
    async with browser(app) as elsewhere:
        assert (await post_login(elsewhere, user["username"], f.PASSWORD)).status_code == 303
        async with browser(app) as here:
            assert (await post_login(here, user["username"], f.PASSWORD)).status_code == 303
            old_session = here.cookies.get("portal_session")
            page = await here.get("/account/password")
            assert page.status_code == 200 and "当前密码" in page.text
            token = here.cookies.get("csrftoken")

            async def change(current, new, new2=None):
                data = {"current": current, "password": new, "password2": new2 or new, "_csrf_token": token}
                return await here.post("/account/password", data=data, follow_redirects=False)

            wrong = await change(WRONG, NEW_PASSWORD)
            assert wrong.status_code == 400 and "当前密码不正确" in wrong.text
            weak = await change(f.PASSWORD, "short")
            assert weak.status_code == 400 and "密码至少10位" in weak.text
            mismatch = await change(f.PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x")
            assert mismatch.status_code == 400 and "不一致" in mismatch.text
            no_csrf = await here.post(
                "/account/password", data={"current": f.PASSWORD, "password": NEW_PASSWORD, "password2": NEW_PASSWORD}
            )
            assert no_csrf.status_code == 403
            done = await change(f.PASSWORD, NEW_PASSWORD)
            assert done.status_code == 303 and done.headers["location"] == "/account?changed=1"
            rotated = here.cookies.get("portal_session")
            assert rotated and rotated != old_session
            assert (await here.get("/account")).status_code == 200
            assert await Session.count().where(Session.account == user["id"]) == 1
        assert (await elsewhere.get("/account", follow_redirects=False)).status_code in (302, 303)
    async with browser(app) as later:
        assert (await post_login(later, user["username"], f.PASSWORD)).status_code == 400
        assert (await post_login(later, user["username"], NEW_PASSWORD)).status_code == 303


async def test_password_change_guesses_are_throttled_like_logins(app):
    user = await f.account(Role.CITIZEN)
    async with browser(app) as thief:  # holds a stolen session, not the password
        assert (await post_login(thief, user["username"], f.PASSWORD)).status_code == 303
        token = thief.cookies.get("csrftoken")
        data = {"current": WRONG, "password": NEW_PASSWORD, "password2": NEW_PASSWORD, "_csrf_token": token}
        statuses = [
            (await thief.post("/account/password", data=data)).status_code
            for _ in range(get_settings().login_free_failures)
        ]
        assert statuses == [400] * get_settings().login_free_failures
        await LoginThrottle.update({LoginThrottle.next_allowed_at: time.time() + 60}).where(
            LoginThrottle.key == f"acct:{user['username']}"
        )
        refused = await thief.post("/account/password", data={**data, "current": f.PASSWORD})
        assert refused.status_code == 429 and "retry-after" in refused.headers


# --- build 5: one-time reset link issued at the counter ----------------------------------------


async def login_as(client, role: str) -> dict:
    user = await f.account(role)
    assert (await post_login(client, user["username"], f.PASSWORD)).status_code == 303
    return user


def link_in(page) -> str:
    match = re.search(r"http://testserver\.local(/reset/[A-Za-z0-9_.\-]+)", page.text)
    assert match, "no reset link shown"
    return match.group(1)


async def test_staff_issue_a_single_use_reset_link_after_checking_the_id(app):
    person = await f.natural_subject()
    citizen = await f.account(Role.CITIZEN, subject_id=person["id"])
    async with browser(app) as desk:
        await login_as(desk, Role.STAFF)
        assert (await desk.get("/staff/password-reset")).status_code == 200
        token = desk.cookies.get("csrftoken")
        form = {"username": citizen["username"], "id_number": f.new_id_number(), "checked": "yes", "_csrf_token": token}
        wrong_id = await desk.post("/staff/password-reset", data=form)
        assert wrong_id.status_code == 400 and "不一致" in wrong_id.text and form["id_number"] not in wrong_id.text
        unchecked = await desk.post(
            "/staff/password-reset", data={**form, "id_number": person["id_number"], "checked": ""}
        )
        assert unchecked.status_code == 400 and "/reset/" not in unchecked.text
        issued = await desk.post("/staff/password-reset", data={**form, "id_number": person["id_number"]})
        assert issued.status_code == 200 and issued.headers["cache-control"] == "no-store"
        path = link_in(issued)
        assert person["id_number"] not in path and person["id_number"] not in issued.text
    async with browser(app) as owner_elsewhere:
        assert (await post_login(owner_elsewhere, citizen["username"], f.PASSWORD)).status_code == 303
        async with browser(app) as owner:
            page = await owner.get(path)
            assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
            token = owner.cookies.get("csrftoken")
            weak = await owner.post(path, data={"password": "short", "password2": "short", "_csrf_token": token})
            assert weak.status_code == 400 and "密码至少10位" in weak.text
            data = {"password": NEW_PASSWORD, "password2": NEW_PASSWORD, "_csrf_token": token}
            done = await owner.post(path, data=data, follow_redirects=False)
            assert done.status_code == 303 and done.headers["location"] == "/login?reset=1"
            again = await owner.post(path, data={**data, "password": "Another-Pass9!", "password2": "Another-Pass9!"})
            assert again.status_code == 400 and "已使用或已过期" in again.text
            assert (await owner.get(path)).status_code == 400
            assert (await post_login(owner, citizen["username"], NEW_PASSWORD)).status_code == 303
        # Every session the account had is over.
        assert (await owner_elsewhere.get("/account", follow_redirects=False)).status_code in (302, 303)


async def test_counter_links_only_for_the_publics_accounts_and_their_limits(app):
    """Staff cannot take over an internal account (SPEC §7): no counter link for an administrator,
    auditor, agency officer or colleague; a credit service agency's account gets one."""
    agency = await f.agency()
    internal = [
        await f.account(Role.ADMIN),
        await f.account(Role.AUDITOR),
        await f.account(Role.AGENCY, agency_id=agency["id"]),
        await f.account(Role.STAFF),
    ]
    agent = await f.account(Role.THIRD_PARTY)  # the link's limits are tried on it below
    async with browser(app) as desk:
        staff = await login_as(desk, Role.STAFF)
        token = desk.cookies.get("csrftoken")
        for account in internal:
            refused = await desk.post(
                "/staff/password-reset", data={"username": account["username"], "checked": "yes", "_csrf_token": token}
            )
            assert refused.status_code == 400 and "/reset/" not in refused.text, account["username"]
            assert "工作人员、部门、审计员和管理员账号" in refused.text
        issued = await desk.post(
            "/staff/password-reset", data={"username": agent["username"], "checked": "yes", "_csrf_token": token}
        )
        assert issued.status_code == 200
        path = link_in(issued)
        own = await desk.post(
            "/staff/password-reset", data={"username": staff["username"], "checked": "yes", "_csrf_token": token}
        )
        assert own.status_code == 400 and "不能为自己的账号" in own.text
    # A link older than 24 hours is dead, as is a forged one.
    row = await Account.select(Account.id, Account.password_hash).where(Account.id == agent["id"]).first()

    class DayOldSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - recovery.MAX_AGE - 60

    old = URLSafeTimedSerializer(get_settings().secret_key, salt="password-reset", signer=DayOldSigner).dumps(
        {"a": row["id"], "h": recovery._fingerprint(row["password_hash"])}
    )
    forged = URLSafeTimedSerializer("not-our-key", salt="password-reset").dumps(
        {"a": row["id"], "h": recovery._fingerprint(row["password_hash"])}
    )
    async with browser(app) as client:
        assert (await client.get(f"/reset/{old}")).status_code == 400
        assert (await client.get(f"/reset/{forged}")).status_code == 400
        assert (await client.get(path)).status_code == 200
        # A password set any other way also kills the link (it is bound to the password it replaces).
        other_hash = hash_password("Other-Passw0rd!")
        await Account.update({Account.password_hash: other_hash}).where(Account.id == agent["id"])
        assert (await client.get(path)).status_code == 400


async def test_only_staff_issue_reset_links(app):
    citizen = await f.account(Role.CITIZEN)
    async with browser(app) as client:
        assert (await post_login(client, citizen["username"], f.PASSWORD)).status_code == 303
        assert (await client.get("/staff/password-reset")).status_code == 403
        token = client.cookies.get("csrftoken")
        denied = await client.post(
            "/staff/password-reset", data={"username": citizen["username"], "checked": "yes", "_csrf_token": token}
        )
        assert denied.status_code == 403 and "/reset/" not in denied.text


async def _set_password(username: str, typed: str):
    command = [sys.executable, "-m", "portal", "set-password", username]
    return await anyio.run_process(command, input=typed.encode(), check=False, cwd=ROOT, env=os.environ.copy())


async def test_the_operator_sets_an_internal_accounts_password_on_the_server(app):
    """``python -m portal set-password``: the password from stdin, never echoed; every session of
    the account ends; the old password stops working."""
    auditor = await f.account(Role.AUDITOR)
    async with browser(app) as before:
        assert (await post_login(before, auditor["username"], f.PASSWORD)).status_code == 303
        weak = await _set_password(auditor["username"], "short\n")
        assert weak.returncode == 2 and "密码至少10位" in weak.stderr.decode()
        unknown = await _set_password("no-such-account", f"{NEW_PASSWORD}\n")
        assert unknown.returncode == 2 and "没有该用户名的账号" in unknown.stderr.decode()
        done = await _set_password(auditor["username"], f"{NEW_PASSWORD}\n")
        assert done.returncode == 0, done.stderr.decode()
        assert NEW_PASSWORD not in done.stdout.decode() + done.stderr.decode()
        assert (await before.get("/account", follow_redirects=False)).status_code in (302, 303)
    async with browser(app) as after:
        assert (await post_login(after, auditor["username"], f.PASSWORD)).status_code == 400
        assert (await post_login(after, auditor["username"], NEW_PASSWORD)).status_code == 303


# --- build 6 / observation-5 item: the public API's rate limit --------------------------------


async def test_public_api_rate_limit_per_client_address(app, settings_env):
    settings_env(PORTAL_API_RATE="0.1", PORTAL_API_BURST="3", PORTAL_TRUSTED_PROXIES="10.0.0.0/8")
    url = "/api/v1/public/disclosures?limit=1"
    async with browser(app) as harvester:
        assert [(await harvester.get(url)).status_code for _ in range(3)] == [200, 200, 200]
        limited = await harvester.get(url)
        assert limited.status_code == 429
        assert limited.headers["content-type"].startswith("application/json")
        assert limited.json()["error"]["code"] == "too_many_requests"
        assert "秒后重试" in limited.json()["error"]["message"]
        assert 1 <= int(limited.headers["retry-after"]) <= 10
    async with browser(app) as neighbour:
        assert (await neighbour.get(url)).status_code == 200
    async with browser(app, "10.0.0.2") as balancer:  # clients behind our proxy each get their own bucket
        for client in (new_address(), new_address()):
            statuses = [(await balancer.get(url, headers={"x-forwarded-for": client})).status_code for _ in range(4)]
            assert statuses == [200, 200, 200, 429]
    async with browser(app) as reader:  # documented, so API clients (and schemathesis) expect it
        schema = (await reader.get("/schema/openapi.json")).json()
    api = {path: ops for path, ops in schema["paths"].items() if path.startswith("/api/v1/public")}
    assert len(api) == 3 and all("429" in ops["get"]["responses"] for ops in api.values())
