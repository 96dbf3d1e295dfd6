"""``/api/v1/checks`` and ``/api/v1/matters``: 逢办必查 for approval systems (R-P4, R-P5, R-28).

``Authorization: Bearer <key>``: the agency's API key (``portal.ingest.keys``), checked by the same
guard as the reporting interface; a missing, wrong, expired or revoked key is a 401. No cookies,
so no CSRF exposure.
"""

from __future__ import annotations

from litestar import Request, Response, Router, get, post
from litestar.exceptions import NotFoundException, ValidationException
from litestar.openapi.datastructures import ResponseSpec

from portal.api.schemas import KEY_REFUSED, OK, error_response
from portal.ingest.api import require_key
from portal.products.checks import service
from portal.products.checks.pdf import pdf_filename, render_check
from portal.products.checks.schemas import (
    CheckAnswer,
    CheckNotFound,
    CheckRequest,
    MattersAnswer,
    MattersRequest,
    OutcomeAnswer,
    OutcomeRequest,
)
from portal.products.usage import service as usage
from portal.queries.context import request_id
from portal.settings import get_settings
from portal.uploads.names import content_disposition

__all__ = ["checks_api_router", "record_url"]

_401 = {401: KEY_REFUSED}
_400 = {400: error_response("请求格式有误；error.fields 指明字段和原因", "bad_request", "请求有误")}
_404 = {404: error_response("本部门没有该核查编号的核查", "not_found", "本部门没有该核查编号的核查")}
_NOT_USED = error_response("本次核查未使用该信用产品", "conflict", "本次核查未使用该信用产品")
_NO_SUBJECT = ResponseSpec(CheckNotFound, description="平台上没有该信用主体（已记入查询记录）", generate_examples=False)


def record_url(request: Request, number: str) -> str:
    base = get_settings().base_url or str(request.base_url)
    return f"{base.rstrip('/')}/api/v1/checks/{number}/record.pdf"


def _bad(exc) -> ValidationException:
    return ValidationException(exc.message, extra=[{"key": exc.field, "source": "body", "message": exc.message}])


def _checker(request: Request) -> service.Checker:
    h = request.state.key_holder
    return service.Checker(h.agency_id, h.agency_name, f"api:{h.agency_code}:{h.prefix}", key_id=h.key_id)


@post(
    "/checks",
    summary="逢办必查：办理事项时核查信用主体",
    response_description=OK,
    description=(
        "每次核查先记入查询记录（以办件编号为案卷号 case:<办件编号>），再返回红黑名单状态及适用的联合奖惩措施、"
        "信用承诺、信用信息查询意见、信用报告；部门共享类信息仅在事项领域属于本部门履职范围时提供。"
        "公民身份号码仅用于查找主体，不保存、不记录。未找到主体时返回 404，但同样记入查询记录并给出核查编号。"
    ),
    status_code=200,
    responses={
        **_400,
        **_401,
        404: _NO_SUBJECT,
    },
    opt={"exclude_from_csrf": True},
)
async def make_check(request: Request, data: CheckRequest) -> Response[CheckAnswer]:
    s = data.subject
    try:
        q = service.parse(s.kind, s.uscc or "", s.id_number or "", data.matter_name, data.case_no, data.domain)
    except service.CheckError as exc:
        raise _bad(exc) from None
    answer = await service.check(_checker(request), q, request_id(request))
    url = record_url(request, answer.number)
    if not answer.found:
        error = {"code": "subject_not_found", "message": answer.refusal.advice}
        return Response({"error": error, "check_number": answer.number, "record_url": url}, status_code=404)
    return Response(answer.body | {"record_url": url}, status_code=200)


@get(
    "/checks/{number:str}/record.pdf",
    summary="核查记录单（PDF，随办件归档）",
    responses={**_400, **_401, **_404, 200: ResponseSpec(bytes, description="PDF", media_type="application/pdf")},
    media_type="application/pdf",
)
async def check_record(request: Request, number: str) -> Response[bytes]:
    row = await service.get_check(number, request.state.key_holder.agency_id)
    if row is None:
        raise NotFoundException("本部门没有该核查编号的核查")
    headers = {"content-disposition": content_disposition(pdf_filename(number))}
    return Response(render_check(row), media_type="application/pdf", headers=headers)


@post(
    "/checks/{number:str}/outcome",
    summary="报告信用产品在该事项中的使用结果（激励、惩戒或未采取措施）",
    response_description=OK,
    status_code=200,
    responses={
        **_400,
        **_401,
        **_404,
        409: error_response("本次核查未使用该信用产品", "conflict", "本次核查未使用该信用产品"),
    },
    opt={"exclude_from_csrf": True},
)
async def report_outcome(request: Request, number: str, data: OutcomeRequest) -> OutcomeAnswer:
    try:
        done = await usage.report_outcome(number, request.state.key_holder.agency_id, data.product, data.outcome)
    except usage.UsageError as exc:
        if exc.status == 409:
            return Response({"error": {"code": "conflict", "message": exc.message}}, status_code=409)
        raise _bad(exc) from None
    if not done:
        raise NotFoundException("本部门没有该核查编号的核查")
    return OutcomeAnswer(number, data.product, data.outcome)


@post(
    "/matters",
    summary="报送已办结的办件（用于统计未经核查办理的事项）",
    response_description=OK,
    description="每批 1 至 1000 项；同一办件编号再次报送时更新。",
    status_code=200,
    responses={**_400, **_401},
    opt={"exclude_from_csrf": True},
    request_max_body_size=2 * 1024 * 1024,
)
async def report_matters(request: Request, data: MattersRequest) -> MattersAnswer:
    try:
        items = [
            usage.clean_matter(m.case_no, m.matter_name, m.domain, m.handled_on, i) for i, m in enumerate(data.items)
        ]
        created, updated = await usage.report_matters(request.state.key_holder.agency_id, items)
    except usage.UsageError as exc:
        raise _bad(exc) from None
    return MattersAnswer(len(items), created, updated)


checks_api_router = Router(
    path="/api/v1",
    route_handlers=[make_check, check_record, report_outcome, report_matters],
    guards=[require_key],
    tags=["逢办必查（系统对接）"],
)
