"""``/credit-reports``: a registered agency's staff upload and re-rate credit reports (R-P3);
``/me/credit-reports``: the subject reads its own reports in full."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from litestar import Request, Router, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, Parameter
from litestar.response import File, Redirect, Template

from portal.accounts.tables import Role
from portal.lib.dates import today_cn
from portal.products.credit_reports import registry, service
from portal.products.credit_reports.tables import AgencyStatus
from portal.proofs.service import is_verified
from portal.uploads.routes import UPLOAD_LIMITS, file_response
from portal.uploads.service import UploadNotFound
from portal.web.guards import principal_of, require_roles

__all__ = ["credit_reports_router", "my_credit_reports_router"]

_DIR = "portal/products/credit_reports"
_ID = Parameter(ge=1, le=2**31 - 1)


@dataclass
class UploadReportForm:
    authorization_id: int = 0
    report_no: str = ""
    grade: str = ""
    risk_warnings: str = ""
    report_date: date | None = None
    replaces: str = ""
    file: Any = None
    sec_basic: str = ""
    sec_business: str = ""
    sec_financial: str = ""
    sec_bank_credit: str = ""
    sec_contract: str = ""
    sec_regulatory: str = ""
    sec_judicial: str = ""
    sec_other: str = ""

    def to_form(self) -> service.ReportForm:
        replaces = int(self.replaces) if self.replaces.isdigit() and len(self.replaces) < 10 else None
        sections = {k: getattr(self, f"sec_{k}") for k in service.SECTIONS}
        return service.ReportForm(
            self.authorization_id, self.report_no, self.grade, self.risk_warnings, self.report_date, sections, replaces
        )


async def _form_page(request: Request, form: dict, error: str = "", status: int = 200) -> Template:
    p = principal_of(request)
    context = {
        "agency": await registry.agency_of_account(p.account_id),
        "statuses": AgencyStatus.LABELS,
        "authorizations": await service.usable_authorizations(p.account_id, today_cn()),
        "grades": service.GRADES,
        "sections": service.SECTIONS,
        "form": form,
        "error": error,
    }
    return Template(f"{_DIR}/form.html", context=context, status_code=status)


@get("/", name="credit_reports")
async def agency_reports(request: Request) -> Template:
    agency = await registry.agency_of_account(principal_of(request).account_id)
    rows = await service.for_agency(agency["id"], today_cn()) if agency else []
    context = {"agency": agency, "rows": rows, "statuses": AgencyStatus.LABELS, "sections": service.SECTIONS}
    return Template(f"{_DIR}/agency_list.html", context=context)


@get("/new", name="credit_report_new")
async def new_report(request: Request, replaces: Annotated[int | None, _ID] = None) -> Template:
    return await _form_page(request, {"replaces": replaces or ""})


@post("/", name="credit_report_create", **UPLOAD_LIMITS)
async def create_report(
    request: Request, data: Annotated[UploadReportForm, Body(media_type=RequestEncodingType.MULTI_PART)]
) -> Template | Redirect:
    upload = data.file if isinstance(data.file, UploadFile) and data.file.filename else None
    kept = {k: v for k, v in vars(data).items() if k != "file"}
    try:
        if upload is None:
            raise service.ReportError("请上传信用报告 PDF 文件")
        content = await upload.read()
        await service.create(principal_of(request), data.to_form(), content, upload.filename, today_cn())
    except service.ReportRefused as exc:
        return await _form_page(request, kept, f"{exc.refusal.label}：{exc.refusal.advice}", exc.refusal.status)
    except service.ReportError as exc:
        return await _form_page(request, kept, exc.message, exc.status)
    return Redirect("/credit-reports", status_code=303)


@get("/{report_id:int}/report.pdf", name="credit_report_pdf")
async def agency_pdf(request: Request, report_id: int) -> File:
    agency = await registry.agency_of_account(principal_of(request).account_id)
    try:
        row, path = await service.file_of(report_id, agency_id=agency["id"] if agency else -1)
    except UploadNotFound:
        raise NotFoundException() from None
    return file_response(row, path)


@get("/", name="my_credit_reports")
async def my_reports(request: Request) -> Template:
    p = principal_of(request)
    verified = await is_verified(p.account_id, p.subject_id)
    rows = await service.for_subject(p.subject_id, today_cn()) if verified else []
    context = {"rows": rows, "verified": verified, "sections": service.SECTIONS}
    return Template(f"{_DIR}/mine.html", context=context)


@get("/{report_id:int}/report.pdf", name="my_credit_report_pdf")
async def my_pdf(request: Request, report_id: int) -> File:
    p = principal_of(request)
    try:
        if not await is_verified(p.account_id, p.subject_id):
            raise UploadNotFound(report_id)
        row, path = await service.file_of(report_id, subject_id=p.subject_id)
    except UploadNotFound:
        raise NotFoundException() from None
    return file_response(row, path)


credit_reports_router = Router(
    path="/credit-reports",
    route_handlers=[agency_reports, new_report, create_report, agency_pdf],
    guards=[require_roles(Role.THIRD_PARTY)],
    include_in_schema=False,
)
my_credit_reports_router = Router(
    path="/me/credit-reports",
    route_handlers=[my_reports, my_pdf],
    guards=[require_roles(Role.CITIZEN, Role.ENTERPRISE)],
    include_in_schema=False,
)
