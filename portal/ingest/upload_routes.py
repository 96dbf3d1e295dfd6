"""``/agency/templates`` and ``/agency/uploads``: 批量上传 (R-12) for agency officers — download the
template, upload a filled workbook, follow its import (htmx polling) and fetch the rejected rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Request, Response, Router, get, post
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import Body
from litestar.response import File, Redirect, Template

from portal.accounts.tables import Role
from portal.ingest import imports
from portal.ingest.columns import SHEET_TITLES, TEMPLATE_TYPES
from portal.ingest.tables import ImportJob, ImportStatus
from portal.ingest.workbook import XLSX, template_bytes
from portal.lib.dates import today_cn
from portal.settings import get_settings
from portal.uploads.names import content_disposition
from portal.web.guards import principal_of, require_roles

__all__ = ["agency_uploads_router"]


def _named(record_type: str) -> str:
    """行政许可 → 行政许可信息; 其他信用信息 stays (never 信息信息)."""
    title = SHEET_TITLES[record_type]
    return title if title.endswith("信息") else f"{title}信息"


async def _page(request: Request, error: str | None = None, status: int = 200) -> Template:
    agency_id = principal_of(request).agency_id
    J = ImportJob
    jobs = await J.select().where(J.agency == agency_id).order_by(J.id, ascending=False).limit(20) if agency_id else []
    context = {
        "error": error,
        "jobs": jobs,
        "types": [(t, _named(t)) for t in TEMPLATE_TYPES],
        "labels": ImportStatus.LABELS,
    }
    context["limit_mb"] = get_settings().xlsx_max_bytes // (1024 * 1024)
    return Template("portal/agencies/uploads.html", context=context, status_code=status)


def _too_large(request: Request, _: RequestEntityTooLarge) -> Response:
    message = imports.too_large().message
    return Template("errors/page.html", context={"status": 413, "message": message}, status_code=413)


@get("/templates/{name:str}", name="agency_template")
async def template(name: str) -> Response:
    record_type, _, ext = name.partition(".")
    if ext != "xlsx" or record_type not in TEMPLATE_TYPES:
        raise NotFoundException()
    filename = f"{_named(record_type)}报送模板.xlsx"
    body = template_bytes(record_type, today_cn())
    return Response(body, media_type=XLSX, headers={"content-disposition": content_disposition(filename)})


@get("/uploads", name="agency_uploads")
async def uploads_page(request: Request) -> Template:
    return await _page(request)


@dataclass
class UploadForm:
    file: UploadFile | None = None


@post(
    "/uploads",
    name="agency_upload",
    request_max_body_size=get_settings().xlsx_max_bytes + 256 * 1024,
    exception_handlers={RequestEntityTooLarge: _too_large},
)
async def upload(
    request: Request, data: Annotated[UploadForm, Body(media_type=RequestEncodingType.MULTI_PART)]
) -> Template | Redirect:
    principal = principal_of(request)
    if data.file is None or principal.agency_id is None:
        return await _page(request, "请选择要上传的 Excel 文件", status=400)
    try:
        job_id = await imports.accept(
            data.file, agency_id=principal.agency_id, account_id=principal.account_id, original_name=data.file.filename
        )
    except imports.ImportRejected as exc:
        return await _page(request, exc.message, status=exc.status)
    finally:
        await data.file.close()
    # The import runs after the answer is sent; the housekeeping job resumes it if this worker dies.
    return Redirect(f"/agency/uploads/{job_id}", status_code=303, background=BackgroundTask(imports.run, job_id))


async def _own(request: Request, job_id: int) -> dict:
    job = await imports.job_for(job_id, principal_of(request).agency_id)
    if job is None:
        raise NotFoundException()  # another agency's job does not exist for this officer
    return job


@get("/uploads/{job_id:int}", name="agency_upload_job")
async def job_page(request: Request, job_id: int) -> Template:
    job = await _own(request, job_id)
    context = {"job": job, "labels": ImportStatus.LABELS, "type_label": SHEET_TITLES.get(job["record_type"], "")}
    context["polling"] = job["status"] in (ImportStatus.QUEUED, ImportStatus.RUNNING)
    name = "_upload_progress.html" if request.headers.get("hx-request") else "upload_job.html"
    return Template(f"portal/agencies/{name}", context=context)


@get("/uploads/{job_id:int}/rejected.xlsx", name="agency_upload_rejected")
async def rejected(request: Request, job_id: int) -> File:
    job = await _own(request, job_id)
    path = imports.rejected_path(job)
    if path is None or not path.exists():
        raise NotFoundException()
    headers = {"content-disposition": content_disposition(f"未导入的行-{job_id}.xlsx"), "cache-control": "no-store"}
    return File(path=path, media_type=XLSX, headers=headers)


agency_uploads_router = Router(
    path="/agency",
    route_handlers=[template, uploads_page, upload, job_page, rejected],
    guards=[require_roles(Role.AGENCY)],
    include_in_schema=False,
)
