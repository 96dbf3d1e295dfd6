"""公民身份号码 (id_number) per GB 11643-1999.

Layout: 6 address code (行政区划代码), 8 birth date YYYYMMDD, 3 sequence code, 1 check character.
The check is ISO 7064 MOD 11-2 with weights 2**(17-i) mod 11. Because 11 is prime and no weight
is 0 mod 11, changing any single digit always changes the check character.
"""

import unicodedata
from datetime import date

__all__ = ["WEIGHTS", "birth_date", "check_digit", "is_valid", "make", "normalize", "validation_error"]

WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
"""7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2."""
_CHECK = "10X98765432"
_EARLIEST_BIRTH = date(1900, 1, 1)


def normalize(number: str) -> str:
    """Remove all whitespace, fold full-width characters (１２３Ｘ) and uppercase a trailing 'x'."""
    return "".join(unicodedata.normalize("NFKC", number).split()).upper()


def check_digit(first17: str) -> str:
    """The check character ('0'..'9' or 'X') for the first 17 digits; ValueError if malformed."""
    if len(first17) != 17 or not _is_ascii_digits(first17):
        raise ValueError("公民身份号码本体应为17位数字")
    return _CHECK[sum(int(c) * w for c, w in zip(first17, WEIGHTS)) % 11]


def birth_date(number: str) -> date:
    """The birth date embedded in an 18-character number (positions 7–14); ValueError if not a date."""
    digits = number[6:14]
    if len(number) != 18 or not _is_ascii_digits(digits):
        raise ValueError("出生日期无效")
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise ValueError("出生日期无效") from None


def make(region6: str, birth: date, seq3: str) -> str:
    """A complete number from its parts (test data, examples); ValueError for bad parts."""
    if len(region6) != 6 or not _is_ascii_digits(region6) or region6[0] == "0":
        raise ValueError("行政区划代码应为6位数字且首位不为0")
    if len(seq3) != 3 or not _is_ascii_digits(seq3):
        raise ValueError("顺序码应为3位数字")
    if not _EARLIEST_BIRTH <= birth <= date(9999, 12, 31):
        raise ValueError("出生日期无效")
    first17 = f"{region6}{birth:%Y%m%d}{seq3}"
    return first17 + check_digit(first17)


def validation_error(number: str, today: date | None = None) -> str | None:
    """A Simplified-Chinese message saying why `number` is invalid, or None if it is valid.

    Strict: pass the result of `normalize` for user input. The birth date must be a real date
    between 1900-01-01 and `today` (default: the current date).
    """
    if len(number) != 18:
        return "公民身份号码应为18位"
    if not _is_ascii_digits(number[:17]) or not (_is_ascii_digits(number[17]) or number[17] == "X"):
        return "公民身份号码前17位应为数字，最后一位应为数字或大写字母X"
    if number[0] == "0":
        return "公民身份号码前6位行政区划代码无效"
    try:
        born = birth_date(number)
    except ValueError as exc:
        return str(exc)
    if not _EARLIEST_BIRTH <= born <= (today or date.today()):
        return "出生日期无效"
    if check_digit(number[:17]) != number[17]:
        return "公民身份号码校验位不正确"
    return None


def is_valid(number: str, today: date | None = None) -> bool:
    """True if `number` is a well-formed 18-character number with a plausible birth date."""
    return validation_error(number, today) is None


def _is_ascii_digits(text: str) -> bool:
    # str.isdigit() also accepts '²' and full-width digits; only 0-9 are allowed here.
    return all("0" <= c <= "9" for c in text)
