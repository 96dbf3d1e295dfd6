"""批量上传 (R-12): the first worksheet of an uploaded xlsx read straight from its XML, streaming.

openpyxl opens the package (manifest, workbook, styles: small parts, read once); the shared strings
and the sheet are read here with ElementTree's C parser, keeping only what the import needs: each
row's cell values as openpyxl gives them (shared and inline strings, numbers, booleans, dates from
serials by the cell's number format, ISO dates) and which cells hold a formula (never evaluated).
openpyxl's own sheet parser makes a Python call per XML element and builds a dict per cell: most of
a 100 000-row upload's time went there. Memory stays bounded: the sheet is parsed piece by piece.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from xml.etree.ElementTree import XML, ParseError
from zipfile import BadZipFile
from zlib import error as zlib_error

from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils.datetime import from_excel, from_ISO8601
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS

__all__ = ["Sheet", "Damaged"]

_N = f"{{{SHEET_MAIN_NS}}}"
_ROW, _C, _V, _F, _IS, _T, _R, _SI = (_N + t for t in ("row", "c", "v", "f", "is", "t", "r", "si"))
SHEET_DATA = _N + "sheetData"


class Damaged(Exception):
    """The package or its sheet cannot be read."""


def _text(node) -> str:
    """A string item's text as openpyxl's ``Text.content``: the plain text and the runs' text,
    not the phonetic runs (rPh)."""
    parts = []
    for child in node:
        if child.tag == _T:
            parts.append(child.text or "")
        elif child.tag == _R:
            for t in child:
                if t.tag == _T:
                    parts.append(t.text or "")
    return "".join(parts)


@lru_cache(maxsize=4096)
def _serial(value: float | int, epoch, as_timedelta: bool):
    return from_excel(value, epoch, timedelta=as_timedelta)


@lru_cache(maxsize=1024)
def _column(letters: str) -> int:
    """0-based index of a column's letters (A → 0)."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _row_number(r: str | None, before: int) -> int:
    try:
        return int(float(r)) if r else before + 1
    except (ValueError, OverflowError):
        return before + 1  # not a number: as if absent


class Sheet:
    def __init__(self, path: Path) -> None:
        try:
            self.reader = ExcelReader(str(path), read_only=True, keep_links=False, data_only=False)
            self.reader.read_manifest()
            self.reader.read_workbook()
            apply_stylesheet(self.reader.archive, self.reader.wb)
            self.target = next(
                (
                    rel.target
                    for _, rel in self.reader.parser.find_sheets()
                    if rel.target in self.reader.valid_files and "chartsheet" not in rel.Type
                ),
                None,
            )
        except Exception:  # openpyxl raises many kinds for a damaged file
            raise Damaged from None
        self._strings: list[str] | None = None

    def _shared_strings(self) -> list[str]:
        if self._strings is None:
            strings: list[str] = []
            part = self.reader.package.find(SHARED_STRINGS)
            if part is not None:
                with self.reader.archive.open(part.PartName[1:]) as source:
                    for piece in _pieces(source, b"sst", b"si"):
                        strings += [_text(node).replace("x005F_", "") for node in piece if node.tag == _SI]
            self._strings = strings
        return self._strings

    def rows(self, width: int | None = None) -> Iterator[tuple[int, dict[int, object], set[int], set[int]]]:
        """(row number, {column index: value} of the non-empty cells, column indexes of formulas,
        column indexes of cells whose value cannot be read — a shared string that does not exist,
        a number that is not one) for the rows present; cells from column ``width`` on are not read.
        Only the XML itself (or the package) can be damaged: a bad value spoils its row, never
        the file, so a well-formed sheet is read to its end (the reader writes rows early on that)."""
        if self.target is None:
            return
        try:
            yield from self._rows(width)
        except (ParseError, IndexError, ValueError, KeyError, TypeError, OSError, EOFError, BadZipFile, zlib_error):
            raise Damaged from None

    def _rows(self, width: int | None) -> Iterator[tuple[int, dict[int, object], set[int], set[int]]]:
        wb = self.reader.wb
        strings, epoch = self._shared_strings(), wb.epoch
        dates, durations = wb._date_formats, wb._timedelta_formats
        limit = width if width is not None else 1 << 30
        number = 0
        with self.reader.archive.open(self.target) as source:
            for piece in _pieces(source, b"sheetData", b"row"):
                for node in piece:
                    if node.tag != _ROW:
                        continue
                    number = _row_number(node.get("r"), number)
                    values: dict[int, object] = {}
                    formulas: set[int] = set()
                    unreadable: set[int] = set()
                    col = -1
                    for cell in node:
                        if cell.tag != _C:
                            continue
                        ref = cell.get("r")
                        col = _column(ref.rstrip("0123456789")) if ref else col + 1
                        if col >= limit:
                            continue
                        kind = cell.get("t", "n")
                        value = None
                        for child in cell:
                            tag = child.tag
                            if tag == _F:
                                formulas.add(col)
                                break
                            if tag == _V and kind != "inlineStr":
                                value = child.text or None
                            elif tag == _IS and kind == "inlineStr":
                                # Mostly one plain <t>: its text, without the general walk.
                                if len(child) == 1 and child[0].tag == _T:
                                    value = child[0].text or ""
                                else:
                                    value = _text(child)
                        else:
                            if value is None:
                                continue
                            try:
                                if kind == "n":
                                    real = "." in value or "E" in value or "e" in value
                                    value = float(value) if real else int(value)
                                    style = int(cell.get("s", 0))
                                    if style in dates:
                                        try:
                                            value = _serial(value, epoch, style in durations)
                                        except (OverflowError, ValueError):
                                            value = "#VALUE!"  # as openpyxl: a date serial out of range
                                elif kind == "s":
                                    value = strings[int(value)]
                                elif kind == "b":
                                    value = bool(int(value))
                                elif kind == "d":
                                    value = from_ISO8601(value)
                            except (ValueError, IndexError, OverflowError, TypeError):
                                unreadable.add(col)  # text its type cannot hold: the row is refused
                                continue
                            values[col] = value
                    yield number, values, formulas, unreadable

    def raw_pieces(self) -> Iterator[tuple[bytes, bytes, bytes, bool]]:
        """The sheet's rows as the bytes ``rows`` parses (``raw_pieces``), for a cheap scan."""
        if self.target is None:
            return
        with self.reader.archive.open(self.target) as source:
            yield from raw_pieces(source, b"sheetData", b"row")

    def shared_strings(self) -> list[str]:
        return self._shared_strings()

    def close(self) -> None:
        self.reader.archive.close()


