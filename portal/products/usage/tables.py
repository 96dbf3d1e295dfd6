"""Usage of credit products in administrative matters (R-P4)."""

from piccolo.columns import Date, ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from portal.agencies.tables import Agency
from portal.products.checks.tables import CreditCheck

__all__ = ["ProductUse", "HandledMatter", "Product", "Outcome"]


class Product:
    LIST = "list"
    COMMITMENT = "commitment"
    OPINION = "opinion"
    REPORT = "report"
    LABELS = {LIST: "红黑名单", COMMITMENT: "信用承诺", OPINION: "信用信息查询意见", REPORT: "信用报告"}


class Outcome:
    PENDING = ""
    INCENTIVE = "incentive"
    SANCTION = "sanction"
    NONE = "none"
    LABELS = {PENDING: "未报告", INCENTIVE: "激励", SANCTION: "惩戒", NONE: "未采取措施"}


class ProductUse(Table, tablename="product_use"):
    """One use of a credit product in one matter (R-P4): recorded at the check, the outcome
    reported afterwards by the approval system."""

    credit_check = ForeignKey(references=CreditCheck, index=True, on_delete=OnDelete.restrict)
    agency = ForeignKey(references=Agency)
    case_no = Varchar(length=64)
    domain = Varchar(length=32)
    product = Varchar(length=16)
    outcome = Varchar(length=16, default="")
    used_on = Date()
    reported_at = Timestamptz(null=True, default=None)


class HandledMatter(Table, tablename="handled_matter"):
    """A matter an agency reports it handled (JX 六(十四)): set against the checks, it shows the
    matters handled without a check."""

    agency = ForeignKey(references=Agency)
    case_no = Varchar(length=64)
    matter_name = Varchar(length=200)
    domain = Varchar(length=32)
    handled_on = Date()
    reported_at = Timestamptz()
