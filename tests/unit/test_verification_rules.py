"""The verification procedure's pure rules (R-P2): deadline on the PRC calendar, one-year validity,
the state shown, the policy's scope, and the signed token."""

from __future__ import annotations

from datetime import date

import pytest

from portal.accounts.sessions import Principal
from portal.lib.workdays import WorkdayCalendar
from portal.products.verifications import opinion, purposes, rules
from portal.queries import policy
from portal.queries.refusals import Refusal


def _principal(role: str) -> Principal:
    return Principal(1, "u", role, "测试", None, None, "信用中心", "x")


def test_deadline_runs_across_national_day_2026_with_the_make_up_saturday():
    # Tue 29 Sep received; 30 Sep (1); 1–7 Oct 国庆节 rest; 8 Oct (2), 9 Oct (3), Sat 10 Oct make-up
    # working day (4); Sun 11 Oct rest; Mon 12 Oct (5).
    calendar = WorkdayCalendar()
    due = rules.due_of(date(2026, 9, 29), calendar, today=date(2026, 9, 29))
    assert due.on == date(2026, 10, 12) and due.left == 5 and due.message == "剩余 5 个工作日"
    assert rules.due_of(date(2026, 9, 29), calendar, today=date(2026, 10, 10)).message == "剩余 1 个工作日"
    assert rules.due_of(date(2026, 9, 29), calendar, today=date(2026, 10, 12)).message == "今日到期"
    late = rules.due_of(date(2026, 9, 29), calendar, today=date(2026, 10, 13))
    assert late.overdue and late.message == "已超期 1 个工作日"


def test_an_application_on_a_rest_day_is_received_on_the_next_working_day():
    calendar = WorkdayCalendar()
    # Filed on 国庆节 (Fri 2 Oct 2026): received Thu 8 Oct; then 9 Oct (1), Sat 10 Oct make-up (2),
    # Sun 11 Oct rest, 12 (3), 13 (4), Wed 14 Oct (5).
    assert rules.received_on(date(2026, 10, 2), calendar) == date(2026, 10, 8)
    assert rules.due_of(date(2026, 10, 2), calendar, date(2026, 10, 2)).on == date(2026, 10, 14)
    assert rules.received_on(date(2026, 9, 29), calendar) == date(2026, 9, 29)


def test_an_unknown_calendar_year_is_refused_not_guessed():
    due = rules.due_of(date(2026, 12, 28), WorkdayCalendar(), today=date(2026, 12, 28))
    assert due.on is None and due.unknown_year == 2027
    assert due.message == "无法计算期限：2027年的法定节假日安排尚未录入工作日历"


def test_validity_is_one_year_and_expired_the_day_after():
    assert rules.valid_until(date(2026, 10, 12)) == date(2027, 10, 11)
    assert rules.valid_until(date(2028, 2, 29)) == date(2029, 2, 28)
    until = rules.valid_until(date(2026, 10, 12))
    assert rules.state_of(until, False, date(2027, 10, 11)) == rules.State.VALID
    assert rules.state_of(until, False, date(2027, 10, 12)) == rules.State.EXPIRED
    assert rules.state_of(until, True, date(2027, 1, 1)) == rules.State.SUPERSEDED
    assert rules.state_of(until, True, date(2027, 10, 12)) == rules.State.EXPIRED


def test_policy_scope_b_only_for_the_subject_itself_or_an_agency_and_never_c():
    staff = _principal("staff")
    for kind in ("subject", "agency"):
        grant = policy.verification_decision(staff, kind, "出具查询意见")
        assert grant.scope.classes == frozenset({"A", "B"}) and grant.method == "verification"
    assert policy.verification_decision(staff, "other", "x").scope.classes == frozenset({"A"})
    for role in ("citizen", "enterprise", "agency", "third_party", "auditor", "admin"):
        refused = policy.verification_decision(_principal(role), "agency", "x")
        assert isinstance(refused, Refusal) and refused.code == "wrong_role"


def test_purposes_come_from_the_two_regulations():
    assert purposes.is_known("fiscal_funds") and not purposes.is_known("loan")
    assert "表彰奖励" in purposes.label_of("awards") and "重大决策" in purposes.label_of("major_decision")


def test_token_round_trip_and_tampering():
    token = opinion.sign("XYHC20261012ABCDEFGH", "a" * 64)
    assert opinion.read_token(token) == ("XYHC20261012ABCDEFGH", "a" * 64)
    body, _, signature = token.rpartition(".")
    # The first character: the last one of unpadded base64 holds unused bits, and changing only
    # those decodes to the same signature (that flip failed to tamper for some secret keys).
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    assert opinion.read_token(f"{body}.{flipped}") is None
    assert opinion.read_token("") is None and opinion.read_token("x" * 600) is None
    from itsdangerous import URLSafeSerializer

    from portal.settings import get_settings

    other_salt = URLSafeSerializer(get_settings().secret_key, salt="portal.objections.decision.v1")
    assert opinion.read_token(other_salt.dumps({"n": "XYHC1", "d": "a" * 64})) is None


@pytest.mark.parametrize("day", [date(2026, 10, 12), date(2026, 1, 31)])
def test_numbers_carry_the_day(day):
    assert opinion.new_number("XYHC", day).startswith(f"XYHC{day:%Y%m%d}")
