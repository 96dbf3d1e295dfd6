"""统一社会信用代码 (uscc) per GB 32100-2015.

Layout: 1 登记管理部门码, 1 机构类别码, 6 登记管理机关行政区划码, 9 主体标识码, 1 校验码.
Only the character set and the check character are validated here; the meaning of the
first characters is not (the registries keep adding codes).

The check is MOD 31 with weights 3**i mod 31. Because 31 is prime and no weight is 0 mod 31,
changing any single character to another character of the set always changes the check
character, so every single-character error is detected.
"""

import unicodedata
from operator import mul

__all__ = ["CHARSET", "WEIGHTS", "check_char", "is_valid", "make", "normalize", "validation_error"]

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""31 characters, values 0..30 (no I, O, Z, S, V)."""
_VALUE = {c: v for v, c in enumerate(CHARSET)}
_ALLOWED = frozenset(CHARSET)
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
"""1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28."""


def normalize(code: str) -> str:
    """Remove all whitespace, fold full-width characters (ＡＢＣ１２３) and uppercase."""
    code = unicodedata.normalize("NFKC", code)
    return "".join(code.split()).upper()


def check_char(first17: str) -> str:
    """The check character for the first 17 characters; ValueError if they are malformed."""
    if len(first17) != 17:
        raise ValueError("统一社会信用代码本体应为17位")
    if not _ALLOWED.issuperset(first17):
        raise ValueError("统一社会信用代码含有不允许的字符（仅限数字和除I、O、Z、S、V以外的大写字母）")
    total = sum(map(mul, map(_VALUE.__getitem__, first17), WEIGHTS))
    return CHARSET[(31 - total % 31) % 31]


def make(first17: str) -> str:
    """The full 18-character code: `first17` plus its check character."""
    return first17 + check_char(first17)


def validation_error(code: str) -> str | None:
    """A Simplified-Chinese message saying why `code` is not a valid uscc, or None if it is.

    Strict: pass the result of `normalize` for user input.
    """
    if len(code) != 18:
        return "统一社会信用代码应为18位"
    if not _ALLOWED.issuperset(code):
        return "统一社会信用代码含有不允许的字符（仅限数字和除I、O、Z、S、V以外的大写字母）"
    if check_char(code[:17]) != code[17]:
        return "统一社会信用代码校验码不正确"
    return None


def is_valid(code: str) -> bool:
    """True if `code` is exactly 18 allowed uppercase characters with a correct check character."""
    return validation_error(code) is None
