"""Request and answer shapes of the check API (documented in the OpenAPI schema)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Literal

from litestar.params import Parameter

from portal.api.schemas import ErrorBody

Domain = Literal[
    "fiscal_funds",
    "procurement_bidding",
    "supervision_approval",
    "awards_honours",
    "qualification",
    "major_decision",
    "business_cooperation",
    "financing",
    "credit_report",
    "other",
]
ProductName = Literal["list", "commitment", "opinion", "report"]


@dataclass
class CheckSubject:
    kind: Literal["legal", "natural"]
    """``legal``: 法人和其他组织 by USCC; ``natural``: 自然人 by 公民身份号码 (never stored raw)."""
    uscc: Annotated[str | None, Parameter(max_length=40)] = None
    id_number: Annotated[str | None, Parameter(max_length=40)] = None


@dataclass
class CheckRequest:
    subject: CheckSubject
    matter_name: Annotated[str, Parameter(max_length=400, description="事项名称")]
    case_no: Annotated[str, Parameter(max_length=200, description="办件编号：查询记录的案卷号（R-28）")]
    domain: Annotated[Domain, Parameter(description="事项领域（查询事由代码）")]


@dataclass
class MatterOut:
    name: str
    case_no: str
    domain: str


@dataclass
class AuditOut:
    seq: int
    """查询记录号 (R-19)."""
    case_reference: str
    """``case:<办件编号>``: the query record is filed with this case (R-28)."""


@dataclass
class SubjectOut:
    label: str
    kind: str | None = None
    name: str | None = None
    uscc: str | None = None


@dataclass
class ListEntryOut:
    list_name: str
    reason: str
    doc_number: str
    listed_on: date
    expires_on: date | None
    authority: str


@dataclass
class ListsOut:
    red: list[ListEntryOut]
    black: list[ListEntryOut]


@dataclass
class MeasureOut:
    code: str
    version: int
    list_type: Literal["red", "black"]
    domain: str
    content: str
    basis: str


@dataclass
class ClassBRecord:
    id: int
    category: str
    polarity: str
    title: str
    content: str
    doc_number: str
    decision_date: date
    provider_name: str
    disclosure_class: str
    objection_pending: bool


@dataclass
class ClassBOut:
    included: bool
    """False when the domain is not within the agency's duties (the reason says why, R-15)."""
    withheld_reason: str
    records: list[ClassBRecord]


@dataclass
class CheckAnswer:
    check_number: str
    checked_on: date
    agency: str
    matter: MatterOut
    audit: AuditOut
    found: bool
    subject: SubjectOut
    lists: ListsOut
    measures: list[MeasureOut]
    commitments: list[dict]
    verification_opinion: dict | None
    credit_report: dict | None
    class_b: ClassBOut
    record_url: str


@dataclass
class CheckNotFound:
    """未找到主体: still recorded (R-19) with a check number and a printable record."""

    error: ErrorBody
    check_number: str
    record_url: str


@dataclass
class OutcomeRequest:
    product: ProductName
    outcome: Literal["incentive", "sanction", "none"]


@dataclass
class OutcomeAnswer:
    check_number: str
    product: str
    outcome: str


@dataclass
class MatterIn:
    case_no: Annotated[str, Parameter(max_length=200)]
    matter_name: Annotated[str, Parameter(max_length=400)]
    domain: Domain
    handled_on: date


@dataclass
class MattersRequest:
    items: list[MatterIn] = field(default_factory=list)


@dataclass
class MattersAnswer:
    received: int
    created: int
    updated: int
