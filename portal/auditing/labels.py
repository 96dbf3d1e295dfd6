"""Chinese names of every reason code and scope the portal writes to the query log (R-19).

The audit service stores codes only; the auditor's pages and exports, and 谁查询了我, show these.
A code recorded anywhere in the portal belongs here, or an auditor sees it bare.
"""

from __future__ import annotations

from audit.routes import VIEW_REASONS
from portal.authorizations.reasons import REASONS
from portal.records.categories import CATEGORIES
from portal.records.tables import DisclosureClass
from portal.uploads.tables import UploadPurpose

__all__ = ["REASON_LABELS", "reason_label", "scope_label"]

# Staff downloading a document record its purpose as the reason (uploads.service). Listed first:
# "credit_report" is also a query reason, whose label wins.
_DOCUMENT_REASONS = {code: f"查看{label}（信用中心下载材料）" for code, label in UploadPurpose.LABELS.items()}

REASON_LABELS: dict[str, str] = {
    **_DOCUMENT_REASONS,
    "self_query": "本人查询",
    **REASONS,
    "objection_intake": "窗口受理书面异议",
    "verification": "信用信息核查（出具信用信息查询意见）",
    "objection": "办理异议（查看异议涉及的记录）",
    "staff_review": "身份核验审核（查看完整公民身份号码）",
    "owner_view": "本人查看完整公民身份号码",
    **VIEW_REASONS,
}


def reason_label(code: str) -> str:
    return REASON_LABELS.get(code, code or "—")


def scope_label(text: str) -> str:
    """``A,B`` / ``B,C;tax_violation`` (``disclosure.Scope.text``), ``id_number``, ``document:<purpose>``."""
    if text == "id_number":
        return "完整公民身份号码"
    if text.startswith("document:"):
        purpose = text.split(":", 1)[1]
        return f"材料：{UploadPurpose.LABELS.get(purpose, purpose)}"
    classes, _, categories = text.partition(";")
    names = [DisclosureClass.LABELS.get(c) for c in classes.split(",")]
    if not all(names):
        return text
    out = "、".join(names)
    if categories:
        kinds = [CATEGORIES[c].label if c in CATEGORIES else c for c in categories.split(",")]
        out += f"（有限共享类限于：{'、'.join(kinds)}）"
    return out
