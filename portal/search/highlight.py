"""Marking the matched characters of a name (pure): every occurrence of each term, or, for the
in-order fallback, the first characters that spell the term in order. Text is escaped."""

from __future__ import annotations

from markupsafe import Markup, escape

__all__ = ["highlight"]


def _fold(ch: str) -> str:
    return ch.lower() if ch.isascii() else ch  # the databases fold ASCII case only


def _spans(name: str, terms: tuple[str, ...], in_order: bool) -> list[bool]:
    marked = [False] * len(name)
    folded = "".join(_fold(ch) for ch in name)
    if in_order:
        chars = [_fold(ch) for t in terms for ch in t if not ch.isspace()]
        at = 0
        for i, ch in enumerate(folded):
            if at < len(chars) and ch == chars[at]:
                marked[i], at = True, at + 1
        return marked if at == len(chars) else [False] * len(name)
    for term in terms:
        needle = "".join(_fold(ch) for ch in term)
        start = folded.find(needle) if needle else -1
        while start >= 0:
            for i in range(start, start + len(needle)):
                marked[i] = True
            start = folded.find(needle, start + 1)
    return marked


def highlight(name: str, terms: tuple[str, ...] | list[str] = (), in_order: bool = False) -> Markup:
    """``name`` as HTML with the matched characters in ``<mark>``."""
    if not name or not terms:
        return escape(name or "")
    marked = _spans(name, tuple(terms), in_order)
    out, run, state = [], [], False
    for ch, m in zip(name, marked):
        if m != state and run:
            text = escape("".join(run))
            out.append(Markup("<mark>%s</mark>") % text if state else text)
            run = []
        state = m
        run.append(ch)
    if run:
        text = escape("".join(run))
        out.append(Markup("<mark>%s</mark>") % text if state else text)
    return Markup("").join(out)
