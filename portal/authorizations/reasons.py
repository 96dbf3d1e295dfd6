"""Query purposes (查询事由) as reason codes: the application domains of the rules.

Z105 第七条 (commitments) and 第九条 (verification), KS 第十二条 (credit review). A third party
or agency names one code and may add free text; the audit log keeps both (R-19).
"""

from __future__ import annotations

__all__ = ["REASONS", "AGENCY_REASONS", "label", "is_known", "needs_authorisation"]

REASONS: dict[str, str] = {
    "fiscal_funds": "财政资金、政策性贷款、对外借款等申报（Z105第九条（一）、KS第十二条（一））",
    "procurement_bidding": "政府和社会资本合作、招商引资、政府采购及招投标（Z105第九条（二））",
    "supervision_approval": "事中事后监管、行政审批、资质审核、定期检验、市场准入（Z105第九条（三））",
    "awards_honours": "表彰奖励、荣誉授予、职称评定等评优评先（Z105第九条（四））",
    "qualification": "绩效评价、资质评测、备案管理、许可管理等资质认定（Z105第九条（五））",
    "major_decision": "重大决策等其他行政管理活动（KS第十二条（五））",
    "business_cooperation": "商务合作、签订合同前了解交易对方信用状况（经主体书面授权）",
    "financing": "融资、信贷业务审查（经主体书面授权）",
    "credit_report": "信用服务机构出具信用报告（Z105第十三条）",
    "other": "其他（须在说明中写明具体事由）",
}


# Reasons that rest on the subject's written authorisation, not on an agency's duties.
_NEEDS_AUTHORISATION = frozenset({"business_cooperation", "financing", "credit_report"})
AGENCY_REASONS = {code: text for code, text in REASONS.items() if code not in _NEEDS_AUTHORISATION}


def needs_authorisation(code: str) -> bool:
    return code in _NEEDS_AUTHORISATION


def label(code: str) -> str:
    return REASONS.get(code, code)


def is_known(code: str) -> bool:
    return code in REASONS
