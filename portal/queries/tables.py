"""A query's receipt page and the refusal tally (R-19; DESIGN rule 7: post/redirect/get)."""

from piccolo.columns import BigInt, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

from portal.accounts.tables import Account
from portal.subjects.tables import Subject

__all__ = ["QueryReceipt", "RefusalTally"]


class QueryReceipt(Table, tablename="query_receipt"):
    """One recorded disclosure as its requester may see it again for a short window.

    The query itself is a POST that appends the audit entry; its result page is a GET of this row,
    for the same account only, so a reload or Back shows the same records without querying again
    (the subject's count and 谁查询了我 do not grow). Holds record ids, never record content.
    """

    token_digest = Varchar(length=64, primary_key=True)
    """SHA-256 of the random token in the result page's URL."""
    account = ForeignKey(references=Account, index=True)
    subject = ForeignKey(references=Subject)
    method = Varchar(length=16)
    scope = Varchar(length=600)
    """``Scope.text()`` of the disclosure."""
    reason_code = Varchar(length=32)
    reason_text = Varchar(length=500, default="")
    authority_ref = Varchar(length=100, default="")
    audit_seq = BigInt()
    audit_hash = Varchar(length=128)
    subject_query_count = Integer()
    record_ids = Text(default="")
    """Comma-separated ids of the records disclosed."""
    created_at = Timestamptz()
    expires_at = Timestamptz(index=True)


class RefusalTally(Table, tablename="query_refusal_tally"):
    """Refused query attempts per account and window, so a flood cannot fill the 5-year log (R-19)."""

    account = ForeignKey(references=Account)
    window_start = BigInt()
    """Unix time of the window's start."""
    refused = Integer(default=0)
