"""The query policy as a table (DESIGN rule 6; R-15, R-18): every role × proof × authorisation
state × class × category, decided without HTTP or a database."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from portal.accounts.sessions import Principal
from portal.queries.policy import (
    AuthorisationFacts,
    Grant,
    agency_decision,
    authorised_decision,
    counter_decision,
    self_decision,
)
from portal.queries.refusals import REFUSALS, QueryInputError, Refusal, outcome_labels

ROLES = ("citizen", "enterprise", "third_party", "agency", "staff", "auditor", "admin")
TODAY = date(2026, 12, 4)


def _principal(role: str, *, subject: int | None = 7, agency: int | None = 3, account: int = 11) -> Principal:
    return Principal(
        account_id=account,
        username=f"{role}-x",
        role=role,
        display_name="测试",
        subject_id=subject if role in ("citizen", "enterprise") else None,
        agency_id=agency if role == "agency" else None,
        organisation="",
        session_digest="d",
    )


def _facts(*, status="effective", requester=11, classes="A,B", categories="", days=(-1, 30)) -> AuthorisationFacts:
    return AuthorisationFacts(
        id=5,
        requester_id=requester,
        status=status,
        valid_from=TODAY + timedelta(days=days[0]),
        valid_until=TODAY + timedelta(days=days[1]),
        classes=frozenset(classes.split(",")),
        categories=frozenset(c for c in categories.split(",") if c),
        reason_code="business_cooperation",
        reason_text="签约前了解",
        letter_sha256="a" * 64,
    )


def _code(decision: Grant | Refusal) -> str:
    return decision.code if isinstance(decision, Refusal) else "granted"


@pytest.mark.parametrize("role,proven", itertools.product(ROLES, (True, False)))
def test_self_query(role, proven):
    decision = self_decision(_principal(role), proven)
    if role not in ("citizen", "enterprise"):
        assert _code(decision) == "wrong_role"
    elif not proven:
        assert _code(decision) == "identity_not_verified"
    else:  # a subject may query all of its own information, every category of C
        assert decision.scope.classes == {"A", "B", "C"} and decision.scope.c_categories is None
        assert decision.method == "web_self"


def test_self_query_without_a_subject_link_is_not_verified():
    assert _code(self_decision(_principal("citizen", subject=None), True)) == "identity_not_verified"


STATES = {
    # status, validity (days from today), expected refusal
    "effective": ("effective", (-1, 30), None),
    "pending": ("pending", (-1, 30), "authorization_not_effective"),
    "refused": ("refused", (-1, 30), "authorization_not_effective"),
    "revoked": ("revoked", (-1, 30), "authorization_revoked"),
    "not_yet": ("effective", (1, 30), "authorization_not_yet_valid"),
    "expired": ("effective", (-30, -1), "authorization_expired"),
    "last_day": ("effective", (-30, 0), None),
}
SCOPES = ("A", "A,B", "A,B,C")
CATEGORY_CASES = {
    # letter's categories, staff-marked shareable categories → class-C categories received
    "none_marked": ("", frozenset(), None),
    "marked": ("", frozenset({"judicial"}), {"judicial"}),
    "letter_narrows": ("judicial", frozenset({"judicial", "tax_violation"}), {"judicial"}),
    "letter_outside": ("tax_violation", frozenset({"judicial"}), None),
}


@pytest.mark.parametrize(
    "role,proven,state,classes,cats",
    itertools.product(ROLES, (True, False), STATES, SCOPES, CATEGORY_CASES),
)
def test_authorised_query(role, proven, state, classes, cats):
    status, days, problem = STATES[state]
    letter_categories, shareable, received = CATEGORY_CASES[cats]
    facts = _facts(status=status, days=days, classes=classes, categories=letter_categories)
    decision = authorised_decision(_principal(role), proven, facts, shareable, TODAY)
    if role not in ("enterprise", "third_party"):
        assert _code(decision) == "wrong_role"
    elif not proven:
        assert _code(decision) == "requester_not_proven"
    elif problem:
        assert _code(decision) == problem
    else:
        wanted = set(classes.split(","))
        scope = decision.scope
        if "C" in wanted and received:
            assert scope.classes == wanted and scope.c_categories == received
        else:  # class C never without a category staff marked shareable
            assert scope.classes == wanted - {"C"} and scope.c_categories is None
        assert decision.authority.ref == "authorization:5" and decision.method == "third_party"


def test_someone_elses_or_no_authorisation_is_not_theirs():
    other = _facts(requester=99)
    assert _code(authorised_decision(_principal("third_party"), True, other, frozenset(), TODAY)) == "not_requester"
    assert _code(authorised_decision(_principal("third_party"), True, None, frozenset(), TODAY)) == "not_requester"


GRANTS = {"none": frozenset(), "judicial": frozenset({"judicial"})}
WANTED = {"B only": frozenset(), "judicial": frozenset({"judicial"}), "two": frozenset({"judicial", "tax_violation"})}


@pytest.mark.parametrize(
    "role,granted,wanted,letter",
    itertools.product(ROLES, GRANTS, WANTED, (True, False)),
)
def test_agency_query(role, granted, wanted, letter):
    decision = agency_decision(
        _principal(role), "supervision_approval", "审批编号2026-001", WANTED[wanted], GRANTS[granted], letter
    )
    if role != "agency":
        assert _code(decision) == "wrong_role"
    elif not WANTED[wanted] <= GRANTS[granted]:
        assert _code(decision) == "category_not_granted"
    elif WANTED[wanted] and not letter:
        assert _code(decision) == "no_official_letter"
    elif WANTED[wanted]:
        assert decision.scope.classes == {"B", "C"} and decision.scope.c_categories == WANTED[wanted]
    else:
        assert decision.scope.classes == {"B"}


@pytest.mark.parametrize("reason", ["business_cooperation", "financing", "credit_report"])
def test_agency_reasons_resting_on_an_authorisation_are_refused(reason):
    decision = agency_decision(_principal("agency"), reason, "合同前了解情况", frozenset(), frozenset(), False)
    assert _code(decision) == "authorization_required"


@pytest.mark.parametrize("reason,text", [("", "审批编号2026-001"), ("no_such", "审批编号2026-001"), ("other", "短")])
def test_agency_reason_must_be_known_and_explained(reason, text):
    with pytest.raises(QueryInputError):
        agency_decision(_principal("agency"), reason, text, frozenset(), frozenset(), False)


def test_agency_without_an_agency_is_the_wrong_role():
    assert _code(
        agency_decision(_principal("agency", agency=None), "other", "履职事项说明", frozenset(), frozenset(), 0)
    ) == ("wrong_role")


@pytest.mark.parametrize("role,checked", itertools.product(ROLES, (True, False)))
def test_counter_query_for_a_written_objection(role, checked):
    """窗口查询 (R-18, R-22): only staff, and only once they checked the person's ID or proof."""
    if role != "staff":
        decision = counter_decision(_principal(role), checked)
        assert isinstance(decision, Refusal) and decision.code == "wrong_role"
        return
    if not checked:
        with pytest.raises(QueryInputError, match="当面核验"):
            counter_decision(_principal(role), checked)
        return
    decision = counter_decision(_principal(role), checked)
    assert isinstance(decision, Grant) and decision.method == "counter"
    assert decision.scope.classes == {"A", "B", "C"} and decision.scope.c_categories is None
    assert decision.reason_code == "objection_intake"


