"""The purposes a verification may be applied for (R-P2): the application domains of Z105 第九条
and KS 第十二条, merged where they name the same activity. The one list; labels in Chinese."""

from __future__ import annotations

__all__ = ["PURPOSES", "label_of", "is_known"]

PURPOSES: dict[str, str] = {
    "fiscal_funds": "各类财政资金、政策性贷款、政府对外借款等申报活动",
    "investment_procurement": "政府和社会资本合作、招商引资、政府采购公开招标及国有资金建设项目和货物招投标",
    "approval_supervision": "事中事后监管、日常监管、资质审核、行政审批、定期检验、市场准入等活动",
    "awards": "表彰奖励、荣誉授予、职称评定等评优评先活动",
    "qualification": "绩效评价、资质评测、资质审查、备案管理、许可管理等资质认定活动",
    "major_decision": "重大决策等需要进行信用审查的行政管理活动",
    "other": "其他需要出具信用信息查询意见的行政管理活动",
}
"""Z105 第九条 (一)–(六) and KS 第十二条 (一)–(五)."""


def is_known(code: str) -> bool:
    return code in PURPOSES


def label_of(code: str) -> str:
    return PURPOSES.get(code, code)
