"""批量上传 (R-12): a cheap first look at the record ids (column B) of an upload, so that the import
can start writing before the whole sheet is parsed.

Every row whose record id is sent more than once in the file is refused, the first one included,
so a row can only be written early if its id cannot repeat further down. ``scan`` reads the
sheet's raw XML bytes (the very pieces ``Sheet.rows`` parses) with a few regular expressions — no
element objects, a fraction of the full parse — and gives each row holding a column-B cell a key:

- the record id itself, exactly as the full parse will see it, for the plain forms (a shared
  string, a plain inline string, a number without a date format);
- ``OTHER`` for anything else (a formula, rich text, a date, a carriage return, …).

The invariant the reader relies on: for every row, its key is its real record id or ``OTHER``
(never a different id, never missing while the id is not empty). So a row whose real id ``x`` is
sent twice has ``counts[x] + counts[OTHER] >= 2``; a row below that is written at once, the others
are held back and judged when the whole file's real ids are known. Anything outside the strict
grammar below (namespace prefixes, a DTD, numeric character references, cells without an ``r``
that starts their attributes, …) makes ``scan`` answer None: every row is held back, as safe as
reading the whole file first.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from xml.etree.ElementTree import XML, ParseError
from xml.parsers import expat

from portal.ingest.sheet import SHEET_DATA, Damaged, Sheet

__all__ = ["OTHER", "Scan", "scan", "early"]

OTHER = "\0other"
"""The key of a record id the scan does not read exactly (no real id contains NUL: XML forbids it)."""

_ATTR = rb"""\s+[A-Za-z_][\w.:-]*+\s*+=\s*+(?:"[^"<&]*+"|'[^'<&]*+')"""
_TEXT = rb"[^<&]*+(?:&(?:lt|gt|amp|quot|apos);[^<&]*+)*+"
_T = rb"<t(?:" + _ATTR + rb")*+\s*+(?:/>|>" + _TEXT + rb"</t>)"
_RUN = (
    rb"<r>\s*+(?:<rPr>(?:\s*+<(?!c\b|row\b)[A-Za-z]+(?:" + _ATTR + rb")*+\s*+/>)*+\s*+</rPr>\s*+)?" + _T + rb"\s*+</r>"
)
_CHILD = (
    rb"(?:<v>" + _TEXT + rb"</v>|<v\s*+/>|<is\s*+/>|<f(?:" + _ATTR + rb")*+\s*+(?:/>|>" + _TEXT + rb"</f>)"
    rb"|<is>(?:\s*+(?:" + _T + rb"|" + _RUN + rb"))*+\s*+</is>)"
)
_CELL = rb'<c\s+r="[A-Z]{1,3}[0-9]+"(?:' + _ATTR + rb")*+\s*+(?:/>|>(?:\s*+" + _CHILD + rb")*+\s*+</c>)"
_ROW = rb"<row(?:" + _ATTR + rb")*+\s*+(?:/>|>(?:\s*+" + _CELL + rb")*+\s*+</row>)"
_PIECE = re.compile(rb"(?:\s*+" + _ROW + rb")*+\s*+")
"""The whole grammar a piece of rows must follow (possessive: what a part matched is never
given back, which only refuses more and saves the backtracking): in it ``<`` only starts these tags."""
_TOKENS = re.compile(rb'<row\b|<c\s+r="B[0-9]+"((?:' + _ATTR + rb")*)\s*(?:/>|>(.*?)</c>)", re.S)
"""Row starts and column-B cells (``r`` first, so a B cell cannot hide behind another attribute)."""
_ATTRS = re.compile(rb"""\s+([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_PLAIN_IS = re.compile(rb"<is><t(?:" + _ATTR + rb")*\s*>(" + _TEXT + rb")</t></is>")
_PLAIN_V = re.compile(rb"<v>([0-9]+)</v>")
_NUMBER = re.compile(rb"<v>(-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)</v>")
_DECLARATION = re.compile(rb"<\?xml[^>]*\?>")
_UTF8 = re.compile(rb"""encoding\s*=\s*["'](?i:utf-8)["']""")
_ENTITIES = {b"&lt;": b"<", b"&gt;": b">", b"&quot;": b'"', b"&apos;": b"'"}


@dataclass
class Scan:
    rows: int
    """Row elements in the sheet (the header and blank rows included): at least the data rows."""
    counts: Counter


def early(found: Scan | None, ref: str) -> bool:
    """Whether a row with the real record id ``ref`` may be written before the whole file is read:
    its id cannot be sent again (see the module's invariant)."""
    if not ref:
        return True  # no id: the rule does not apply
    return found is not None and found.counts[ref] + found.counts[OTHER] <= 1


def _unescape(text: bytes) -> str:
    for entity, char in _ENTITIES.items():
        text = text.replace(entity, char)
    return text.replace(b"&amp;", b"&").decode("utf-8")


def _key(attrs: bytes, body: bytes | None, strings: list[str], dates) -> str | None:
    """The record id the full parse reads from this column-B cell: None for none (an empty cell),
    the id itself, or OTHER."""
    found = {m.group(1): m.group(2) if m.group(2) is not None else m.group(3) for m in _ATTRS.finditer(attrs)}
    kind = found.pop(b"t", b"n")
    if body is None or not body.strip():
        return None  # <c r="B2"/>: no value, the full parse skips it
    if b"\r" in body or b"<f" in body:
        return OTHER  # line ends the parser normalises; a formula (never read)
    if kind == b"inlineStr":
        plain = _PLAIN_IS.fullmatch(body)
        value = _unescape(plain.group(1)) if plain else None
    elif kind == b"s":
        plain = _PLAIN_V.fullmatch(body)
        value = strings[int(plain.group(1))] if plain and int(plain.group(1)) < len(strings) else None
    elif kind == b"n":
        plain = _NUMBER.fullmatch(body)
        style = found.get(b"s", b"0")
        if not plain or not style.isdigit() or int(style) in dates:
            return OTHER
        text = plain.group(1).decode()
        return str(float(text) if ("." in text or "e" in text or "E" in text) else int(text))
    else:
        return OTHER
    if value is None:
        return OTHER
    if not value.strip() or value.startswith("="):
        return None  # blank, or text read as a formula: no id (``workbook.read_rows``)
    return value.strip()


def _plain_head(head: bytes) -> bool:
    """UTF-8, no DTD (entities, default attributes), no namespace prefix on sheetData."""
    text = head.removeprefix(b"\xef\xbb\xbf")
    if text.startswith(b"<?xml"):
        declaration = _DECLARATION.match(text)
        if declaration is None or (b"encoding" in declaration.group(0) and not _UTF8.search(declaration.group(0))):
            return False
    elif not text.startswith(b"<"):
        return False
    return b"<!" not in head and re.search(rb"<[A-Za-z_][\w.-]*:sheetData", head) is None


def _parses(head: bytes, piece: bytes, tail: bytes, is_root: bool) -> bool:
    """Whether the full pass will parse this piece (the same bytes, the same parser settings as
    ``sheet._pieces``: expat with namespaces, no tree built) and find its rows in the sheet's
    namespace."""
    parser = expat.ParserCreate(None, "}")
    try:
        parser.Parse(head + piece + tail, True)
        return is_root or XML(head + tail).find(SHEET_DATA) is not None
    except (expat.ExpatError, ParseError):
        return False


def scan(sheet: Sheet) -> Scan | None:
    """Keys of the record ids of every row (the module's invariant), or None for a sheet outside
    the strict grammar (then every row is held back).

    A Scan also proves the full pass will read the sheet to its end: every piece of it parses
    (damage, a bad character, a cut-off file all show here first), and a bad value only spoils
    its row (``Sheet.rows``). So rows written before the full pass ends are never followed by a
    "file damaged" failure: such a file fails here, before anything is written."""
    try:
        strings, dates = sheet.shared_strings(), sheet.reader.wb._date_formats
        rows, counts = 0, Counter()
        for head, piece, tail, is_root in sheet.raw_pieces():
            if not _plain_head(head):
                return None  # a DTD (entities, default attributes), another encoding, a prefix
            if _PIECE.fullmatch(piece) is None or not _parses(head, piece, tail, is_root):
                return None
            in_row = seen = False
            key: str | None = None
            for token in _TOKENS.finditer(piece):
                if token.group(0) == b"<row":
                    if in_row and key is not None:
                        counts[key] += 1
                    rows, in_row, seen, key = rows + 1, True, False, None
                elif seen or not in_row:
                    key = OTHER  # two B cells in a row: the full parse keeps the last
                else:
                    seen, key = True, _key(token.group(1), token.group(2), strings, dates)
            if in_row and key is not None:
                counts[key] += 1
        return Scan(rows, counts)
    except (Damaged, ValueError, IndexError, UnicodeDecodeError, OSError, EOFError):
        return None
