"""Information the platform must never collect (R-09), checked on every collection path.

Pure: no I/O, no database. `check` looks at field/column names and, for natural persons, at the
free text of the values; every `Problem` names the field and the rule and never quotes the value.

Groups (第九条): (一) race, ethnicity, family origin, religion and (二) genes, fingerprints, blood
type, disease, medical history are never accepted; (三) income, deposits, securities, commercial
insurance, real estate and tax amounts only with a recorded written-consent reference.

Legal-person records (R-07 covers their tax arrears, finances, licences, penalties):
- names of groups 一/二 are refused for every subject: a legal person has no religion or blood
  type, so such a column can only carry some person's data;
- names of group 三 are refused for a legal person only when they are plainly personal
  (个人收入, 工资收入, 法定代表人房产 …): 营业收入 or 纳税额 of a company is R-07 data;
- free text is scanned for natural persons only: a company's 处罚事由 or 经营范围 legitimately
  speaks of diseases, insurance, real estate and taxes.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

__all__ = [
    "ITEMS",
    "Item",
    "Problem",
    "PLACEHOLDER",
    "RULE",
    "check",
    "consent_ref_ok",
    "scrub",
]

RULE = "R-09"
PLACEHOLDER = "（已拒收，未保存）"
_DOC = "《郑州市公共信用信息管理暂行办法》第九条"
_CLAUSE = {1: "第一项", 2: "第二项", 3: "第三项"}
_CJK = "\u4e00-\u9fff"


@dataclass(frozen=True)
class Problem:
    field: str
    rule: str
    code: str  # "forbidden_field:<item>", "forbidden_content:<item>" or "consent_invalid:<item>"
    message: str


@dataclass(frozen=True)
class Item:
    key: str
    label: str
    clause: int  # 1, 2 or 3 of 第九条; only 3 may be collected with written consent
    cjk_names: tuple[str, ...]  # found anywhere in the compacted name
    ascii_names: tuple[str, ...]  # equal to a run of consecutive words of the name
    content: tuple[str, ...]  # patterns on the compacted, lower-cased text of a value


_ETHNIC = (
    "汉|回|满|蒙古|藏|维吾尔|壮|苗|彝|土家|朝鲜|侗|瑶|白|哈尼|哈萨克|傣|黎|傈僳|佤|畲|拉祜|东乡|纳西|"
    "景颇|柯尔克孜|土|达斡尔|仫佬|羌|布朗|撒拉|毛南|仡佬|锡伯|阿昌|普米|塔吉克|怒|乌孜别克|俄罗斯|"
    "鄂温克|德昂|保安|裕固|京|塔塔尔|独龙|鄂伦春|赫哲|门巴|珞巴|基诺|布依|水|高山"
)
# An amount: "8000", "1,200.5", "五十万元", optionally "人民币约…".
_AMT = r"(?:人民币|rmb|¥)?(?:约|达|超过|逾|近|共)?(?:\d[\d,.]*|[零一二两三四五六七八九十百千万亿]+(?:元|万|千|块|亿))"
_SAY = r"(?:为|是|约|达|有|共计|合计|:)?"

ITEMS: tuple[Item, ...] = (
    Item(
        "race",
        "种族",
        1,
        ("种族", "人种"),
        ("race", "racial", "zhongzu", "renzhong"),
        (r"种族(?:为|是|:)", r"(?:黄|白|黑)种人"),
    ),
    Item(
        "ethnicity",
        "民族",
        1,
        ("民族", "族别"),
        ("ethnicity", "ethnic", "ethnicgroup", "minzu"),
        (
            r"民族(?:为|是|:)",
            # Not places: 管城回族区, 广西壮族自治区, 湘西土家族苗族自治州, 朝鲜族乡.
            rf"(?<!北)(?:{_ETHNIC})族(?!(?:(?:{_ETHNIC})族)*(?:自治|区|县|乡|镇|村|聚居))(?!馆|箱|店|用品|谱)",
        ),
    ),
    Item(
        "family_origin",
        "家庭出身",
        1,
        ("家庭出身", "出身", "家庭成分"),
        ("familyorigin", "familybackground", "classorigin", "jiatingchushen", "chushen"),
        (
            r"家庭出身",
            r"家庭成分",
            r"出身(?:于)?(?:地主|富农|中农|贫农|雇农|资本家|工人|农民|干部|军人|知识分子|小业主)",
            r"成分(?:为|是|:)(?:地主|富农|中农|贫农|雇农|资本家)",
        ),
    ),
    Item(
        "religion",
        "宗教信仰",
        1,
        ("宗教", "信仰", "教派"),
        ("religion", "religious", "zongjiao", "xinyang", "zongjiaoxinyang"),
        (
            r"宗教信仰",
            rf"信(?:仰|奉)了?[{_CJK}]{{0,4}}教(?![育学师练授材])",
            r"皈依",
            r"受洗",
            r"(?:佛|基督|天主|伊斯兰|道|东正)教(?:信|教)?徒",
            r"基督徒|穆斯林",
            r"宗教(?:为|是|:)",
        ),
    ),
    Item(
        "gene",
        "基因",
        2,
        ("基因", "遗传信息", "dna"),
        ("gene", "genes", "genetic", "genome", "genotype", "dna", "jiyin"),
        (
            r"(?<!转)基因(?:检测|测序|信息|型|序列|突变|缺陷|位点|报告|鉴定|数据)",
            rf"携带[{_CJK}]{{0,8}}基因",
            r"dna(?:检测|鉴定|序列|样本|数据|比对)",
            r"亲子鉴定",
        ),
    ),
    Item(
        "fingerprint", "指纹", 2, ("指纹", "掌纹"), ("fingerprint", "fingerprints", "zhiwen"), (r"指纹(?!锁)", r"掌纹")
    ),
    Item(
        "blood_type",
        "血型",
        2,
        ("血型",),
        ("bloodtype", "bloodgroup", "xuexing"),
        (r"血型", r"(?<![a-z])(?:ab|a|b|o)型血", r"rh(?:阴性|阳性)", r"熊猫血"),
    ),
    Item(
        "disease",
        "疾病",
        2,
        ("疾病", "病症", "病种", "患病", "诊断", "健康状况"),
        (
            "disease",
            "diseases",
            "illness",
            "diagnosis",
            "healthstatus",
            "healthcondition",
            "medicalcondition",
            "jibing",
        ),
        (
            # "患有…" says a person has an illness whatever its name (高血压, 抑郁 …).
            rf"(?:患有|罹患|身患|患上|确诊(?:为|患有)|诊断为)[{_CJK}a-z]",
            r"感染了?(?:hiv|艾滋|乙肝|梅毒|结核)",
            r"hiv(?:阳性|感染|携带)",
            r"(?:乙肝|肝炎)(?:病毒)?携带",
            r"精神(?:疾病|障碍|分裂)",
            # "有艾滋病", "得了乙肝": said of a person without 患有.
            r"(?:有|得了?|染上了?|感染了?)(?:艾滋病|hiv|乙肝|梅毒|结核病|白血病|精神病|抑郁症|癌症|尿毒症)",
            r"(?:艾滋病|hiv)(?:患者|病人|感染者|病毒携带者)",
        ),
    ),
    Item(
        "medical_history",
        "病史",
        2,
        ("病史", "既往史", "病历", "就诊记录", "医疗记录"),
        ("medicalhistory", "medicalrecord", "medicalrecords", "healthrecord", "bingshi"),
        (r"病史", r"既往史", r"就诊记录", r"住院(?:治疗|记录)"),
    ),
    Item(
        "income",
        "收入",
        3,
        ("收入", "工资", "薪资", "薪酬", "月薪", "年薪"),
        ("income", "salary", "wage", "wages", "shouru", "gongzi", "xinzi"),
        (
            rf"(?<!营业)(?<!经营)(?:月|年|工资|个人|家庭|税后|税前|薪资|薪酬|劳务)?收入{_SAY}{_AMT}",
            rf"(?:月薪|年薪|月工资|年工资){_SAY}{_AMT}",
            rf"(?:每|一个?)?[月年][能可]?(?:挣|赚|收入|进账)了?{_AMT}",
        ),
    ),
    Item(
        "deposit",
        "存款",
        3,
        ("存款", "储蓄", "银行余额", "账户余额"),
        ("bankdeposit", "bankdeposits", "depositbalance", "savings", "bankbalance", "cunkuan"),
        (
            rf"存款(?:余额)?{_SAY}{_AMT}",
            rf"储蓄(?:余额)?{_SAY}{_AMT}",
            rf"{_AMT}元?的?(?:存款|储蓄)",  # "卡内有50万元存款"
        ),
    ),
    Item(
        "securities",
        "有价证券",
        3,
        ("有价证券", "证券账户", "证券资产", "股票", "债券", "基金份额"),
        ("securities", "stockholding", "stockholdings", "stockaccount", "zhengquan", "gupiao"),
        (
            r"有价证券",
            r"证券账户",
            r"股票(?:市值|账户|资产)",
            rf"(?:持有|名下|拥有)[{_CJK}]{{0,6}}(?:股票|债券|基金|证券)(?![从执经]业|公司|交易所|投资咨询)",
        ),
    ),
    Item(
        "commercial_insurance",
        "商业保险",
        3,
        ("商业保险", "寿险", "人寿保险", "保单", "重疾险"),
        ("commercialinsurance", "lifeinsurance", "insurancepolicy", "shangyebaoxian"),
        (r"商业保险", r"寿险|重疾险|年金险|分红险", r"保单(?:号|价值|金额)"),
    ),
    Item(
        "real_estate",
        "不动产",
        3,
        ("不动产", "房产", "房屋", "住房", "商品房", "宅基地"),
        ("realestate", "realty", "budongchan", "fangchan"),
        (
            rf"名下(?:有|拥有)?[{_CJK}]{{0,4}}(?:房产|房屋|住房|不动产|商品房|别墅|商铺)",
            rf"(?:拥有|持有|购有|购买了?)[{_CJK}]{{0,4}}(?:房产|住房|不动产|商品房|别墅)",
            rf"(?:房产|房屋|住房|不动产|商品房|别墅)[{_CJK}]{{0,2}}(?:\d+|[一二两三四五六七八九十]+)(?:套|处|栋|幢)",
            r"不动产权证",
            rf"有[{_CJK}]{{0,6}}(?:\d+|[一二两三四五六七八九十]+)(?:套|处|栋|幢)(?:房|住房|房产|商品房|别墅)",
        ),
    ),
    Item(
        "tax_amount",
        "纳税数额",
        3,
        ("纳税数额", "纳税额", "纳税金额", "缴税金额", "纳税情况", "个人所得税", "个税"),
        ("taxamount", "taxpaid", "taxpayment", "incometax", "nashuie"),
        (rf"(?:纳税|缴税|个人所得税|个税)(?:数额|金额|额|总额)?{_SAY}{_AMT}",),
    ),
)

_PATTERNS = {item.key: tuple(re.compile(p) for p in item.content) for item in ITEMS}
_ANY = re.compile("|".join(f"(?:{p})" for item in ITEMS for p in item.content))
"""Matches somewhere iff one of the patterns does: one scan clears the usual text (R-09 on every
field of every natural person's row) before the patterns are tried one by one."""

# A name about a licence or qualification is not personal data (医疗器械经营许可证, 证券从业资格).
_LICENCE_CJK = ("许可", "资质", "资格", "执业", "从业", "证书", "证号", "代理", "经营")
_LICENCE_ASCII = {"license", "licence", "permit", "qualification", "certificate", "certification"}
# Group 三 words in a name or text about a violation are R-07 data, not the person's assets.
_VIOLATION_CJK = (
    "拖欠",
    "欠缴",
    "欠薪",
    "欠付",
    "欠税",
    "偷税",
    "逃税",
    "漏税",
    "抗税",
    "骗税",
    "罚没",
    "违法",
    "非法",
    "违规",
    "违章",
)
_VIOLATION_ASCII = {"arrears", "unpaid", "overdue", "illegal", "penalty", "fine", "evasion", "owed", "violation"}
_VIOLATION_NEAR = re.compile(
    r"违法|违章|违规|非法|擅自|拆除|搭建|出租|出售|吸收|集资|补缴|罚没|没收|伪造|虚构|冒用|[偷逃欠漏抗骗]"
)
# Group 三 names a legal-person record may not carry either (someone's own money or home).
_PERSONAL_CJK = (
    "个人",
    "本人",
    "家庭",
    "储蓄",
    "个税",
    "月收入",
    "年收入",
    "工资收入",
    "月薪",
    "年薪",
    "法定代表人",
    "法人代表",
    "负责人",
)
_PERSONAL_ASCII = {"personal", "household", "private", "representative", "owner"}
# Not personal data although they contain a listed word.
_HARMLESS_CJK = ("转基因", "住房公积金")
_HARMLESS_BEFORE_FINGERPRINT = {
    "key",
    "cert",
    "certificate",
    "file",
    "hash",
    "sha1",
    "sha256",
    "md5",
    "tls",
    "ssh",
    "pgp",
    "gpg",
    "device",
    "browser",
}

_CONSENT = re.compile(rf"[0-9A-Za-z{_CJK}〔〕\[\]()\-_/.·#: ]{{2,60}}")
_ID_LIKE = re.compile(r"\d{17}[\dXx]|\d{15}")


def consent_ref_ok(ref: str) -> bool:
    """A written-consent reference: a document number of 2–60 characters (letters, digits, Chinese,
    〔〕[]()-_/.·#: and spaces) holding at least one digit, e.g. "郑信同意〔2026〕15号" — and never
    something shaped like a 公民身份号码 (R-09 consent must not become a way to store raw IDs)."""
    text = unicodedata.normalize("NFKC", ref or "").strip()
    return bool(_CONSENT.fullmatch(text) and re.search(r"\d", text) and not _ID_LIKE.search(text))


def scrub(text: str) -> str:
    """What an error report shows instead of a refused value: a placeholder, never the text."""
    return PLACEHOLDER


def check(
    fields: Mapping[str, object], *, subject_kind: str, consent_ref: str = "", labels: Mapping[str, str] | None = None
) -> list[Problem]:
    """Problems of R-09 in one record (a row, a pushed item, a form); empty when acceptable.

    A forbidden field name is refused whatever its value (even empty): such a column has no place
    in any submission. Nested mappings are checked with dotted names; lists are scanned as text.
    ``labels``: the Chinese name a message shows for a known field (penalty.violation_facts → 违法事实).
    """
    if subject_kind not in ("legal", "natural"):
        raise ValueError(f"未知的主体类型：{subject_kind}")
    consent = "none" if not (consent_ref or "").strip() else ("ok" if consent_ref_ok(consent_ref) else "bad")
    if subject_kind == "legal" and (shape := _shape(fields)) is not None:
        return list(_legal_problems(shape, consent))  # names only: a forbidden name is never a known field
    return _problems(fields, subject_kind, consent, labels or {})


def _problems(
    fields: Mapping[str, object], subject_kind: str, consent: str, labels: Mapping[str, str] | None = None
) -> list[Problem]:
    labels = labels or {}
    problems: list[Problem] = []
    for name, value in _flatten(fields, ""):
        item = _name_item(str(name), subject_kind)
        if item is not None:
            if not (item.clause == 3 and consent == "ok"):
                problems.append(_problem(name, item, "field", consent, labels.get(name)))
            if item.clause != 3:
                continue
        if subject_kind == "natural":
            for found in _content_items(value):
                if not (found.clause == 3 and consent == "ok") and found != item:
                    problems.append(_problem(name, found, "content", consent, labels.get(name)))
    return problems


_SCALARS = frozenset({str, int, float, bool, type(None), date, datetime, Decimal})


def _shape(fields: Mapping[str, object]) -> tuple | None:
    """The names of ``fields`` as a hashable tree (a plain dict nests), or None when a value is
    anything else than a plain dict or scalar (the general path then reads it)."""
    shape = []
    for key, value in fields.items():
        kind = type(value)
        if kind is dict:
            if (inner := _shape(value)) is None:
                return None
            shape.append((key, inner))
        elif kind in _SCALARS:
            shape.append((key, None))
        else:
            return None
    return tuple(shape)


def _unshaped(shape: tuple) -> dict:
    return {key: "" if inner is None else _unshaped(inner) for key, inner in shape}


@functools.lru_cache(maxsize=1024)
def _legal_problems(shape: tuple, consent: str) -> tuple[Problem, ...]:
    """``check`` of a legal person's record, whose values are never read (free text is scanned for
    natural persons only): it depends on the names alone, and the rows of one template share them."""
    return tuple(_problems(_unshaped(shape), "legal", consent))


def _flatten(fields: Mapping[str, object], prefix: str):
    for key, value in fields.items():
        name = f"{prefix}{key}"
        if type(value) is str:  # most values: the common case first (a batch upload checks millions)
            yield name, value
        elif isinstance(value, Mapping):
            yield name, ""
            yield from _flatten(value, name + ".")
        elif isinstance(value, (list, tuple)):
            yield name, " ".join(v for v in value if isinstance(v, str))
        else:
            yield name, value if isinstance(value, str) else ""


def _compact(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return re.sub(rf"[^0-9a-z{_CJK}]", "", text)


def _words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text)
    return [w.lower() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", text)]


def _has_run(words: list[str], names: tuple[str, ...]) -> bool:
    for i in range(len(words)):
        for j in range(i + 1, min(len(words), i + 4) + 1):
            if "".join(words[i:j]) in names:
                if names[0] == "fingerprint" and i and words[i - 1] in _HARMLESS_BEFORE_FINGERPRINT:
                    continue
                return True
    return False


@functools.lru_cache(maxsize=4096)
def _name_item(name: str, subject_kind: str) -> Item | None:
    """Pure in its arguments, and every row of a batch has the same field names: remembered."""
    compact = _compact(str(name))
    for harmless in _HARMLESS_CJK:
        compact = compact.replace(harmless, "")
    words = _words(str(name))
    if any(w in compact for w in _LICENCE_CJK) or _LICENCE_ASCII & set(words):
        return None
    violation = any(w in compact for w in _VIOLATION_CJK) or bool(_VIOLATION_ASCII & set(words))
    # A company withholds 个人所得税 for its staff: that is its own tax record.
    own = compact.replace("个人所得税", "")
    personal = any(w in own for w in _PERSONAL_CJK) or bool(_PERSONAL_ASCII & set(words))
    for item in ITEMS:
        if not (any(n in compact for n in item.cjk_names) or _has_run(words, item.ascii_names)):
            continue
        if item.clause == 3 and (violation or (subject_kind == "legal" and not personal)):
            continue
        return item
    return None


def _plain(value: str) -> str:
    """NFKC, lower case, without spaces or format characters: a zero-width space (血\u200b型) or a
    soft hyphen must not split a word the patterns look for."""
    text = unicodedata.normalize("NFKC", value).lower()
    return "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) != "Cf")


def _content_items(value: str) -> list[Item]:
    if not value:
        return []
    text = _plain(value)
    if _ANY.search(text) is None:
        return []
    found = []
    for item in ITEMS:
        for pattern in _PATTERNS[item.key]:
            if any(
                item.clause != 3 or not _VIOLATION_NEAR.search(text[max(0, m.start() - 6) : m.start()])
                for m in pattern.finditer(text)
            ):
                found.append(item)
                break
    return found


def _shown(name: str) -> str:
    name = "".join(c for c in str(name) if unicodedata.category(c)[0] != "C").strip()
    return name if len(name) <= 40 else name[:40] + "…"


def _problem(name: str, item: Item, kind: str, consent: str, label: str | None = None) -> Problem:
    where = f"{_DOC}{_CLAUSE[item.clause]}"
    subject = f"字段“{label or _shown(name)}”" + ("的内容涉及" if kind == "content" else "属于")
    if item.clause != 3:
        message = f"{subject}禁止征集的个人信息（{item.label}，{where}），已拒收"
        code = f"forbidden_{kind}:{item.key}"
    elif consent == "bad":
        message = (
            f"{subject}个人{item.label}信息，须取得信息主体的书面同意（{where}）；书面同意文书编号格式不正确，已拒收"
        )
        code = f"consent_invalid:{item.key}"
    else:
        message = (
            f"{subject}个人{item.label}信息，须在告知可能产生的不利后果并取得信息主体书面同意后"
            f"方可征集（{where}）；未提供书面同意文书编号，已拒收"
        )
        code = f"forbidden_{kind}:{item.key}"
    if kind == "content":
        message += "，内容未保存"
    return Problem(field=str(name), rule=RULE, code=code, message=message)
