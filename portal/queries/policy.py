"""Who may see what (DESIGN rule 6; R-15, R-18): the three query paths as decisions.

Each ``*_decision`` takes the principal and the facts the query service loaded (is the requester
proven, the authorisation, the class-C categories it may receive) and returns a ``Grant`` — the
scope, method, reason and authority of one disclosure — or a ``Refusal``. They read no tables and
record nothing, so the whole matrix (role × proof × authorisation state × class × category) is
tested without HTTP or a database (tests/unit/test_query_policy.py). ``portal.queries.service``
loads the facts, records the outcome in the audit log and reads the records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from audit.events import mask_id_numbers
from portal.accounts.sessions import Principal
from portal.accounts.tables import Role
from portal.authorizations import reasons
from portal.disclosure.service import Authority, Method, Scope
from portal.queries.refusals import REFUSALS, QueryInputError, Refusal

__all__ = [
    "Grant",
    "AuthorisationFacts",
    "SUBJECT_ROLES",
    "REQUESTER_ROLES",
    "self_decision",
    "authorised_decision",
    "agency_decision",
    "counter_decision",
    "CheckDecision",
    "check_decision",
    "verification_decision",
    "authorisation_problem",
    "credit_report_decision",
]

SUBJECT_ROLES = frozenset({Role.CITIZEN, Role.ENTERPRISE})
REQUESTER_ROLES = frozenset({Role.ENTERPRISE, Role.THIRD_PARTY})


@dataclass(frozen=True)
class Grant:
    """One allowed disclosure, before it is recorded."""

    method: str
    scope: Scope
    reason_code: str
    reason_text: str = ""
    authority: Authority | None = None

    def __post_init__(self) -> None:
        # DESIGN rule 4: a full ID number typed into a reason is kept and shown masked, as the
        # audit log keeps it.
        object.__setattr__(self, "reason_text", mask_id_numbers(self.reason_text))


@dataclass(frozen=True)
class AuthorisationFacts:
    """What the decision needs of a third party's authorisation (``portal.authorizations``)."""

    id: int
    requester_id: int
    status: str
    valid_from: date
    valid_until: date
    classes: frozenset[str]
    categories: frozenset[str]
    """Class-C categories the letter names; empty: the letter names none in particular."""
    reason_code: str
    reason_text: str
    letter_sha256: str

    @classmethod
    def of(cls, row: dict) -> AuthorisationFacts:
        """From a row of ``portal.authorizations.service.get``."""
        return cls(
            id=row["id"],
            requester_id=row["requester_id"],
            status=row["status"],
            valid_from=row["valid_from"],
            valid_until=row["valid_until"],
            classes=frozenset(row["scope_classes"].split(",")) - {""},
            categories=frozenset(row["scope_categories"].split(",")) - {""},
            reason_code=row["reason_code"],
            reason_text=row["reason_text"],
            letter_sha256=row["letter_sha256"] or "",
        )


def _refuse(code: str) -> Refusal:
    return REFUSALS[code]


def self_decision(principal: Principal, proven: bool) -> Grant | Refusal:
    """本人查询: a subject whose identity proof was accepted sees all of its records (R-15, R-18)."""
    if principal.role not in SUBJECT_ROLES:
        return _refuse("wrong_role")
    if not proven or not principal.subject_id:
        return _refuse("identity_not_verified")
    return Grant(Method.SELF, Scope.of("A,B,C"), "self_query", "本人网上查询")


def authorisation_problem(facts: AuthorisationFacts, requester_id: int, today: date) -> str | None:
    """None if the authorisation lets this requester query today; else the refusal code (R-18)."""
    if facts.requester_id != requester_id:
        return "not_requester"
    if facts.status == "revoked":
        return "authorization_revoked"
    if facts.status != "effective":
        return "authorization_not_effective"
    if today < facts.valid_from:
        return "authorization_not_yet_valid"
    if today > facts.valid_until:
        return "authorization_expired"
    return None


def authorised_decision(
    principal: Principal, proven: bool, facts: AuthorisationFacts | None, shareable_c: frozenset[str], today: date
) -> Grant | Refusal:
    """授权查询: a proven requester, an effective authorisation in its validity period; class C only
    in categories staff marked shareable under a subject's authorisation (R-15: C goes only to some
    bodies, per category; default none) and, if the letter names categories, only those."""
    if principal.role not in REQUESTER_ROLES:
        return _refuse("wrong_role")
    if facts is None or facts.requester_id != principal.account_id:
        return _refuse("not_requester")  # someone else's authorisation looks like none at all
    if not proven:
        return _refuse("requester_not_proven")
    if problem := authorisation_problem(facts, principal.account_id, today):
        return _refuse(problem)
    c_categories = None
    if "C" in facts.classes:
        c_categories = (facts.categories & shareable_c) if facts.categories else shareable_c
    scope = Scope.of(facts.classes, c_categories)
    authority = Authority(ref=f"authorization:{facts.id}", sha256=facts.letter_sha256)
    return Grant(Method.THIRD_PARTY, scope, facts.reason_code, facts.reason_text, authority)


