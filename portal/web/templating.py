"""Jinja2 set-up: filters and globals shared by every template."""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from urllib.parse import unquote

from jinja2 import Environment

from portal.accounts.tables import Role
from portal.lib.dates import to_china
from portal.lists.tables import ListType
from portal.records.categories import CATEGORIES, Polarity
from portal.records.tables import DisclosureClass, RecordStatus, RecordType
from portal.settings import ROOT, get_settings
from portal.subjects.tables import SubjectType

LABELS = {
    "role": Role.LABELS,
    "subject_type": SubjectType.LABELS,
    "record_type": RecordType.LABELS,
    "polarity": Polarity.LABELS,
    "class": DisclosureClass.LABELS,
    "status": RecordStatus.LABELS,
    "list_type": ListType.LABELS,
}


def fmt_date(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return to_china(value).strftime("%Y-%m-%d %H:%M")
    return value.strftime("%Y-%m-%d")


def money(value: Decimal | float | None) -> str:
    if value is None:
        return "—"
    return f"{Decimal(value).normalize():f} 万元"


def label(value: str | None, kind: str) -> str:
    return LABELS[kind].get(value or "", value or "—")


def category_label(code: str) -> str:
    category = CATEGORIES.get(code)
    return category.label if category else code


def query_method(code: str) -> str:
    from portal.disclosure.service import Method

    return Method.LABELS.get(code, code)


def subject_heading(subject: dict) -> str:
    """A disclosed subject as its result page names it: never the full ID number (R-17)."""
    code = subject.get("uscc") if subject.get("kind") == "legal" else subject.get("id_number_masked")
    return f"{subject['name']}（{code or '—'}）"


def reason_label(code: str) -> str:
    from portal.auditing.labels import reason_label

    return reason_label(code)


def principal(request) -> object | None:
    return request.scope.get("state", {}).get("principal")


@cache
def asset_url(path: str) -> str:
    """``/static/...?v=<content hash>``: browsers may cache assets for a year and still see every
    new build (the hash changes with the file). Computed once per process."""
    try:
        digest = hashlib.sha256((ROOT / "static" / path).read_bytes()).hexdigest()[:12]
    except FileNotFoundError:
        digest = "missing"
    return f"/static/{path}?v={digest}"


_LONG_NUMBER = re.compile(r"[0-9]{15}")


def current_path(request) -> str:
    """The path and query of this page, from the scope (``request.url`` raises on a Host it cannot
    parse, and error pages render this too). static/src/a11y.js keeps it current after htmx pushes.
    A query holding a number as long as an ID number is left out: never echoed into a page (rule 4)."""
    path = request.scope.get("path", "/")
    query = request.scope.get("query_string", b"").decode("latin-1")
    if not query or _LONG_NUMBER.search(unquote(query)):
        return path
    return f"{path}?{query}"


def elder_mode(request) -> bool:
    """长辈版 is on for this browser (a cookie set by POST /preferences/elder)."""
    return request.cookies.get("elder") == "1"


def operator() -> tuple[tuple[str, str], ...]:
    return get_settings().operator


def configure(env: Environment) -> None:
    from portal.authorizations.tables import AuthorizationStatus
    from portal.objections.stages import STEP_LABELS, Channel, Outcome, Stage
    from portal.proofs.tables import ProofMethod, ProofStatus
    from portal.search.highlight import highlight

    env.filters.update(
        fmt_date=fmt_date,
        money=money,
        label=label,
        category_label=category_label,
        query_method=query_method,
        reason_label=reason_label,
        subject_label=subject_heading,
        highlight=highlight,
        proof_status=lambda v: ProofStatus.LABELS.get(v, v),
        proof_method=lambda v: ProofMethod.LABELS.get(v, v),
        auth_status=lambda v: AuthorizationStatus.LABELS.get(v, v),
        objection_stage=lambda v: Stage.LABELS.get(v, v),
        objection_outcome=lambda v: Outcome.SHORT.get(v, v or "—"),
        objection_channel=lambda v: Channel.LABELS.get(v, v),
        objection_step=lambda v: STEP_LABELS.get(v, v),
    )
    env.globals.update(
        principal=principal,
        Role=Role,
        asset_url=asset_url,
        elder_mode=elder_mode,
        current_path=current_path,
        operator=operator,
    )
    env.trim_blocks = True
    env.lstrip_blocks = True
