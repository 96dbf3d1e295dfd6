"""The three credit-product sections of a check's answer (R-P1, R-P2, R-P3): each product domain
says what of it is in force for the subject today; the check shows existence and validity only,
never a report's content."""

from __future__ import annotations

from datetime import date

from portal.products.commitments.service import for_check as commitments
from portal.products.credit_reports.service import for_check as credit_report
from portal.products.verifications.service import for_check as verification_opinion

__all__ = ["product_sections"]


async def product_sections(subject_id: int, today: date) -> dict:
    """Commitments in force, a valid verification opinion, a valid credit report."""
    return {
        "commitments": await commitments(subject_id, today),
        "verification_opinion": await verification_opinion(subject_id, today),
        "credit_report": await credit_report(subject_id, today),
    }