def agency_decision(
    principal: Principal,
    reason_code: str,
    reason_text: str,
    wanted_c: frozenset[str],
    granted_c: frozenset[str],
    has_letter: bool,
) -> Grant | Refusal:
    """部门履职查询: class B in the agency's duties; class C only in categories the agency is granted
    and only with an official letter (R-15, R-18). Reasons that rest on the subject's written
    authorisation are not duties: they need an authorisation, which agencies do not file."""
    if principal.role != Role.AGENCY or not principal.agency_id:
        return _refuse("wrong_role")
    if not reasons.is_known(reason_code) or len(reason_text.strip()) < 4:
        raise QueryInputError("请选择查询事由，并写明履职事项（如案件或审批编号）")
    if reasons.needs_authorisation(reason_code):
        return _refuse("authorization_required")
    if not wanted_c <= granted_c:
        return _refuse("category_not_granted")
    if wanted_c and not has_letter:
        return _refuse("no_official_letter")
    scope = Scope.of({"B", "C"}, wanted_c) if wanted_c else Scope.of({"B"})
    return Grant(Method.AGENCY, scope, reason_code, reason_text.strip())


def counter_decision(principal: Principal, checked_in_person: bool) -> Grant | Refusal:
    """窗口查询 for a written objection (R-18, R-22): the subject (or its legal representative) is
    at the centre's counter and staff checked the valid ID or the legal person's written proof;
    the subject may see all its records, so staff may look them up to take the objection."""
    if principal.role != Role.STAFF:
        return _refuse("wrong_role")
    if not checked_in_person:
        raise QueryInputError("请先当面核验申请人的有效身份证件或单位书面证明，并勾选确认")
    return Grant(Method.COUNTER, Scope.of("A,B,C"), "objection_intake", "窗口受理书面异议，本人到场核验身份")


def credit_report_decision(
    principal: Principal, agency_status: str | None, facts: AuthorisationFacts | None, today: date
) -> Refusal | None:
    """信用报告上传: staff of an agency whose 备案 is in force (KS 第二十条), holding the subject's
    effective written authorisation for a credit report (R-P3, R-18). None: allowed."""
    if principal.role != Role.THIRD_PARTY:
        return _refuse("wrong_role")
    if agency_status is None:
        return _refuse("not_registered_agency")
    if agency_status != "active":
        return _refuse("agency_not_active")
    if facts is None or facts.requester_id != principal.account_id:
        return _refuse("not_requester")
    if problem := authorisation_problem(facts, principal.account_id, today):
        return _refuse(problem)
    if facts.reason_code != "credit_report":
        return _refuse("authorization_wrong_purpose")
    return None


@dataclass(frozen=True)
class CheckDecision:
    """逢办必查 (R-P5): the check always answers what is public (lists, measures, products); class B
    only when ``withheld`` is None. The grant's authority is the case (R-28)."""

    grant: Grant
    withheld: Refusal | None = None


def check_decision(
    principal: Principal, domain: str, matter_name: str, case_no: str, method: str
) -> CheckDecision | Refusal:
    """逢办必查 by an agency (its system's key or an officer): class B by the rules of a 部门履职查询
    (``agency_decision``: a duty reason, never one that rests on the subject's authorisation);
    class C never (it needs an official letter each time, R-18). The 办件编号 is the case the
    query record is filed with (R-28)."""
    reason_text = f"逢办必查：{matter_name.strip()}（办件编号 {case_no.strip()}）"
    duty = agency_decision(principal, domain, reason_text, frozenset(), frozenset(), False)
    authority = Authority(ref=f"case:{case_no.strip()}")
    if isinstance(duty, Refusal):
        if duty.code == "wrong_role":
            return duty
        return CheckDecision(Grant(method, Scope.of("A"), domain, reason_text, authority), withheld=duty)
    return CheckDecision(Grant(method, Scope.of("B"), domain, reason_text, authority))


def verification_decision(principal: Principal, applicant_kind: str, reason_text: str) -> Grant | Refusal:
    """信用信息核查 (R-P2): centre staff read the subject's records to issue a 查询意见. Class A
    always; class B only when the applicant is the subject itself (R-15: it may see all its own
    records) or an agency applying in its duties (R-15: B is shared with agencies for their duties).
    Never class C: it goes only to named bodies per category with an official letter (R-18), and
    an opinion is reusable and shown to whoever the matter needs."""
    if principal.role != Role.STAFF:
        return _refuse("wrong_role")
    classes = "A,B" if applicant_kind in ("subject", "agency") else "A"
    return Grant(Method.VERIFICATION, Scope.of(classes), "verification", reason_text.strip())
