"""Pure parts of the login defence: the client address behind proxies, the throttle rules, and the
API token bucket."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.accounts.throttle import State, account_rule, address_rule, wait_text
from portal.settings import get_settings
from portal.web.client import address_from
from portal.web.ratelimit import TokenBuckets

LB = ("10.0.0.0/8", "2001:db8:ffff::/48")


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "client"),
    [
        ("203.0.113.5", ["198.51.100.1"], LB, "203.0.113.5"),  # not from our proxy: header ignored
        ("10.0.0.1", ["198.51.100.1"], (), "10.0.0.1"),  # no trusted proxies configured
        ("10.0.0.1", ["192.0.2.66, 198.51.100.1, 10.0.0.9"], LB, "198.51.100.1"),  # rightmost untrusted
        ("10.0.0.1", ["192.0.2.66", "198.51.100.1"], LB, "198.51.100.1"),  # several headers, in order
        ("10.0.0.1", [], LB, "10.0.0.1"),
        ("10.0.0.1", ["not-an-ip, 10.0.0.7"], LB, "10.0.0.7"),  # client-written junk is never the key
        ("10.0.0.1", ["198.51.100.1:4431"], LB, "198.51.100.1"),
        ("10.0.0.1", ["[2001:db8::1]:443"], LB, "2001:db8::1"),
        ("::ffff:10.0.0.1", ["198.51.100.1"], LB, "198.51.100.1"),  # IPv4-mapped peer
        ("2001:db8:ffff::1", ["2001:db8::2"], LB, "2001:db8::2"),
        ("testclient", ["198.51.100.1"], LB, "testclient"),
    ],
)
def test_client_address(peer, forwarded, trusted, client):
    assert address_from(peer, forwarded, trusted) == client


S = dataclasses.replace(get_settings(), login_free_failures=5, login_max_delay_seconds=900, login_address_failures=3)


def test_account_rule_doubles_the_wait_after_the_free_attempts_and_caps_it():
    state, now, waits = None, 1000.0, []
    for _ in range(20):
        state = account_rule(state, now, S)
        waits.append(state.next_allowed_at - now)
        now = state.next_allowed_at  # the next attempt comes exactly when allowed
    assert waits[:10] == [0, 0, 0, 0, 1, 2, 4, 8, 16, 32] and waits[-1] == 900


@given(st.floats(min_value=0, max_value=899.99))
def test_account_rule_refuses_during_the_wait_without_change(early):
    row = State(failures=9, first_at=0.0, last_at=1000.0, next_allowed_at=1900.0)
    assert account_rule(row, 1000.0 + early, S) == 1900.0


def test_account_rule_forgets_after_a_quiet_day():
    row = State(failures=12, first_at=0.0, last_at=1000.0, next_allowed_at=1900.0)
    assert account_rule(row, 1000.0 + S.login_forget_seconds + 1, S).failures == 1


def test_address_rule_counts_per_window():
    state = None
    for n in range(1, 4):
        state = address_rule(state, 100.0 + n, S)
        assert isinstance(state, State) and state.failures == n
    assert address_rule(state, 200.0, S) == 101.0 + S.login_window_seconds
    assert address_rule(state, 101.0 + S.login_window_seconds, S).failures == 1


@pytest.mark.parametrize(
    ("seconds", "text"), [(1, "1 秒"), (59, "59 秒"), (60, "1 分钟"), (61, "2 分钟"), (900, "15 分钟")]
)
def test_wait_text(seconds, text):
    assert wait_text(seconds) == text


def test_token_bucket():
    buckets = TokenBuckets()
    assert [buckets.take("a", 1.0, 3, 0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a", 1.0, 3, 0.0) == pytest.approx(1.0)
    assert buckets.take("b", 1.0, 3, 0.0) == 0.0  # per client
    assert buckets.take("a", 1.0, 3, 0.5) == pytest.approx(0.5)
    assert buckets.take("a", 1.0, 3, 1.0) == 0.0  # refilled
