"""Login and logout in a real browser against the two-worker server.

Sessions live in the database, so every worker must recognise the cookie; the session id is new
at every login and dead after logout. The CSP guard and screenshots come from conftest.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

pytestmark = pytest.mark.e2e

SESSION_COOKIE = "portal_session"
MIN_FRESH_CONTEXTS = 4  # new connections carrying the session cookie, beyond the keep-alive ones
MAX_FRESH_CONTEXTS = 30  # upper bound while waiting for the second worker to take a connection


def _session_cookie(context: BrowserContext) -> str | None:
    values = [c["value"] for c in context.cookies() if c["name"] == SESSION_COOKIE]
    return values[0] if values else None


def _login(page: Page, username: str, password: str) -> None:
    form = page.locator("main form")
    form.get_by_label("用户名").fill(username)
    form.get_by_label("密码").fill(password)
    form.get_by_role("button", name="登录").click()


def _expect_logged_in(page: Page, display: str) -> None:
    header = page.get_by_role("banner")
    expect(header.get_by_role("link", name=display)).to_be_visible()
    expect(header.get_by_role("button", name="退出")).to_be_visible()
    expect(header.get_by_role("link", name="登录", exact=True)).to_have_count(0)


def _expect_anonymous(page: Page) -> None:
    header = page.get_by_role("banner")
    expect(header.get_by_role("link", name="登录", exact=True)).to_be_visible()
    expect(header.get_by_role("link", name="注册", exact=True)).to_be_visible()
    expect(header.get_by_role("button", name="退出")).to_have_count(0)


def test_login_logout(page: Page, context: BrowserContext, open_context, live_server, seed, step):
    citizen, target = seed["citizen"], seed["target"]
    display = "测试citizen（个人用户）"  # factories.account display name + role label

    page.goto("/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("登录")
    _expect_anonymous(page)
    before_login = _session_cookie(context)  # normally none: anonymous visitors get no session
    step(page, "login-form")

    _login(page, citizen["username"], citizen["password"])
    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("我的账号")
    expect(page.locator("main")).to_contain_text(citizen["username"])
    _expect_logged_in(page, display)
    first_session = _session_cookie(context)
    assert first_session, "no session cookie after login"
    assert first_session != before_login, "the session id was not renewed at login"
    httponly = [c["httpOnly"] for c in context.cookies() if c["name"] == SESSION_COOKIE]
    assert httponly == [True], "the session cookie must be HttpOnly"
    step(page, "account")

    # More pages on the same (keep-alive) connection: every one stays logged in.
    paths = [
        "/",
        f"/search?q={seed['token']}",
        f"/subjects/{target['uscc']}",
        f"/subjects/{target['uscc']}/penalty",
        "/disclosures",
        "/lists/red",
        "/lists/black",
        "/account",
    ]
    for index, path in enumerate(paths):
        page.goto(path)
        _expect_logged_in(page, display)
        step(page, f"logged-in-{index:02d}", screenshot=index in (0, 2))
    assert _session_cookie(context) == first_session

    # Fresh browser contexts carrying the same cookie open new connections, which the kernel hands
    # to either worker: continue until both workers have served this session (sessions are in
    # the database, not in a worker's memory).
    state = context.storage_state()
    workers = live_server.worker_pids()
    assert len(workers) >= 2, f"expected 2 uvicorn workers, found {sorted(workers)}"
    served: set[int] = set()
    checkable = True
    for attempt in range(MAX_FRESH_CONTEXTS):
        other = open_context(storage_state=state)
        other_page = other.new_page()
        other_page.goto(paths[attempt % len(paths)])
        _expect_logged_in(other_page, display)
        step(other_page, "fresh-context", screenshot=False)
        owners = live_server.connection_owners()
        if not owners and attempt == 0:
            checkable = False  # no /proc (not Linux): the pages above still had to be logged in
        served |= owners
        other.close()
        if attempt >= MIN_FRESH_CONTEXTS - 1 and (len(served) >= 2 or not checkable):
            break
    if checkable:
        assert len(served) >= 2, f"only worker(s) {sorted(served)} of {sorted(workers)} took connections"

    # Log out with the header button: back to the home page, anonymous.
    page.goto("/account")
    page.get_by_role("banner").get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/$"))
    _expect_anonymous(page)
    assert _session_cookie(context) is None, "the session cookie survived logout"
    step(page, "logged-out")

    # The old session id is dead on the server, not only forgotten by this browser.
    replay = open_context()
    replay.add_cookies([{"name": SESSION_COOKIE, "value": first_session, "url": live_server.url}])
    replay_page = replay.new_page()
    replay_page.goto("/account")
    expect(replay_page).to_have_url(re.compile(r"/login\?next=/account$"))
    expect(replay_page.get_by_role("heading", level=1)).to_have_text("登录")
    _expect_anonymous(replay_page)
    step(replay_page, "old-cookie-refused")

    # Logging in again issues another session id; that one works elsewhere too.
    page.goto("/login")
    _login(page, citizen["username"], citizen["password"])
    expect(page).to_have_url(re.compile(r"/account$"))
    second_session = _session_cookie(context)
    assert second_session and second_session != first_session, "login reused the previous session id"
    check = open_context()
    check.add_cookies([{"name": SESSION_COOKIE, "value": second_session, "url": live_server.url}])
    check_page = check.new_page()
    check_page.goto("/account")
    expect(check_page).to_have_url(re.compile(r"/account$"))
    expect(check_page.locator("main")).to_contain_text(citizen["username"])
    step(check_page, "new-cookie-works")
    page.get_by_role("banner").get_by_role("button", name="退出").click()
    _expect_anonymous(page)
    step(page, "logged-out-again")


def test_login_replaces_a_planted_session_id(page: Page, context: BrowserContext, live_server, seed, step):
    """Session fixation: a session id chosen before login is never the one used after it."""
    planted = "planted-by-someone-else-0123456789abcdef"
    context.add_cookies([{"name": SESSION_COOKIE, "value": planted, "url": live_server.url}])
    page.goto("/login")
    _expect_anonymous(page)
    _login(page, seed["enterprise"]["username"], seed["enterprise"]["password"])
    expect(page).to_have_url(re.compile(r"/account$"))
    _expect_logged_in(page, "测试enterprise（企业用户）")
    expect(page.locator("main")).to_contain_text(seed["target"]["name"])
    assert _session_cookie(context) not in (None, planted)
    step(page, "enterprise-account")
    page.get_by_role("banner").get_by_role("button", name="退出").click()
    _expect_anonymous(page)


def test_wrong_password_is_refused(page: Page, guard, seed, step):
    guard.allow(r"Failed to load resource: the server responded with a status of 400")  # the form's 400
    page.goto("/login")
    _login(page, seed["enterprise"]["username"], "Wrong-Passw0rd!")
    expect(page.get_by_role("alert")).to_have_text("用户名或密码错误")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("main form").get_by_label("用户名")).to_have_value(seed["enterprise"]["username"])
    expect(page.locator("main form").get_by_label("密码")).to_have_value("")
    _expect_anonymous(page)
    step(page, "wrong-password")


def test_tab_reaches_skip_link_first(page: Page, step):
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="跳到主要内容")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    step(page, "skip-link-focused")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
