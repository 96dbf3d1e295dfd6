"""Mount the auditor UI (``audit.routes``) in the portal, for the auditor role only (SPEC §7).

Why the handlers live in ``audit/routes.py`` and only this adapter in the portal: the audit service
owns how its log is browsed, verified and exported (DESIGN: ``audit/routes.py``), and it must never
import the portal (DESIGN rule 3). What only the portal has is passed in here:

* the guard — ``require_roles(Role.AUDITOR)``: auditors read; administrators and everyone else get
  401/403 (an administrator manages accounts but cannot read audit records);
* the subject key — an identifier the auditor types (USCC, or name + ID number) becomes the keyed
  ``subject_ref`` exactly as the disclosure path computes it (``portal.subjects.identity``), so the
  raw ID number is only ever posted, never in a URL or a log (DESIGN rule 4);
* the Chinese labels of methods, reasons, outcomes and roles;
* the viewer — the logged-in auditor, whom every view of the log is recorded against (R-19, SPEC §5).
"""

from __future__ import annotations

from litestar import Request

from audit.export import Labels
from audit.filters import FilterError
from audit.routes import AuditorUI, SubjectForm, Viewer, auditor_router
from portal.accounts.tables import Role
from portal.auditing.labels import REASON_LABELS, scope_label
from portal.disclosure.service import Method
from portal.lib import id_number as idn
from portal.lib import uscc as uscc_rules
from portal.queries.refusals import outcome_labels
from portal.subjects.identity import id_number_digest, subject_ref
from portal.subjects.tables import Subject, SubjectKind
from portal.web.guards import principal_of, require_roles

__all__ = ["audit_router", "resolve_subject", "LABELS"]

LABELS = Labels(
    methods=dict(Method.LABELS),
    reasons=REASON_LABELS,
    outcomes=outcome_labels(),
    roles={**Role.LABELS, "anonymous": "未登录访客"},
    describe_scope=scope_label,
)


async def resolve_subject(form: SubjectForm) -> str:
    """USCC, or name + ID number → the subject's audit key (R-19 entries are keyed by it)."""
    if form.kind == SubjectKind.LEGAL:
        code = uscc_rules.normalize(form.uscc)
        if error := uscc_rules.validation_error(code):
            raise FilterError(error)
        return subject_ref({"kind": SubjectKind.LEGAL, "uscc": code})
    if form.kind == SubjectKind.NATURAL:
        name, number = form.name.strip(), idn.normalize(form.id_number)
        if not name:
            raise FilterError("请填写姓名")
        if error := idn.validation_error(number):
            raise FilterError(error)
        digest = id_number_digest(number)
        row = await Subject.select(Subject.name).where(Subject.id_number_digest == digest).first()
        if row is not None and row["name"] != name:
            raise FilterError("姓名与公民身份号码不一致，请核对")
        return subject_ref({"kind": SubjectKind.NATURAL, "id_number_digest": digest})
    raise FilterError("请选择主体类型")


def viewer(request: Request) -> Viewer:
    """The auditor browsing: the guard already let only a logged-in auditor through."""
    principal = principal_of(request)
    if principal is None:  # unreachable behind require_roles; never record an anonymous view
        raise PermissionError("auditor view without a principal")
    return Viewer(account=principal.username, role=principal.role, org=principal.organisation)


audit_router = auditor_router(
    AuditorUI(guards=[require_roles(Role.AUDITOR)], resolve_subject=resolve_subject, viewer=viewer, labels=LABELS)
)
