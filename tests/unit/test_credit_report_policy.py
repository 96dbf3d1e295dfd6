"""Who may upload a credit report (R-P3, R-18): the decision alone, without HTTP or a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from portal.accounts.sessions import Principal
from portal.queries.policy import AuthorisationFacts, credit_report_decision

TODAY = date(2026, 12, 5)


def _principal(role: str = "third_party", account: int = 11) -> Principal:
    return Principal(account, f"{role}-x", role, "测试", None, None, "", "d")


def _facts(**over) -> AuthorisationFacts:
    facts = AuthorisationFacts(
        id=5,
        requester_id=11,
        status="effective",
        valid_from=TODAY - timedelta(days=1),
        valid_until=TODAY + timedelta(days=30),
        classes=frozenset({"A"}),
        categories=frozenset(),
        reason_code="credit_report",
        reason_text="",
        letter_sha256="a" * 64,
    )
    return replace(facts, **over)


def test_a_registered_agency_with_an_effective_credit_report_authorisation_may_upload():
    assert credit_report_decision(_principal(), "active", _facts(), TODAY) is None
    assert credit_report_decision(_principal(), "active", _facts(valid_until=TODAY), TODAY) is None


@pytest.mark.parametrize(
    ("role", "agency_status", "facts", "code"),
    [
        ("enterprise", "active", _facts(), "wrong_role"),
        ("agency", "active", _facts(), "wrong_role"),
        ("staff", "active", _facts(), "wrong_role"),
        ("third_party", None, _facts(), "not_registered_agency"),
        ("third_party", "suspended", _facts(), "agency_not_active"),
        ("third_party", "cancelled", _facts(), "agency_not_active"),
        ("third_party", "active", None, "not_requester"),
        ("third_party", "active", _facts(requester_id=12), "not_requester"),
        ("third_party", "active", _facts(status="pending"), "authorization_not_effective"),
        ("third_party", "active", _facts(status="refused"), "authorization_not_effective"),
        ("third_party", "active", _facts(status="revoked"), "authorization_revoked"),
        ("third_party", "active", _facts(valid_until=TODAY - timedelta(days=1)), "authorization_expired"),
        ("third_party", "active", _facts(valid_from=TODAY + timedelta(days=1)), "authorization_not_yet_valid"),
        ("third_party", "active", _facts(reason_code="financing"), "authorization_wrong_purpose"),
    ],
)
def test_refusals(role, agency_status, facts, code):
    refusal = credit_report_decision(_principal(role), agency_status, facts, TODAY)
    assert refusal is not None and refusal.code == code and not refusal.label.isascii()
