"""Errors in Chinese for people, precise JSON for API clients (DEVELOPERS.md standards)."""

from __future__ import annotations

import logging
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from portal.web.field_errors import in_chinese, missing_parameter

log = logging.getLogger("portal")

MESSAGES = {
    400: "请求有误",
    401: "请先登录",
    403: "无权访问",
    404: "页面不存在",
    405: "不支持的请求方式",
    413: "上传的文件过大",
    429: "操作过于频繁，请稍后再试",
    500: "系统内部错误，请稍后再试",
    503: "服务暂不可用，请稍后再试",
}
CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "file_too_large",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


def _path(request: Request) -> str:
    """The scope's path: ``request.url`` raises on a Host header it cannot parse (``host:80/x``),
    and this handler answers exactly those requests too (DESIGN rule 9: a 400, never a 500)."""
    return request.scope.get("path", "")


def _is_api(request: Request) -> bool:
    return _path(request).startswith("/api/")


def _detail(exc: Exception, status: int) -> str:
    detail = getattr(exc, "detail", "") or ""
    # Litestar's own English defaults are replaced by the Chinese message.
    if not detail or detail.isascii():
        return MESSAGES.get(status, "请求无法完成")
    return detail


def _fields_in_chinese(extra):
    """``[{"key", "source", "message"}]`` with each message in Chinese; anything else as it is."""
    if not isinstance(extra, list):
        return extra
    return [
        {**item, "message": in_chinese(str(item.get("message", "")))} if isinstance(item, dict) else item
        for item in extra
    ]


def http_error(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    message = _detail(exc, status)
    if status == 403 and "csrf" in (getattr(exc, "detail", "") or "").lower():
        message = "页面已过期或表单校验失败，请刷新页面后重试"
    fields = None
    if isinstance(exc, ValidationException):
        extra = exc.extra
        if not extra and (missing := missing_parameter(exc.detail)):
            extra = [missing]  # Litestar names a missing parameter only in its English detail
        if extra:
            fields = _fields_in_chinese(extra)
            first = fields[0] if isinstance(fields, list) and fields and isinstance(fields[0], dict) else None
            if first and message == MESSAGES[400] and first.get("key"):
                message = f"参数 {first['key']} 有误：{first['message']}"  # pages say which, as the API does
    if _is_api(request):
        body: dict = {"error": {"code": CODES.get(status, "error"), "message": message}}
        if fields:
            body["error"]["fields"] = fields
        return Response(body, status_code=status, media_type="application/json", headers=getattr(exc, "headers", None))
    if status == 401 and request.method == "GET" and not request.headers.get("hx-request"):
        query = request.scope.get("query_string", b"").decode("latin-1")  # e.g. /me/objections/new?record=…
        target = _path(request) + (f"?{query}" if query else "")
        return Redirect(f"/login?next={quote(target, safe='/')}")
    return Template(
        "errors/page.html",
        context={"status": status, "message": message},
        status_code=status,
        headers=getattr(exc, "headers", None),
    )


def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, _path(request))
    return http_error(request, HTTPException(status_code=HTTP_500_INTERNAL_SERVER_ERROR))


def too_deep(request: Request, exc: Exception) -> Response:
    """A JSON body nested deeper than the decoder follows (thousands of brackets) raises
    RecursionError while it is parsed: the client's fault, a 400 (DESIGN rule 9), not a 500."""
    log.warning("request nested too deeply on %s %s", request.method, _path(request))
    return http_error(request, ValidationException("请求内容的嵌套层数过多"))


def audit_unavailable(request: Request, exc: Exception) -> Response:
    """Fail closed (R-19, issue 3 §6): without a durable query record nothing is disclosed."""
    log.error("audit store unavailable on %s %s: %s", request.method, _path(request), exc)
    message = "查询记录服务暂时不可用。为保护信用信息安全，查询已暂停，未返回任何信息，请稍后再试。"
    if _is_api(request):
        body = {"error": {"code": "audit_unavailable", "message": message}}
        return Response(body, status_code=503, media_type="application/json", headers={"retry-after": "60"})
    return Template("errors/page.html", context={"status": 503, "message": message}, status_code=503)


def query_refused(request: Request, exc: Exception) -> Response:
    """A refused query (``portal.queries.refusals``): its label and status, and the way back."""
    refusal = exc.refusal
    if refusal.status == 401:
        return http_error(request, HTTPException(status_code=401))
    context = {"refusal": refusal, "back": exc.back, "seq": exc.seq}
    headers = {"retry-after": "600"} if refusal.status == 429 else None
    return Template("portal/queries/refused.html", context=context, status_code=refusal.status, headers=headers)


def query_not_found(request: Request, exc: Exception) -> Response:
    return http_error(request, HTTPException(status_code=404))


def receipt_expired(request: Request, exc: Exception) -> Response:
    """The result page after its window (R-19): nothing is shown again; a new query is a new act."""
    return Template("portal/queries/expired.html", context={"back": exc.back}, status_code=410)
