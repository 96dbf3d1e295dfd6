"""The three credit-product sections of a check's answer (R-P1, R-P2, R-P3)."""

from __future__ import annotations

from datetime import date

__all__ = ["product_sections"]


async def product_sections(subject_id: int, today: date) -> dict:
    """Commitments in force, a valid verification opinion, a valid credit report.

    The lead wires the three ``for_check(subject_id, today)`` calls of
    portal.products.commitments / verifications / credit_reports here at merge; until then the
    sections are empty."""
    return {"commitments": [], "verification_opinion": None, "credit_report": None}
