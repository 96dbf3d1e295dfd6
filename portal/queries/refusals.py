"""The one refusal type of the query paths (DESIGN rule 6; R-18, R-19).

A refusal carries its code (written to the audit log as ``refused:<code>``), the Chinese label shown
to the requester, the auditor and in exports, the HTTP status, and whether it is recorded. Templates,
the auditor view and the exports read labels from ``REFUSALS``; nothing else spells them.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Refusal", "REFUSALS", "QueryRefused", "QueryInputError", "outcome_labels"]


@dataclass(frozen=True)
class Refusal:
    code: str
    label: str
    """Short Chinese label: the auditor's filter and exports, and the refused page's heading line."""
    status: int
    advice: str = ""
    """What the requester can do about it, shown on the refused page."""
    recorded: bool = True
    """Appended to the audit log (authenticated principals only, R-19); False for refusals that
    say nothing about a subject (not logged in) or would let a flood fill the log."""


def _table(*rows: Refusal) -> dict[str, Refusal]:
    return {r.code: r for r in rows}


REFUSALS: dict[str, Refusal] = _table(
    Refusal("not_logged_in", "未登录", 401, "请先登录。", recorded=False),
    Refusal("wrong_role", "账号角色无权查询", 403, "您的账号无权进行此项查询。"),
    Refusal("identity_not_verified", "身份未核验", 403, "身份核验通过后方可查询本人的非公开信用信息。"),
    Refusal("requester_not_proven", "查询方身份未核验", 403, "营业执照等身份证明经信用中心审核通过后方可申请和查询。"),
    Refusal("not_requester", "非该授权的申请人", 404, "没有找到该授权申请。"),
    Refusal("authorization_not_effective", "授权未生效", 403, "待信用主体确认或信用中心审核授权书后方可查询。"),
    Refusal("authorization_not_yet_valid", "授权尚未开始", 403, "授权尚未到开始日期。"),
    Refusal("authorization_expired", "授权已过期", 403, "授权已过有效期，不能查询。"),
    Refusal("authorization_revoked", "授权已撤销", 403, "信用主体已撤销授权，不能查询。"),
    Refusal(
        "authorization_required",
        "该事由须经主体书面授权",
        403,
        "该查询事由须取得信用主体的书面授权，部门履职查询不能使用。",
    ),
    Refusal("category_not_granted", "信息类别未获授权", 403, "所选有限共享类信息不在本部门获准的类别内。"),
    Refusal("no_official_letter", "缺少正式函件", 403, "查询有限共享类信息须上传本单位正式函件并填写文号。"),
    # R-P3: who may upload a credit report; no disclosure happens, so nothing is recorded.
    Refusal(
        "not_registered_agency",
        "非备案信用服务机构",
        403,
        "仅经信用中心备案的信用服务机构人员可上传信用报告。",
        recorded=False,
    ),
    Refusal(
        "agency_not_active", "信用服务机构备案已暂停或注销", 403, "备案暂停或注销期间不能上传信用报告。", recorded=False
    ),
    Refusal(
        "authorization_wrong_purpose",
        "授权事由不是出具信用报告",
        403,
        "请取得信用主体以“信用服务机构出具信用报告”为事由的书面授权。",
        recorded=False,
    ),
    # 逢办必查 (R-P5): a check naming no subject on the platform is still recorded, with its case.
    Refusal("subject_not_found", "未找到信用主体", 404, "平台上没有与所填信息一致的信用主体，请核对后再试。"),
    Refusal("too_many_refusals", "被拒绝的查询过于频繁", 429, "请稍后再试。", recorded=False),
)


class QueryRefused(Exception):
    """Raised by the query service after the refusal was recorded (or deliberately not);
    one exception handler turns it into the page or the status (``portal.web.errors``)."""

    def __init__(self, refusal: Refusal, *, back: str = "/", seq: int | None = None) -> None:
        super().__init__(refusal.code)
        self.refusal = refusal
        self.back = back
        self.seq = seq
        """The audit entry of the recorded refusal, shown to the requester."""


class QueryInputError(ValueError):
    """The query cannot be understood (no such subject, bad reason, a rejected letter …): the form
    again with the message. Nothing was disclosed and nothing is recorded."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def outcome_labels() -> dict[str, str]:
    """Labels of audit outcomes for the auditor view and exports."""
    labels = {"allowed": "已查询（允许）", "refused": "已拒绝（全部原因）"}
    labels.update({f"refused:{r.code}": f"已拒绝：{r.label}" for r in REFUSALS.values()})
    return labels
