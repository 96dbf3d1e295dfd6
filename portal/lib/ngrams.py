"""Character n-grams for name search (pure; used by both the indexer and the query side)."""

from __future__ import annotations

import unicodedata

__all__ = ["normalize_query", "bigrams", "short_grams", "search_chars"]


def normalize_query(text: str) -> str:
    """NFKC (full-width letters/digits to ASCII), lower-case, trimmed."""
    return unicodedata.normalize("NFKC", text or "").strip().lower()


def search_chars(text: str) -> str:
    """The characters that count for search: letters and digits of any script (CJK included)."""
    return "".join(ch for ch in normalize_query(text) if ch.isalnum())


def bigrams(name: str) -> list[str]:
    """Distinct adjacent-character pairs inside runs of letters/digits, in first-seen order.

    Punctuation breaks a run: 郑州（中原） gives 郑州 and 中原, never 州中.
    """
    seen: dict[str, None] = {}
    run: list[str] = []
    for ch in normalize_query(name) + " ":
        if ch.isalnum():
            run.append(ch)
            continue
        for i in range(len(run) - 1):
            seen.setdefault(run[i] + run[i + 1], None)
        run = []
    return list(seen)


def short_grams(name: str) -> list[str]:
    """Every distinct single character and adjacent pair: the tokens of the short-query index
    that answers 1- and 2-character searches (FTS5 trigram cannot, STACK.md)."""
    singles = dict.fromkeys(search_chars(name))
    return list(singles) + bigrams(name)
