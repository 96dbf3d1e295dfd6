"""The verification token printed on a report (QR code and link): itsdangerous-signed with the
portal's secret key under its own salt, so no other signed value of the portal can pass for it.
It carries the report's end of validity (R-P2/R-P3: a credit product is valid 1 year)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from itsdangerous import BadData, URLSafeTimedSerializer

from portal.lib.dates import to_china
from portal.reports.content import utc_seconds
from portal.settings import get_settings

__all__ = ["ReportClaim", "sign_claim", "verify_token", "new_report_no", "MAX_TOKEN_LENGTH"]

SALT = "portal.reports.self-report.v1"
MAX_TOKEN_LENGTH = 1024
_NO_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud over the phone


@dataclass(frozen=True)
class ReportClaim:
    report_no: str
    digest: str
    issued_at: datetime
    """Aware UTC, whole seconds."""
    record_count: int
    expires_at: datetime | None = None
    """Aware UTC, whole seconds; None in tokens printed before reports expired (then issued + 1 year)."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt=SALT)


def new_report_no(issued_at: datetime) -> str:
    """``XYBG`` + China date + 8 random characters: unique and not guessable in sequence."""
    day = to_china(issued_at).strftime("%Y%m%d")
    return f"XYBG{day}{''.join(secrets.choice(_NO_ALPHABET) for _ in range(8))}"


def sign_claim(claim: ReportClaim) -> str:
    payload = {
        "n": claim.report_no,
        "d": claim.digest,
        "t": int(utc_seconds(claim.issued_at).timestamp()),
        "c": claim.record_count,
    }
    if claim.expires_at is not None:
        payload["e"] = int(utc_seconds(claim.expires_at).timestamp())
    return _serializer().dumps(payload)


def verify_token(token: str) -> ReportClaim | None:
    """The claim if the signature is the portal's and the payload well formed, else None."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        payload = _serializer().loads(token)
    except (BadData, ValueError, TypeError, UnicodeError):
        return None
    try:
        claim = ReportClaim(
            report_no=str(payload["n"]),
            digest=str(payload["d"]),
            issued_at=datetime.fromtimestamp(int(payload["t"]), tz=timezone.utc),
            record_count=int(payload["c"]),
            expires_at=datetime.fromtimestamp(int(payload["e"]), tz=timezone.utc) if "e" in payload else None,
        )
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return None
    if len(claim.digest) != 64 or not claim.report_no or claim.record_count < 0:
        return None
    return claim
