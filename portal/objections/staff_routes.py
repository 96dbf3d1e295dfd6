"""``/staff/objections``: the credit centre's queue and steps (R-22, R-23): written objections taken
at the counter, forwarding to the provider, and the written decision to the applicant."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, Router, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, Parameter
from litestar.response import Redirect, Template

from portal.accounts.tables import Role
from portal.agencies.service import all_active
from portal.lib.params import parse_int
from portal.objections import intake, service, views
from portal.objections.routes import FORM_LIMITS, files_of
from portal.objections.stages import Channel, ObjectionError, Stage
from portal.queries import service as queries
from portal.queries.context import QueryForm, request_id
from portal.queries.refusals import QueryInputError
from portal.web.guards import principal_of, require_roles
from portal.web.params import OptionalNumber

__all__ = ["staff_objections_router"]


@get("/", name="staff_objections")
async def queue(stage: str = "", agency: OptionalNumber = "", overdue: str = "") -> Template:
    stage = stage if stage in Stage.LABELS else ""
    agency_id = parse_int(agency, "agency", minimum=1, maximum=2**31 - 1)
    rows = await views.queue(stage=stage or None, agency_id=agency_id, overdue=bool(overdue))
    context = {
        "rows": rows,
        "stages": views.STAGE_FILTERS,
        "agencies": await all_active(),
        "filters": {"stage": stage, "agency": agency_id, "overdue": bool(overdue)},
    }
    return Template("portal/objections/queue.html", context=context)


async def _detail(request: Request, objection_id: int, error: str = "", status: int = 200) -> Template:
    found = await views.detail(objection_id)
    if found is None:
        raise NotFoundException()
    await service.record_staff_view(principal_of(request), found)  # non-public records seen by staff
    context = {"o": found, "view": "staff", "error": error}
    return Template("portal/objections/detail.html", context=context, status_code=status)


@get("/{objection_id:int}", name="staff_objection")
async def detail(request: Request, objection_id: int) -> Template:
    return await _detail(request, objection_id)


@dataclass
class StepForm:
    note: str = ""


@post("/{objection_id:int}/forward", name="staff_objection_forward")
async def forward(
    request: Request, objection_id: int, data: Annotated[StepForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
) -> Template | Redirect:
    try:
        await service.forward(principal_of(request), objection_id, data.note)
    except ObjectionError as exc:
        return await _detail(request, objection_id, str(exc), exc.status)
    return Redirect(f"/staff/objections/{objection_id}", status_code=303)


@post("/{objection_id:int}/tell", name="staff_objection_tell")
async def tell(
    request: Request, objection_id: int, data: Annotated[StepForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
) -> Template | Redirect:
    try:
        await service.tell_applicant(principal_of(request), objection_id, data.note)
    except ObjectionError as exc:
        return await _detail(request, objection_id, str(exc), exc.status)
    return Redirect(f"/staff/objections/{objection_id}", status_code=303)


# --- written objections at the counter --------------------------------------------------------


@dataclass
class CounterForm(QueryForm):
    checked: str = ""


@get("/counter", name="staff_objection_counter")
async def counter_page() -> Template:
    return Template("portal/objections/counter.html", context={"form": {}, "error": None})


@post("/counter", name="staff_objection_counter_query")
async def counter_query(
    request: Request, data: Annotated[CounterForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
) -> Template | Redirect:
    """A counter query with the applicant present; its result page offers 登记异议 per record."""
    key = queries.SubjectKey(data.subject_kind, data.uscc, data.name, data.id_number)
    try:
        issued = await queries.counter_query(principal_of(request), key, bool(data.checked), request_id(request))
    except QueryInputError as exc:
        form = {"subject_kind": data.subject_kind, "uscc": data.uscc, "name": data.name}  # DESIGN rule 4
        return Template(
            "portal/objections/counter.html", context={"form": form, "error": exc.message}, status_code=exc.status
        )
    return Redirect(f"/queries/{issued.token}", status_code=303)


@dataclass
class CounterObjectionForm:
    record: int = 0
    receipt: str = ""
    applicant_name: str = ""
    contact: str = ""
    statement: str = ""
    evidence: Any = None  # one UploadFile, several, or "" for an empty file input (see files_of)


@get("/new", name="staff_objection_new")
async def new_counter_objection(
    request: Request, record: Annotated[int, Parameter(ge=1, le=2**31 - 1)], receipt: str
) -> Template:
    subject, shown = await intake.record_for_counter(principal_of(request), record, receipt)
    context = {"record": shown, "subject": subject, "receipt": receipt, "form": {"applicant_name": subject["name"]}}
    return Template("portal/objections/counter_new.html", context=context)


@post("/", name="staff_objection_file", **FORM_LIMITS)
async def file_counter_objection(
    request: Request, data: Annotated[CounterObjectionForm, Body(media_type=RequestEncodingType.MULTI_PART)]
) -> Template | Redirect:
    p = principal_of(request)
    subject = shown = None
    try:
        subject, shown = await intake.record_for_counter(p, data.record, data.receipt)
        filing = service.Filing(data.record, data.statement, data.contact, data.applicant_name, files_of(data.evidence))
        done = await service.file_objection(p, subject["id"], filing, Channel.COUNTER)
    except ObjectionError as exc:
        form = {"applicant_name": data.applicant_name, "contact": data.contact, "statement": data.statement}
        context = {"record": shown, "subject": subject, "receipt": data.receipt, "form": form, "error": str(exc)}
        return Template("portal/objections/counter_new.html", context=context, status_code=exc.status)
    return Redirect(f"/staff/objections/{done['id']}", status_code=303)


staff_objections_router = Router(
    path="/staff/objections",
    route_handlers=[
        queue,
        detail,
        forward,
        tell,
        counter_page,
        counter_query,
        new_counter_objection,
        file_counter_objection,
    ],
    guards=[require_roles(Role.STAFF)],
    include_in_schema=False,
)
