"""POST /uploads (htmx widget or JSON client) and GET /uploads/{token} (download).

Domain forms that take a file (authorisations, identity proof) call service.store_upload() from
their own handlers; they should declare ``**UPLOAD_LIMITS`` so that a body over the limit gets
the same Chinese 413 and the body limit fits the largest allowed file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from litestar import Request, Response, Router, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import Body
from litestar.plugins.htmx import HTMXRequest
from litestar.response import File, Template

from portal.accounts.tables import Role
from portal.settings import get_settings
from portal.uploads import service
from portal.uploads.names import content_disposition, download_filename
from portal.uploads.sniff import EXTENSIONS
from portal.uploads.tables import UploadPurpose
from portal.web.guards import principal_of, require_roles

__all__ = ["uploads_router", "UPLOAD_LIMITS", "file_too_large", "file_response"]

# Multipart framing and the other form fields on top of the file itself.
_FORM_OVERHEAD = 256 * 1024
_UPLOADERS = (Role.CITIZEN, Role.ENTERPRISE, Role.THIRD_PARTY, Role.AGENCY, Role.STAFF)
_FIELD = re.compile(r"[a-z][a-z0-9_]{0,39}")
_FORM_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")


def _wants_json(request: Request) -> bool:
    return not request.headers.get("hx-request") and "application/json" in request.headers.get("accept", "")


def _rejected(request: Request, error: service.UploadRejected) -> Response | Template:
    if request.headers.get("hx-request"):
        # htmx swaps only 2xx responses: the widget shows the message in place.
        return Template("portal/uploads/_uploaded.html", context={"error": error.message, "code": error.code})
    body = {"error": {"code": error.code, "message": error.message}}
    if _wants_json(request):
        return Response(body, status_code=error.status, media_type="application/json")
    return Template(
        "errors/page.html", context={"status": error.status, "message": error.message}, status_code=error.status
    )


def file_too_large(request: Request, _: RequestEntityTooLarge) -> Response | Template:
    """The request body passed the byte limit while it was being read (Content-Length or not)."""
    return _rejected(request, service.too_large())


UPLOAD_LIMITS = {
    "request_max_body_size": get_settings().upload_max_bytes + _FORM_OVERHEAD,
    "exception_handlers": {RequestEntityTooLarge: file_too_large},
}


@dataclass
class UploadForm:
    purpose: str = ""
    file: UploadFile | None = None
    field: str = "upload_token"
    """htmx widget: name of the hidden input that carries the token into the caller's form."""
    form_id: str = ""
    """htmx widget: id of the caller's form (the hidden input's form= attribute)."""


def _size_label(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB" if size >= 1024 * 1024 else f"{max(1, round(size / 1024))} KB"


def _uploaded(data: UploadForm, stored: dict) -> Template:
    context = {
        "upload": stored,
        "size_label": _size_label(stored["size"]),
        "field": data.field if _FIELD.fullmatch(data.field) else "upload_token",
        "form_id": data.form_id if _FORM_ID.fullmatch(data.form_id) else "",
    }
    return Template("portal/uploads/_uploaded.html", context=context, status_code=200)


@post("/uploads", name="upload_create", guards=[require_roles(*_UPLOADERS)], status_code=201, **UPLOAD_LIMITS)
async def upload_create(
    request: HTMXRequest, data: Annotated[UploadForm, Body(media_type=RequestEncodingType.MULTI_PART)]
) -> Response | Template:
    principal = principal_of(request)
    try:
        if data.file is None:
            raise service.UploadRejected("missing_file", "请选择要上传的文件")
        if data.purpose not in service.purposes_for(principal.role):
            raise service.UploadRejected("invalid_purpose", "请选择正确的材料类型")
        stored = await service.store_upload(data.file, owner_id=principal.account_id, purpose=data.purpose)
    except service.UploadRejected as error:
        return _rejected(request, error)
    finally:
        if data.file is not None:
            await data.file.close()
    stored.pop("id")
    if request.htmx:
        return _uploaded(data, stored)
    return Response({"upload": stored}, status_code=201, media_type="application/json")


@get("/uploads/{token:str}", name="upload_download")
async def upload_download(request: Request, token: str) -> File:
    try:
        row, path = await service.get_for_download(token, principal_of(request))
    except service.UploadNotFound:
        raise NotFoundException() from None
    return file_response(row, path)


def file_response(row: dict, path) -> File:
    """An upload as a download: its sniffed type, a safe file name, never cached or sniffed."""
    label = UploadPurpose.LABELS.get(row["purpose"], "附件")
    name = download_filename(row["original_name"], label, EXTENSIONS[row["media_type"]])
    headers = {
        "content-disposition": content_disposition(name),
        "x-content-type-options": "nosniff",
        "cache-control": "no-store",
    }
    return File(path=path, filename=name, media_type=row["media_type"], headers=headers)


uploads_router = Router(path="/", route_handlers=[upload_create, upload_download], include_in_schema=False)
