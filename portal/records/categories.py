"""Record categories from Z80 第七条 (legal persons, R-07) and 第八条 (natural persons, R-08).

Each category has a default polarity; a record may override it (a licence is neutral, an honour
positive, a penalty negative). FORBIDDEN_FIELDS (R-09) is derived from portal.ingest.forbidden,
the one list every collection path checks.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal.ingest import forbidden

__all__ = ["Category", "CATEGORIES", "LEGAL", "NATURAL", "Polarity", "FORBIDDEN_FIELDS", "by_code"]


class Polarity:
    POSITIVE = "positive"
    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    LABELS = {POSITIVE: "守信（正面）", NEGATIVE: "失信（负面）", NEUTRAL: "一般信息"}


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    subject_kind: str  # "legal" or "natural"
    polarity: str
    rule: str


P, N, U = Polarity.POSITIVE, Polarity.NEGATIVE, Polarity.NEUTRAL

LEGAL = (
    Category("registration", "登记注册基本信息（统一社会信用代码及各类登记代码）", "legal", U, "R-07"),
    Category("representative", "法定代表人及分支机构信息", "legal", U, "R-07"),
    Category("ip_brand", "产品、品牌、商标、专利信息", "legal", P, "R-07"),
    Category("license", "行政许可及资质认证信息", "legal", U, "R-07"),
    Category("operation", "经营与财务状况信息", "legal", U, "R-07"),
    Category("basic_other", "其他基本信息", "legal", U, "R-07"),
    Category("judicial", "司法判决、裁定、调解及执行信息", "legal", N, "R-07"),
    Category("tax_violation", "偷税、欠税、骗取出口退税、抗税信息", "legal", N, "R-07"),
    Category("labour", "劳动用工、工资支付及社会保险缴纳信息", "legal", N, "R-07"),
    Category("accident", "重大产品质量、安全生产、环境污染事故信息", "legal", N, "R-07"),
    Category("fee_arrears", "拖欠行政事业性收费、公用事业费、政府性基金信息", "legal", N, "R-07"),
    Category("penalty", "行政处罚、行政强制及其他违法信息", "legal", N, "R-07"),
    Category("executive_ban", "董事、监事、高级管理人员犯罪或行业禁入信息", "legal", N, "R-07"),
    Category("bankruptcy", "破产企业责任信息", "legal", N, "R-07"),
    Category("honour", "市级以上政府或省级以上部门表彰奖励信息", "legal", P, "R-07"),
    Category("commitment_breach", "信用承诺履行情况（违诺信息）", "legal", N, "R-P1"),
    Category("other_negative", "其他失信信息", "legal", N, "R-07"),
    Category("other_positive", "其他守信信息", "legal", P, "R-07"),
)

NATURAL = (
    Category("identity", "身份信息（姓名、公民身份号码、就业、学历、婚姻状况）", "natural", U, "R-08"),
    Category("person_license", "职业资格及执业许可信息", "natural", U, "R-08"),
    Category("person_penalty", "行政处罚信息", "natural", N, "R-08"),
    Category("person_judicial", "司法判决及失信被执行信息", "natural", N, "R-08"),
    Category("person_negative", "其他失信提示信息", "natural", N, "R-08"),
    Category("person_positive", "表彰奖励等守信提示信息", "natural", P, "R-08"),
)

CATEGORIES: dict[str, Category] = {c.code: c for c in LEGAL + NATURAL}


def by_code(code: str) -> Category:
    try:
        return CATEGORIES[code]
    except KeyError:
        raise ValueError(f"未知的信息类别：{code}") from None


# the one list lives in portal.ingest.forbidden (names, synonyms, content, consent).
FORBIDDEN_FIELDS: dict[str, str] = {item.key: item.label for item in forbidden.ITEMS}
