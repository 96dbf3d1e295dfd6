"""The auditor UI (issue 3 item 10): browse, filter, inspect and export the query log; read-only.

``auditor_router(AuditorUI(...))`` builds a Litestar router. It lives in ``audit`` (DESIGN: the audit
service owns its browsing and export) but needs three things only the host application has, so
they are passed in rather than imported (``audit`` never imports ``portal``, DESIGN rule 3):

* ``guards`` — who may open it. The portal passes ``require_roles("auditor")``: auditors only;
  administrators and every other role get 401/403 (SPEC §7). The factory refuses to build an
  unguarded UI.
* ``resolve_subject`` — turns an identifier the auditor typed (USCC, or name + ID number) into the
  keyed ``subject_ref`` digest. The key is the portal's server secret, so the portal does this; the
  identifier is only ever *posted*, and every URL carries just the digest (DESIGN rule 4).
* ``viewer`` — who is browsing (account, role, organisation), from the host's session.
* ``labels`` — Chinese names of methods, reasons, outcomes and roles.

**The auditors' own browsing is recorded** (R-19, SPEC §5: who looked at the query log is itself on
record). Elsewhere a GET records nothing; here every page that shows entries — the log (full page
or htmx fragment), an entry, a subject's summary, the integrity page — and every export appends one
``auditor_view`` entry (requester = the auditor, ``subject_ref`` = ``audit:log``, not a subject; the
reason text names the filters, whose ID numbers the recorder masks) *before* anything is read: if the
audit store is down the page fails closed (503) like any disclosure. Access entries raise no
subject's count (``chain.build_batch``).

The pages are templates under ``templates/audit/`` extending the host's ``base.html``, so the UI is
mounted in the portal (sessions, CSRF, the login page) — the standalone ``python -m audit serve``
app has no authentication and serves no HTML (see audit/README.md).

Every handler is thin: parse the filter form (``audit.filters``), call one ``audit.service`` or
``audit.export`` function, return a page or an htmx fragment.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Annotated, Any
from urllib.parse import parse_qsl, unquote_plus, urlencode

from litestar import Request, Router, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import Body
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Stream, Template

from audit import recorder, service
from audit.events import QueryEvent, Receipt, mask_id_numbers
from audit.export import VIEW_SCOPE, Export, Labels, csv_chunks, stream_file, xlsx_file
from audit.filters import SEQ_MAX, FilterError, FilterForm, check_key, to_china
from audit.service import BrowseFilters
from audit.store import Store

__all__ = ["AuditorUI", "SubjectForm", "VIEW_REASONS", "VIEW_SUBJECT", "Viewer", "auditor_router"]

log = logging.getLogger("audit.ui")


@dataclass
class SubjectForm:
    """The identifier an auditor posts; never echoed back, never put in a URL."""

    kind: str = "legal"  # legal: USCC; natural: name + ID number
    uscc: str = ""
    name: str = ""
    id_number: str = ""
    target: str = "summary"  # summary → /audit/subjects?ref=…; log → /audit/log?subject_ref=…
    keep: str = ""  # the log page's other filters, as its query string


@dataclass(frozen=True)
class Viewer:
    """The auditor as the log records them."""

    account: str
    role: str
    org: str = ""


VIEW_SUBJECT = "audit:log"  # access entries about the log itself: never a subject's key
VIEW_REASONS = {
    "audit_log": "查阅查询记录",
    "audit_entry": "查阅单条查询记录",
    "audit_subject": "查阅主体查询汇总",
    "audit_export_csv": "导出查询记录（CSV）",
    "audit_export_xlsx": "导出查询记录（XLSX）",
    "audit_integrity": "查阅完整性校验",
}


@dataclass(frozen=True)
class AuditorUI:
    guards: Sequence[Callable[..., Any]]
    resolve_subject: Callable[[SubjectForm], Awaitable[str]]  # → subject_ref; FilterError (Chinese) if bad
    viewer: Callable[[Request], Viewer]  # the logged-in auditor
    labels: Labels = field(default_factory=Labels)
    store: Store | None = None  # None: the process-wide reader store
    page_size: int = 50
    record: Callable[[QueryEvent], Awaitable[Receipt]] | None = None  # None: audit.recorder.record


def _cn(moment: datetime | None, seconds: bool = True) -> str:
    if moment is None:
        return "—"
    return to_china(moment).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def _page_or_fragment(request: HTMXRequest, page: str, fragment: str, context: dict, status: int = 200) -> Template:
    htmx = getattr(request, "htmx", None)
    fragment_wanted = bool(htmx) and not htmx.boosted and not htmx.history_restore_request
    return Template(
        fragment if fragment_wanted else page,
        context=context,
        status_code=status,
        headers={"Vary": "HX-Request, Cookie"},
    )


def _export_name(ext: str) -> str:
    stamp = to_china(datetime.now(timezone.utc)).strftime("%Y%m%d-%H%M%S")
    return f'attachment; filename="audit-log-{stamp}.{ext}"'


def auditor_router(ui: AuditorUI) -> Router:
    if not ui.guards:
        raise ValueError("the auditor UI must be guarded (auditors only)")
    labels = ui.labels

    def context(**values: Any) -> dict:
        return {"labels": labels, "cn": _cn, **values}

    def parse(request: Request) -> tuple[FilterForm, BrowseFilters]:
        form = FilterForm.from_query(request.query_params)
        return form, form.to_filters(labels.methods)

    def max_rows() -> int:
        return (ui.store or service.default_store()).settings.export_max_rows

    async def seen(request: Request, reason: str, what: str) -> None:
        """Record this view before anything is read (R-19, SPEC §5); AuditUnavailable → 503."""
        who = ui.viewer(request)
        event = QueryEvent(
            requester_account=who.account,
            requester_role=who.role,
            requester_org=who.org,
            method="auditor_view",
            reason_code=reason,
            reason_text=what[:2000],
            subject_ref=VIEW_SUBJECT,
            subject_label="查询记录（审计日志）",
            scope=VIEW_SCOPE,
            request_id=uuid.uuid4().hex,
        )
        await (ui.record or recorder.record)(event)

    @get("/log", name="audit_log")
    async def log_page(request: HTMXRequest) -> Template:
        try:
            form, filters = parse(request)
            after = check_key(request.query_params.get("after"))
        except FilterError as exc:
            form = FilterForm.from_query(request.query_params).without_ids()
            ctx = context(form=form, page=service.Page([], None), after=None, error=str(exc), max_rows=max_rows())
            return _page_or_fragment(request, "audit/log.html", "audit/_entries.html", ctx, status=400)
        await seen(request, "audit_log", _what(form, after))
        page = await service.browse(filters, after, ui.page_size, store=ui.store)
        ctx = context(form=form, page=page, after=after, error=None, max_rows=max_rows())
        return _page_or_fragment(request, "audit/log.html", "audit/_entries.html", ctx)

    @get("/log/{seq:int}", name="audit_entry")
    async def entry_page(request: Request, seq: int) -> Template:
        await seen(request, "audit_entry", f"条目序号 {seq}")
        item = await service.verify_entry(seq, store=ui.store) if 0 < seq <= SEQ_MAX else None
        if item is None:
            raise NotFoundException("没有这条查询记录（序号不存在或已按期清除）")
        return Template("audit/entry.html", context=context(e=item, c=item["check"]))

    @get("/subjects", name="audit_subjects")
    async def subjects_page(request: Request, ref: str | None = None) -> Template:
        if not ref:
            return Template("audit/subjects.html", context=context(ref=None, summary=None, recent=[], error=None))
        try:
            FilterForm(subject_ref=ref).to_filters()
        except FilterError as exc:
            ctx = context(ref=None, summary=None, recent=[], error=str(exc))
            return Template("audit/subjects.html", context=ctx, status_code=400)
        await seen(request, "audit_subject", f"subject_ref={ref}")
        summary = await service.subject_summary(ref, store=ui.store)
        recent = await service.browse(BrowseFilters(subject_ref=ref), None, 20, store=ui.store)
        ctx = context(ref=ref, summary=summary, recent=recent.items, error=None, own_views=ref == VIEW_SUBJECT)
        return Template("audit/subjects.html", context=ctx)

    @post("/subjects", name="audit_subjects_lookup")
    async def subjects_lookup(
        data: Annotated[SubjectForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template | Redirect:
        try:
            ref = await ui.resolve_subject(data)
        except (FilterError, ValueError) as exc:
            # The identifier is not sent back: the auditor types it again (it must not linger in pages).
            ctx = context(ref=None, summary=None, recent=[], error=str(exc), kind=data.kind, name=data.name)
            return Template("audit/subjects.html", context=ctx, status_code=400)
        if data.target == "log":
            form = FilterForm.from_query(dict(_keep(data.keep)))
            return Redirect(f"/audit/log?{form.query(subject_ref=ref)}", status_code=303)
        return Redirect(f"/audit/subjects?{urlencode({'ref': ref})}", status_code=303)

    @get("/export.csv", name="audit_export_csv")
    async def export_csv(request: Request) -> Stream:
        form, filters = _checked(parse, request)
        log.info("auditor CSV export: %s", mask_id_numbers(form.query()) or "(no filter)")
        await seen(request, "audit_export_csv", _what(form, None))
        export = Export(filters, max_rows(), store=ui.store)
        headers = {"content-disposition": _export_name("csv"), "x-content-type-options": "nosniff"}
        return Stream(csv_chunks(export, labels), media_type="text/csv", headers=headers)

    @get("/export.xlsx", name="audit_export_xlsx")
    async def export_xlsx(request: Request) -> Stream:
        form, filters = _checked(parse, request)
        log.info("auditor XLSX export: %s", mask_id_numbers(form.query()) or "(no filter)")
        await seen(request, "audit_export_xlsx", _what(form, None))
        export = Export(filters, max_rows(), store=ui.store)
        path = await xlsx_file(export, labels, _describe(form, labels))
        return Stream(
            stream_file(path),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"content-disposition": _export_name("xlsx"), "x-content-type-options": "nosniff"},
        )

    @get("/integrity", name="audit_integrity")
    async def integrity_page(request: Request) -> Template:
        await seen(request, "audit_integrity", "完整性校验与访问记录")
        return Template("audit/integrity.html", context=context(s=await service.integrity_report(store=ui.store)))

    return Router(
        path="/audit",
        route_handlers=[log_page, entry_page, subjects_page, subjects_lookup, export_csv, export_xlsx, integrity_page],
        guards=list(ui.guards),
        request_class=HTMXRequest,
        include_in_schema=False,
    )


def _checked(parse, request: Request) -> tuple[FilterForm, BrowseFilters]:
    try:
        return parse(request)
    except FilterError as exc:
        raise ValidationException(str(exc)) from None


def _what(form: FilterForm, after: str | None) -> str:
    """What was viewed, for the access entry: the filters (the recorder masks ID numbers)."""
    text = f"筛选：{unquote_plus(form.query()) or '无'}"
    return text + ("；翻页" if after else "")


def _keep(query: str) -> list[tuple[str, str]]:
    return [(k, v) for k, v in parse_qsl(query[:2000]) if k != "subject_ref"]


def _describe(form: FilterForm, labels: Labels) -> list[tuple[str, str]]:
    """The filter, in words, for the XLSX 说明 sheet."""
    rows = [
        ("起始日期（北京时间）", form.date_from),
        ("截止日期（北京时间，含当日）", form.date_to),
        ("查询账号", form.requester),
        ("查询机构", form.org),
        ("信用主体摘要", form.subject_ref),
        ("查询方式", labels.methods.get(form.method, form.method)),
        ("查询事由", labels.reasons.get(form.reason, form.reason)),
        ("查询结果", labels.outcome(form.outcome) if form.outcome else ""),
    ]
    return [(name, value) for name, value in rows if value] or [("筛选条件", "无（全部记录）")]
