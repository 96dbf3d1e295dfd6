"""Small page actions the browser journeys share."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

SLOW = 60_000  # ms: PDF rendering and argon2 logins on a shared two-core machine


def log_in(page: Page, user: dict) -> None:
    """Through the real login form, as a person would; lands on 我的账号."""
    page.goto("/login")
    form = page.locator("main form")
    form.get_by_label("用户名").fill(user["username"])
    form.get_by_label("密码").fill(user["password"])
    form.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/account$"), timeout=SLOW)
