"""Issuing and verifying self-query reports (R-15, R-18; SPEC §5: a forged report is detectable).

The download route (with its audit receipt, R-19) calls build_self_report after the disclosure
is recorded; the public verification page calls check_token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import anyio.to_thread

from portal.lib.masking import mask_name
from portal.reports.content import report_digest, utc_seconds
from portal.reports.fonts import resolve_font
from portal.reports.pdf import render_self_report
from portal.reports.tables import IssuedReport
from portal.reports.tokens import ReportClaim, new_report_no, sign_claim, verify_token
from portal.settings import get_settings
from portal.subjects.tables import Subject, SubjectType

__all__ = [
    "ReportError",
    "Verification",
    "build_self_report",
    "check_token",
    "find_report",
    "parse_report_no",
    "revoke_report",
    "verify_url",
]

_REPORT_NO = re.compile(r"XYBG\d{8}[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{8}")

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
    """``valid``, ``expired``, ``revoked`` or ``invalid``."""
    claim: ReportClaim | None = None
    subject_label: str = ""
    reason: str = ""
    revoked_at: datetime | None = None
    expires_at: datetime | None = None


def _valid_for() -> timedelta:
    return timedelta(days=get_settings().report_valid_days)


def _expiry(row: dict) -> datetime:
    """The stored end of validity; for reports issued before it was stored, issued + 1 year (R-P2/R-P3)."""
    if row["expires_at"] is not None:
        return utc_seconds(row["expires_at"])
    return utc_seconds(row["issued_at"]) + timedelta(days=365)


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
    expires_at = issued_at + _valid_for()
    claim = ReportClaim(report_no, report_digest(subject, records, issued_at), issued_at, len(records), expires_at)
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
            expires_at=expires_at,
            audit_receipt=audit_receipt[:128],
        )
    )
    return pdf, f"credit-report-{report_no}.pdf"


def _same_instant(stored: datetime, claimed: datetime) -> bool:
    return utc_seconds(stored) == utc_seconds(claimed)


async def check_token(token: str, now: datetime | None = None) -> Verification:
    """Signature first, then the registry: both must agree on every claimed value. Then the
    centre's revocation, then the end of validity (R-P2/R-P3)."""
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
        or (claim.expires_at is not None and claim.expires_at != _expiry(row))
    ):
        return Verification("invalid", reason="核验码与平台的出具记录不一致。")
    expires_at = _expiry(row)
    if row["revoked_at"] is not None:
        return Verification("revoked", claim, row["subject_label"], row["revoke_reason"], row["revoked_at"], expires_at)
    if (now or datetime.now(timezone.utc)) >= expires_at:
        return Verification("expired", claim, row["subject_label"], expires_at=expires_at)
    return Verification("valid", claim, row["subject_label"], expires_at=expires_at)


def parse_report_no(text: str) -> str:
    """报告编号 as typed at the counter (spaces, lower case tolerated); ReportError if malformed."""
    value = "".join(text.split()).upper()
    if not _REPORT_NO.fullmatch(value):
        raise ReportError("报告编号格式不正确（应为 XYBG 加 8 位日期和 8 位字母数字）")
    return value


async def find_report(report_no: str, now: datetime | None = None) -> dict | None:
    """One issued report for the staff page: registry values and its state. No record content."""
    R = IssuedReport
    row = (
        await R.select(
            R.report_no,
            R.subject_label,
            R.record_count,
            R.issued_at,
            R.expires_at,
            R.revoked_at,
            R.revoke_reason,
            R.revoked_by,
        )
        .where(R.report_no == report_no)
        .first()
    )
    if row is None:
        return None
    row["expires_at"] = _expiry(row)
    if row["revoked_at"] is not None:
        row["state"] = "revoked"
    elif (now or datetime.now(timezone.utc)) >= row["expires_at"]:
        row["state"] = "expired"
    else:
        row["state"] = "valid"
    return row


async def revoke_report(report_no: str, reason: str, by: int | None = None) -> bool:
    """Withdraw an issued report (e.g. issued from records later found wrong, R-23); ``by`` is the
    staff account (SPEC §5: attributable). False if there is no such unrevoked report."""
    reason = reason.strip()
    if not reason:
        raise ReportError("请填写撤销原因")
    if len(reason) > 500:
        raise ReportError("撤销原因不能超过 500 字")
    rows = (
        await IssuedReport.update(
            {
                IssuedReport.revoked_at: datetime.now(timezone.utc),
                IssuedReport.revoke_reason: reason,
                IssuedReport.revoked_by: by,
            }
        )
        .where((IssuedReport.report_no == report_no) & IssuedReport.revoked_at.is_null())
        .returning(IssuedReport.id)
    )
    return bool(rows)
