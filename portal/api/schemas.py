"""Response shapes of the public API (documented in the OpenAPI schema at /schema)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Annotated

from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import Parameter

# the record stays published and in force while an objection is open.
PENDING_DOC = "true 表示该信息正在异议处理中（异议处理期间，该信息继续公示、继续有效）"
ObjectionPending = Annotated[bool, Parameter(description=PENDING_DOC)]


@dataclass
class SubjectSummary:
    uscc: str
    name: str
    subject_type: str
    legal_representative: str
    registration_status: str
    established_on: date | None


@dataclass
class SubjectPage:
    items: list[SubjectSummary]
    next_cursor: str | None = None


@dataclass
class PublicRecord:
    id: int
    record_type: str
    category: str
    polarity: str
    title: str
    content: str
    doc_number: str
    decision_date: date
    publicity_end: date | None
    provider: str
    objection_pending: ObjectionPending
    detail: dict | None = None


@dataclass
class ListEntryOut:
    list_type: str
    list_name: str
    reason: str
    authority: str
    doc_number: str
    listed_on: date
    expires_on: date | None


@dataclass
class SubjectDetail:
    uscc: str
    name: str
    subject_type: str
    legal_representative: str
    registration_authority: str
    established_on: date | None
    registered_capital: Decimal | None
    address: str
    business_scope: str
    registration_status: str
    records: list[PublicRecord] = field(default_factory=list)
    list_entries: list[ListEntryOut] = field(default_factory=list)
    records_truncated: bool = False


@dataclass
class Disclosure:
    id: int
    record_type: str
    title: str
    doc_number: str
    decision_date: date
    publicity_end: date | None
    provider: str
    subject_name: str
    subject_code: str
    objection_pending: ObjectionPending
    detail: dict | None = None


@dataclass
class DisclosurePage:
    items: list[Disclosure]
    next_cursor: str | None = None


@dataclass
class FieldError:
    key: str
    """The parameter at fault, e.g. ``cursor``."""
    message: str
    """Why, in Chinese (or the validator's own words)."""
    source: str | None = None
    """``query`` or ``path``."""


@dataclass
class ErrorBody:
    code: str
    """``bad_request``, ``not_found``, ``too_many_requests``, …"""
    message: str
    """For people, in Chinese."""
    fields: list[FieldError] | None = None


@dataclass
class ApiError:
    """Every error of the public API (portal.web.errors): ``{"error": {"code", "message", "fields"?}}``."""

    error: ErrorBody


def error_response(description: str, code: str, message: str, fields: list[dict] | None = None) -> ResponseSpec:
    """An error answer as the schema documents it: the real shape with a real example (Litestar would
    otherwise generate random strings into the ApiError schema, shown as the API's examples)."""
    body: dict[str, object] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return ResponseSpec(
        ApiError, description=description, generate_examples=False, examples=[Example(value={"error": body})]
    )


# The 401 of every operation that needs an agency's API key.
KEY_REFUSED = error_response("缺少、错误、过期或已吊销的 API 密钥", "not_authenticated", "API 密钥无效、已过期或已吊销")
TOO_MANY = error_response("请求过于频繁；Retry-After 为需等待的秒数", "too_many_requests", "操作过于频繁，请稍后再试")
OK = "成功"
"""The description of every operation's 200 answer (Litestar's default is English)."""
