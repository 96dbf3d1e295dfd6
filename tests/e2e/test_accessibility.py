"""Accessibility in a real browser: the axe-core check itself, focus after a tab switch, the one
live region, h1 on every page, keyboard-only journey, Back after 加载更多, phones."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.e2e import axe

pytestmark = pytest.mark.e2e


def test_axe_check_runs_and_fails_on_a_serious_violation(page: Page, seed, guard, step):
    """The runner is live on a real page: a clean page passes, an injected image without alt text
    (axe `image-alt`, critical) is reported with its rule and element, which fails the guard."""
    page.goto("/")
    step(page, "home", screenshot=False)
    assert page.evaluate("typeof window.axe.run") == "function"
    page.evaluate(
        "() => { const i = document.createElement('img'); i.id = 'bad-img'; i.src = '/static/favicon.svg';"
        " document.querySelector('main').append(i); window.__axeQueue('test'); }"
    )
    axe.settle(page)
    problems, guard.problems = guard.problems, []
    assert any(axe.PREFIX in p and "image-alt" in p and "#bad-img" in p for p in problems), problems
