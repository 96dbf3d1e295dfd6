"""What a search box entry asks for (pure): an exact USCC, a USCC prefix, an ID number, or name
terms. The database side is portal/search/sql.py and service.py."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from portal.lib import id_number
from portal.lib import uscc as uscc_rules
from portal.lib.ngrams import bigrams, normalize_query, search_chars

__all__ = ["Query", "parse", "like_pattern", "subsequence_pattern", "term_grams", "MAX_QUERY_CHARS"]

MAX_QUERY_CHARS = 50
USCC_PREFIX_MIN = 6
SUBSEQUENCE_MIN = 4

CHECK_CHAR_ERROR = "统一社会信用代码校验位错误（第18位与前17位不符），请核对后重新输入"
NO_TEXT_ERROR = "请输入企业名称中的文字，或完整的统一社会信用代码"
# natural persons are never listed by name or ID number in public.
PERSON_NOTICE = (
    "本站不按姓名或身份证号码公开查询自然人信息（保护个人隐私）。"
    "自然人查询本人信用信息，请登录后在“本人查询”中办理；查询他人信息须取得其书面授权。"
)

_ID_NUMBER = re.compile(r"[0-9]{17}[0-9X]|[0-9]{15}")
# Spaces and the punctuation people type around or inside a name (quotes, brackets of either width,
# commas, stops). % and _ stay literal characters, never wildcards.
_SEPARATORS = re.compile(r"[\s,，。.、;；:：!！?？\"“”'‘’「」『』《》<>()（）\[\]【】［］〔〕{}｛｝·•/\\|~～…—-]+")
# Common surnames (single and compound): a 2–4 character entry starting with one of them and
# without an organisation word looks like a person's name.
_SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常"
)
_COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "令狐", "慕容", "尉迟", "公孙")
_ORG_WORDS = tuple(
    "公司 店 厂 部 社 中心 行 馆 所 院 会 场 站 局 校 室 坊 铺 "
    "科技 商贸 贸易 实业 集团 工程 建筑 餐饮 酒店 物流 药 医 农 业".split()
)
_PLACE_ENDINGS = tuple("州市省县区镇乡村阳山江河湖海城南北")


@dataclass(frozen=True)
class Query:
    text: str
    """The entry as shown back (trimmed, at most MAX_QUERY_CHARS)."""
    kind: str
    """``empty``, ``uscc``, ``uscc_prefix``, ``id_number``, ``bad_check`` or ``name``."""
    code: str = ""
    terms: tuple[str, ...] = field(default_factory=tuple)
    """Name terms, split at spaces (full-width too): all must match."""
    person_like: bool = False
    """Looks like a person's name (R-17 notice)."""

    @property
    def subsequence(self) -> bool:
        """A single term of 4+ characters may fall back to its characters in order."""
        return len(self.terms) == 1 and len(search_chars(self.terms[0])) >= SUBSEQUENCE_MIN


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def looks_like_person(term: str) -> bool:
    if not 2 <= len(term) <= (4 if term.startswith(_COMPOUND_SURNAMES) else 3) or not all(map(_is_han, term)):
        return False
    if any(word in term for word in _ORG_WORDS) or term.endswith(_PLACE_ENDINGS):
        return False
    return term[0] in _SURNAMES or term.startswith(_COMPOUND_SURNAMES)


def parse(raw: str | None) -> Query:
    text = (raw or "").strip()[:MAX_QUERY_CHARS]
    if not text:
        return Query(text="", kind="empty")
    code = uscc_rules.normalize(normalize_query(text))
    if len(code) == 18 and uscc_rules.is_valid(code):
        return Query(text=text, kind="uscc", code=code)
    if _looks_like_id_number(id_number.normalize(text)):
        return Query(text=text, kind="id_number")
    if len(code) == 18 and all(c in uscc_rules.CHARSET for c in code):
        return Query(text=text, kind="bad_check", code=code)
    if USCC_PREFIX_MIN <= len(code) < 18 and len(text.split()) == 1 and all(c in uscc_rules.CHARSET for c in code):
        if sum(c.isdigit() for c in code) >= 2:
            return Query(text=text, kind="uscc_prefix", code=code, terms=(text,))
    # Spaces and punctuation separate terms: half-width (有限合伙) finds the registered
    # （有限合伙）, and quotes or a trailing 。 do not have to be in the name.
    terms = tuple(t for t in _SEPARATORS.split(text) if t)
    return Query(text=text, kind="name", terms=terms, person_like=len(terms) == 1 and looks_like_person(terms[0]))


def _looks_like_id_number(text: str) -> bool:
    """An ID number's shape with a real birth date in it (18 characters: positions 7–14, 15 digits:
    7–12 as YYMMDD). A USCC of digits only (its check character wrong, or a 15-character prefix)
    has no date there, and is answered as a code, not with the privacy notice."""
    if not _ID_NUMBER.fullmatch(text):
        return False
    digits = text[6:14] if len(text) == 18 else "19" + text[6:12]
    try:
        return 1900 <= date(int(digits[:4]), int(digits[4:6]), int(digits[6:8])).year <= 2100
    except ValueError:
        return False


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def like_pattern(term: str) -> str:
    """LIKE pattern (escape character backslash) for a literal substring."""
    return "%" + _escape_like(term) + "%"


def subsequence_pattern(term: str) -> str:
    """LIKE pattern for the term's characters in order, anything between (郑州韵宇 → %郑%州%韵%宇%)."""
    return "%" + "%".join(_escape_like(ch) for ch in term if not ch.isspace()) + "%"


def term_grams(term: str) -> list[str]:
    """Short-gram index tokens every name containing ``term`` holds: its pairs, or if it has
    none its single characters (portal/lib/ngrams.short_grams is the index side)."""
    return bigrams(term) or list(dict.fromkeys(search_chars(term)))


def has_latin(text: str) -> bool:
    return any("a" <= ch.lower() <= "z" for ch in text)
