"""Marking the matched characters of a name (pure): every occurrence of each term, or, for the
in-order fallback, the first characters that spell the term in order. Text is escaped."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

__all__ = ["highlight"]

# The databases fold ASCII case only; str.translate keeps every index where it was.
_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_SPECIAL = re.compile(r"[<>&'\"]")


def _spans(name: str, terms: tuple[str, ...], in_order: bool) -> list[tuple[int, int]]:
    """Sorted, merged [start, end) runs of matched characters."""
    folded = name.translate(_FOLD)
    if in_order:
        chars = "".join(terms).translate(_FOLD)
        chars = "".join(ch for ch in chars if not ch.isspace())
        at, hits = 0, []
        for ch in chars:
            at = folded.find(ch, at)
            if at < 0:
                return []
            hits.append(at)
            at += 1
        points = [(i, i + 1) for i in hits]
    else:
        points = []
        for term in terms:
            needle = term.translate(_FOLD)
            start = folded.find(needle) if needle else -1
            while start >= 0:
                points.append((start, start + len(needle)))
                start = folded.find(needle, start + 1)
        points.sort()
    spans: list[tuple[int, int]] = []
    for start, end in points:
        if spans and start <= spans[-1][1]:
            if end > spans[-1][1]:
                spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def highlight(name: str, terms: tuple[str, ...] | list[str] = (), in_order: bool = False) -> Markup:
    """``name`` as HTML with the matched characters in ``<mark>``."""
    if not name or not terms:
        return escape(name or "")
    spans = _spans(name, tuple(terms), in_order)
    if not spans:
        return escape(name)
    esc = escape if _SPECIAL.search(name) else str  # most names hold nothing to escape
    out, pos = [], 0
    for start, end in spans:
        out += (esc(name[pos:start]), "<mark>", esc(name[start:end]), "</mark>")
        pos = end
    out.append(esc(name[pos:]))
    return Markup("".join(out))
