"""Display masking of personal data (R-17, R-28, DESIGN rule 4).

Every function masks *something* whatever it is given: input that does not look like the
expected kind of value is masked more, never less, and is never returned unchanged.
"""

__all__ = ["mask_id_number", "mask_name", "mask_phone"]

_STAR = "*"


def _keep_ends(text: str, head: int, tail: int) -> str:
    """Keep `head` leading and `tail` trailing characters, star the rest."""
    return text[:head] + _STAR * (len(text) - head - tail) + text[len(text) - tail :]


def _keep_first(text: str) -> str:
    """Fallback for implausible values: keep the first character only (a lone character is starred)."""
    return _STAR if len(text) == 1 else _keep_ends(text, 1, 0)


def _clean(value: str | None) -> str:
    return "".join((value or "").split())


def mask_id_number(value: str | None) -> str:
    """An ID number: "410105199001011234" -> "4101**********1234" (R-17: first 4 and last 4).

    A 15-digit old-format number is masked the same way ("4101*******1234"). Anything shorter
    than 15 characters keeps only its first character, so at least half is always hidden.
    """
    text = _clean(value).replace("x", "X")  # only the check character; str.upper() may change length
    return _keep_ends(text, 4, 4) if len(text) >= 15 else _keep_first(text)


def mask_name(value: str | None) -> str:
    """A natural person's name: "张三" -> "张*", "王小明" -> "王*明", "欧阳娜娜" -> "欧**娜"."""
    text = _clean(value)
    if len(text) <= 2:
        return _keep_first(text)
    return _keep_ends(text, 1, 1)


def mask_phone(value: str | None) -> str:
    """A phone number: "13812345678" -> "138****5678"; longer ones also keep first 3 and last 4.

    Anything shorter than 11 characters (a bare landline number, a typo) keeps only its first character.
    """
    text = _clean(value)
    return _keep_ends(text, 3, 4) if len(text) >= 11 else _keep_first(text)