def test_every_refusal_has_a_label_status_and_an_auditor_label():
    labels = outcome_labels()
    for code, refusal in REFUSALS.items():
        assert refusal.label and not refusal.label.isascii() and 400 <= refusal.status < 500
        assert refusal.advice and not refusal.advice.isascii()
        assert labels[f"refused:{code}"].endswith(refusal.label)
    assert not REFUSALS["not_logged_in"].recorded and not REFUSALS["too_many_refusals"].recorded


def test_check_decision_class_b_only_within_duties_and_the_case_as_authority():
    """逢办必查 (R-P5, R-15, R-28): a duty domain gives class B; one resting on the subject's
    authorisation withholds it but still answers; a non-agency is refused; the case is the authority."""
    from portal.accounts.sessions import Principal
    from portal.queries.policy import CheckDecision, check_decision

    officer = Principal(1, "o", "agency", "o", None, 7, "局", "")
    d = check_decision(officer, "supervision_approval", "食品经营许可", "BJ-1", "api")
    assert isinstance(d, CheckDecision) and d.withheld is None and d.grant.scope.text() == "B"
    assert d.grant.authority.ref == "case:BJ-1" and d.grant.method == "api" and "BJ-1" in d.grant.reason_text
    out = check_decision(officer, "financing", "贷款", "BJ-2", "api")
    assert out.withheld.code == "authorization_required" and out.grant.scope.text() == "A"
    citizen = Principal(2, "c", "citizen", "c", 3, None, "", "")
    assert check_decision(citizen, "supervision_approval", "许可", "BJ-3", "api").code == "wrong_role"
