"""The CJK font the PDF report embeds (STACK.md: PDF with Chinese text).

Looked for, in order: ``PORTAL_CJK_FONT`` (optionally ``PORTAL_CJK_FONT_BOLD``); the Noto Sans SC
TTFs that ``python -m portal build-assets`` fetches from the npm registry into build/fonts
(git-ignored, not web-served); Debian's fonts-noto-cjk (a TTC: the Simplified Chinese face is
picked by name). The fetched TrueType font comes first because fpdf2 writes it as the most
portable kind of CJK font (CIDFontType2, Identity-H); the Debian faces are CFF, which fpdf2
writes with an embedded encoding CMap that some text extractors (pypdf) misread. fpdf2 embeds
only the glyphs used (subset), so the PDF stays small.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from portal.settings import ROOT

__all__ = ["FontFace", "ReportFont", "ReportFontMissing", "resolve_font", "FETCHED_DIR", "FETCHED_REGULAR"]

DEBIAN_REGULAR = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
DEBIAN_BOLD = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")
FETCHED_DIR = ROOT / "build" / "fonts"
FETCHED_REGULAR = FETCHED_DIR / "NotoSansSC-Regular.ttf"
FETCHED_BOLD = FETCHED_DIR / "NotoSansSC-Bold.ttf"
_SC = re.compile(r"\bSC\b|Simplified|简")
_COLLECTIONS = (".ttc", ".otc")


class ReportFontMissing(RuntimeError):
    """No usable CJK font: the report cannot be produced (the message is shown to users)."""

    MESSAGE = "系统缺少中文字体，暂时无法生成 PDF 报告"

    def __init__(self, detail: str = "") -> None:
        super().__init__(self.MESSAGE)
        self.detail = detail


@dataclass(frozen=True)
class FontFace:
    path: Path
    index: int = 0
    """Face number inside a TTC/OTC collection (fpdf2 ``collection_font_number``)."""


@dataclass(frozen=True)
class ReportFont:
    regular: FontFace
    bold: FontFace
    source: str
    """``env``, ``debian`` or ``fetched``: for logs and tests."""


@lru_cache(maxsize=8)
def _sc_face_index(path: Path, mtime: float) -> int:
    """In a CJK collection the faces are JP, KR, SC, TC, HK…: take the first Simplified Chinese one."""
    from fontTools.ttLib import TTCollection

    collection = TTCollection(str(path), lazy=True)
    try:
        for number, font in enumerate(collection.fonts):
            if _SC.search(font["name"].getDebugName(4) or ""):
                return number
    finally:
        collection.close()
    return 0


def _face(path: Path) -> FontFace:
    if path.suffix.lower() in _COLLECTIONS:
        return FontFace(path, _sc_face_index(path, path.stat().st_mtime))
    return FontFace(path)


def _pair(regular: Path, bold: Path | None, source: str) -> ReportFont:
    face = _face(regular)
    bold_face = _face(bold) if bold is not None and bold.is_file() else face
    return ReportFont(face, bold_face, source)


def resolve_font() -> ReportFont:
    """The first usable font, or ReportFontMissing (never a PDF with boxes instead of Chinese)."""
    configured = os.environ.get("PORTAL_CJK_FONT", "").strip()
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise ReportFontMissing(f"PORTAL_CJK_FONT={configured} does not exist")
        bold = os.environ.get("PORTAL_CJK_FONT_BOLD", "").strip()
        return _pair(path, Path(bold) if bold else None, "env")
    if FETCHED_REGULAR.is_file():
        return _pair(FETCHED_REGULAR, FETCHED_BOLD, "fetched")
    if DEBIAN_REGULAR.is_file():
        return _pair(DEBIAN_REGULAR, DEBIAN_BOLD, "debian")
    raise ReportFontMissing(
        "no CJK font: set PORTAL_CJK_FONT, install fonts-noto-cjk, or run `python -m portal build-assets`"
    )
