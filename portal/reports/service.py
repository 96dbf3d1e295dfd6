"""Issuing and verifying self-query reports (R-15, R-18; SPEC §5: a forged report is detectable).

The download route (with its audit receipt, R-19) calls build_self_report after the disclosure
is recorded; the public verification page calls check_token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import anyio.to_thread

from portal.lib.masking import mask_name
from portal.reports.content import report_digest, utc_seconds
from portal.reports.fonts import resolve_font
from portal.reports.pdf import render_self_report
from portal.reports.tables import IssuedReport
from portal.reports.tokens import ReportClaim, new_report_no, sign_claim, verify_token
from portal.settings import get_settings
from portal.subjects.tables import Subject, SubjectType

__all__ = ["ReportError", "Verification", "build_self_report", "check_token", "revoke_report", "verify_url"]

_SUBJECT_COLUMNS = (
    Subject.id,
    Subject.kind,
    Subject.subject_type,
    Subject.name,
    Subject.uscc,
    Subject.id_number_masked,
    Subject.legal_representative,
)


class ReportError(ValueError):
    pass


@dataclass(frozen=True)
class Verification:
    state: str
    """``valid``, ``revoked`` or ``invalid``."""
    claim: ReportClaim | None = None
    subject_label: str = ""
    reason: str = ""
    revoked_at: datetime | None = None


def verify_url(token: str, base_url: str | None = None) -> str:
    """The printed link. ``Settings.base_url`` (PORTAL_BASE_URL) first; else the caller's base, which
    the web layer rebuilds from the checked Host header (``public_base_url``), never the raw header."""
    base = get_settings().base_url or base_url or "http://127.0.0.1:8000"
    return f"{base.rstrip('/')}/reports/verify/{token}"


def public_label(subject: dict) -> str:
    """What a verifier may see of the subject: natural persons' (and sole traders') names masked (R-17)."""
    if subject["kind"] == "legal" and subject["subject_type"] != SubjectType.INDIVIDUAL_BUSINESS:
        return subject["name"]
    return mask_name(subject["name"])


async def build_self_report(
    subject_id: int, records: list[dict], *, base_url: str | None = None, audit_receipt: str = ""
) -> tuple[bytes, str]:
    """Render the subject's own report and register it; returns (pdf bytes, ASCII file name).

    `records` are the already-disclosed rows (classes A, B, C); nothing is read here but the
    subject's identity. Raises ReportFontMissing before anything is registered.
    """
    subject = await Subject.select(*_SUBJECT_COLUMNS).where(Subject.id == subject_id).first()
    if subject is None:
        raise ReportError("信用主体不存在")
    font = resolve_font()
    issued_at = utc_seconds(datetime.now(timezone.utc))
    report_no = new_report_no(issued_at)
    claim = ReportClaim(report_no, report_digest(subject, records, issued_at), issued_at, len(records))
    url = verify_url(sign_claim(claim), base_url)
    # CPU-bound (font subsetting, ~0.3–2 s): off the event loop.
    pdf = await anyio.to_thread.run_sync(render_self_report, subject, records, issued_at, report_no, url, font)
    await IssuedReport.insert(
        IssuedReport(
            report_no=report_no,
            subject=subject_id,
            subject_label=public_label(subject),
            digest=claim.digest,
            record_count=claim.record_count,
            issued_at=issued_at,
            audit_receipt=audit_receipt[:128],
        )
    )
    return pdf, f"credit-report-{report_no}.pdf"


def _same_instant(stored: datetime, claimed: datetime) -> bool:
    return utc_seconds(stored) == utc_seconds(claimed)


async def check_token(token: str) -> Verification:
    """Signature first, then the registry: both must agree on every claimed value."""
    claim = verify_token(token)
    if claim is None:
        return Verification("invalid", reason="核验码签名无效、已被改动或链接不完整。")
    row = await IssuedReport.select().where(IssuedReport.report_no == claim.report_no).first()
    if row is None:
        return Verification("invalid", reason="平台没有该编号报告的出具记录。")
    if (
        row["digest"] != claim.digest
        or row["record_count"] != claim.record_count
        or not _same_instant(row["issued_at"], claim.issued_at)
    ):
        return Verification("invalid", reason="核验码与平台的出具记录不一致。")
    if row["revoked_at"] is not None:
        return Verification("revoked", claim, row["subject_label"], row["revoke_reason"], row["revoked_at"])
    return Verification("valid", claim, row["subject_label"])


async def revoke_report(report_no: str, reason: str) -> bool:
    """Withdraw an issued report (e.g. issued from records later found wrong, R-23)."""
    if not reason.strip():
        raise ReportError("请填写撤销原因")
    rows = (
        await IssuedReport.update(
            {IssuedReport.revoked_at: datetime.now(timezone.utc), IssuedReport.revoke_reason: reason.strip()}
        )
        .where((IssuedReport.report_no == report_no) & IssuedReport.revoked_at.is_null())
        .returning(IssuedReport.id)
    )
    return bool(rows)
