"""Class-C sharing rules as data that credit-centre staff manage (R-15, R-18, SPEC §5).

Class C is limited-shared: only *some* bodies may receive it, named per data category. Two rules
say who: the categories a third party may receive under a subject's written authorisation
(``ShareableCategory``), and each agency's grants (``portal.agencies.tables.AgencyGrant``). Every
change to either is appended to ``SharingChange``; the database refuses to update or delete it.
"""

from piccolo.columns import ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from portal.accounts.tables import Account
from portal.agencies.tables import Agency

__all__ = ["ShareableCategory", "SharingChange", "ChangeAction", "RuleKind"]


class RuleKind:
    AUTHORISATION = "authorisation"  # shareable with a third party under a written authorisation
    AGENCY = "agency"  # an agency's class-C grant
    LABELS = {AUTHORISATION: "授权查询可共享类别", AGENCY: "部门有限共享类授权"}


class ChangeAction:
    GRANT = "grant"
    AMEND = "amend"
    REVOKE = "revoke"
    LABELS = {GRANT: "授予", AMEND: "修改依据", REVOKE: "撤销"}


class ShareableCategory(Table, tablename="shareable_category"):
    """A category whose class-C records a third party may receive under the subject's written
    authorisation (R-15, R-18). No row: not shareable (the default for every category)."""

    category = Varchar(length=32, unique=True)
    """Category code (portal.records.categories)."""
    legal_basis = Varchar(length=500)
    """The law, regulation or document allowing it, as staff entered it."""
    marked_by = ForeignKey(references=Account, null=True, default=None, on_delete=OnDelete.restrict)
    marked_at = Timestamptz()


class SharingChange(Table, tablename="sharing_change"):
    """One change of a sharing rule: who, when, what, the basis before and after, and the basis
    cited for the change. Append-only (database triggers refuse UPDATE and DELETE)."""

    changed_at = Timestamptz()
    actor = ForeignKey(references=Account, null=True, default=None, on_delete=OnDelete.restrict)
    """The staff account (None for grants carried over by the migration or made by the demo)."""
    actor_name = Varchar(length=64)
    """The actor's user name when the change was made."""
    rule = Varchar(length=16)
    """RuleKind: authorisation or agency."""
    agency = ForeignKey(references=Agency, null=True, default=None, on_delete=OnDelete.restrict)
    """The agency of an agency grant; None for an authorisation rule."""
    category = Varchar(length=32)
    action = Varchar(length=16)
    """ChangeAction: grant, amend or revoke."""
    old_basis = Varchar(length=500, default="")
    """The legal basis in force before the change; empty: none (not granted)."""
    new_basis = Varchar(length=500, default="")
    """The legal basis in force after the change; empty: none (revoked)."""
    basis = Varchar(length=500)
    """The legal basis cited for this change (required, R-15)."""