_ROOT = re.compile(rb"<(?![?!])([A-Za-z_][\w.:-]*)")
_PIECE = 1 << 18
"""Bytes of XML per parse: the parsed piece is ~10x its size, and C3 bounds the import's memory."""


def _pieces(source, container: bytes, item: bytes) -> Iterator:
    """The parsed container of each piece of ``raw_pieces``."""
    for head, piece, tail, is_root in raw_pieces(source, container, item):
        parsed = XML(head + piece + tail)
        yield parsed if is_root else parsed.find(_N + container.decode())


def raw_pieces(source, container: bytes, item: bytes) -> Iterator[tuple[bytes, bytes, bytes, bool]]:
    """The container element (sheetData, or the shared strings' sst) in pieces of about 256 KB of
    whole items (rows, strings), each parsed by the C parser in one call with the document's
    opening up to the container's start tag and the closing tags around it: no Python call per
    XML element, memory bounded by the piece. Yields (head, piece, tail, whether the container is
    the document's root): ``head + piece + tail`` is a whole document."""
    opening = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?" + container + rb"\b[^>]*?(/?)>")
    buffer = b""
    while (found := opening.search(buffer)) is None:
        data = source.read(_PIECE)
        if not data:
            return  # no such element: nothing in it
        buffer += data
    root = _ROOT.search(buffer)
    if root is None or found.group(2):
        return  # self-closed: empty
    head, buffer = buffer[: found.end()], buffer[found.end() :]
    prefix = found.group(1) + b":" if found.group(1) else b""
    item_end = b"</" + prefix + item + b">"
    closing = re.compile(rb"</" + re.escape(prefix + container) + rb"\s*>")
    tail = b"</" + prefix + container + b">" + (b"</" + root.group(1) + b">" if root.end() < found.start() else b"")
    finished = False
    while not finished:
        data = source.read(_PIECE)
        buffer += data
        if (stop := closing.search(buffer)) is not None:
            piece, buffer, finished = buffer[: stop.start()], b"", True
        elif data:
            cut = buffer.rfind(item_end)
            if cut < 0:
                continue  # an item longer than a piece: read on
            cut += len(item_end)
            piece, buffer = buffer[:cut], buffer[cut:]
        else:
            raise ParseError(f"{container.decode()} not closed")
        yield head, piece, tail, root.end() >= found.start()
