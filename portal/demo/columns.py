"""Column order of every bulk-loaded table: the generators write rows in this order, the loaders
name the columns explicitly (so a column added later with a default does not break the load)."""

from __future__ import annotations

__all__ = ["COLUMNS", "NULLABLE", "LOAD_ORDER", "NULL"]

NULL = "\\N"
"""The NULL marker of PostgreSQL's COPY text format; the SQLite loader maps it with NULLIF."""

COLUMNS: dict[str, tuple[str, ...]] = {
    "subject": (
        "id",
        "kind",
        "subject_type",
        "name",
        "uscc",
        "id_number_digest",
        "id_number_masked",
        "id_number_sealed",
        "legal_representative",
        "registration_authority",
        "established_on",
        "registered_capital",
        "address",
        "business_scope",
        "registration_status",
        "created_at",
        "updated_at",
    ),
    "credit_record": (
        "id",
        "subject",
        "record_type",
        "category",
        "polarity",
        "disclosure_class",
        "provider",
        "title",
        "content",
        "doc_number",
        "decision_date",
        "publicity_end",
        "act_end_date",
        "status",
        "version",
        "created_at",
        "updated_at",
    ),
    "license_detail": (
        "id",
        "record",
        "subject_name",
        "subject_code",
        "legal_representative",
        "project_name",
        "approval_category",
        "license_content",
        "valid_from",
        "valid_to",
        "authority",
        "current_status",
        "data_source",
    ),
    "penalty_detail": (
        "id",
        "record",
        "subject_name",
        "subject_code",
        "legal_representative",
        "violation_type",
        "violation_facts",
        "legal_basis",
        "penalty_category",
        "penalty_content",
        "fine_amount",
        "confiscated_amount",
        "license_action",
        "valid_to",
        "authority",
        "data_source",
    ),
    "record_change": ("id", "record", "version", "action", "reason", "actor", "snapshot", "changed_at"),
    "list_entry": (
        "id",
        "subject",
        "list_type",
        "list_name",
        "reason",
        "decided_by",
        "doc_number",
        "listed_on",
        "expires_on",
        "disclosure_class",
        "status",
        "created_at",
    ),
    "subject_bigram": ("gram", "subject_id"),
}

NULLABLE: dict[str, frozenset[str]] = {
    "subject": frozenset(
        {"uscc", "id_number_digest", "id_number_masked", "id_number_sealed", "established_on", "registered_capital"}
    ),
    "credit_record": frozenset({"publicity_end", "act_end_date"}),
    "license_detail": frozenset({"valid_from", "valid_to"}),
    "penalty_detail": frozenset({"fine_amount", "confiscated_amount", "valid_to"}),
    "record_change": frozenset(),
    "list_entry": frozenset({"expires_on"}),
    "subject_bigram": frozenset(),
}

LOAD_ORDER = (
    "subject",
    "credit_record",
    "license_detail",
    "penalty_detail",
    "record_change",
    "list_entry",
    "subject_bigram",
)
"""Parents before children (foreign keys)."""
