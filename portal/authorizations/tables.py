"""书面授权: a subject's written authorisation for a third party to query it (R-18)."""

from piccolo.columns import Date, ForeignKey, Timestamptz, Varchar
from piccolo.table import Table

from portal.accounts.tables import Account
from portal.subjects.tables import Subject
from portal.uploads.tables import Upload

__all__ = ["Authorization", "AuthorizationStatus"]


class AuthorizationStatus:
    PENDING = "pending"  # filed, waiting for the subject (online) or staff (letter)
    EFFECTIVE = "effective"
    REFUSED = "refused"
    REVOKED = "revoked"
    LABELS = {PENDING: "待确认", EFFECTIVE: "已生效", REFUSED: "已拒绝", REVOKED: "已撤销"}


class Authorization(Table, tablename="query_authorization"):
    """A third party's request to query one subject, with the subject's authorisation letter.

    It works only while EFFECTIVE and today lies in [valid_from, valid_until] (China date);
    revocation and expiry take effect at the next query.
    """

    requester = ForeignKey(references=Account, index=True)
    requester_org = Varchar(length=200)
    subject = ForeignKey(references=Subject, index=True)
    reason_code = Varchar(length=32)
    """Purpose, from portal.authorizations.reasons (Z105 第七/九条, KS 第十二条)."""
    reason_text = Varchar(length=500, default="")
    scope_classes = Varchar(length=8)
    """Comma-separated disclosure classes, e.g. ``A,B`` or ``A,B,C``."""
    scope_categories = Varchar(length=500, default="")
    """Comma-separated category codes; empty = every category."""
    valid_from = Date()
    valid_until = Date()
    letter = ForeignKey(references=Upload)
    """The subject's written authorisation letter (PDF/JPG/PNG)."""
    status = Varchar(length=16, default=AuthorizationStatus.PENDING)
    confirmed_via = Varchar(length=16, default="")
    """``subject`` (confirmed online) or ``staff`` (letter accepted by the credit centre)."""
    decided_by = ForeignKey(references=Account, null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
