"""What an uploaded file really is, decided by its content alone (issue 3 §4). Pure: bytes in,
a verdict out; no I/O, no settings.

Accepted: PDF, JPEG and PNG that a structural parse opens. Everything else is refused, including
files that are two things at once (a PDF that is also an HTML page, a PNG carrying a ZIP archive)
and PDFs with scripts or embedded files, which a reviewer's viewer might run.
"""

from __future__ import annotations

import io
import re
import struct
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError
from pypdf import PasswordType, PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

__all__ = ["PDF", "JPEG", "PNG", "EXTENSIONS", "Sniffed", "SniffError", "sniff", "UNSUPPORTED_MESSAGE"]

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png"}
UNSUPPORTED_MESSAGE = "仅支持 PDF、JPG、PNG 格式的文件"

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
_PDF_HEADER = re.compile(rb"%PDF-[12]\.\d")
# Markup a browser or viewer would act on; 7+ fixed bytes, so compressed data never hits by chance.
_MARKUP = re.compile(rb"<(?:html|head|body|script|svg|iframe|object|embed|!doctype)[\s>/]", re.IGNORECASE)
_ZIP_END = b"PK\x05\x06"  # a ZIP reader looks for this in the last 64 KiB + 22 bytes
_ZIP_TAIL = 65_557
# PDF names that run code or carry other files (pypdf resolves #xx escapes in names).
_ACTIVE_PDF_KEYS = frozenset(
    {"/JS", "/JavaScript", "/Launch", "/EmbeddedFile", "/EmbeddedFiles", "/RichMedia", "/XFA", "/SubmitForm"}
)
_PDF_NODE_BUDGET = 200_000


class SniffError(ValueError):
    """The file is refused: ``code`` for machines, ``message`` (Chinese) for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Sniffed:
    media_type: str
    pages: int | None = None
    width: int | None = None
    height: int | None = None

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.media_type]


def _unsupported() -> SniffError:
    return SniffError("unsupported_type", UNSUPPORTED_MESSAGE)


def _damaged() -> SniffError:
    return SniffError("damaged_file", "文件已损坏或无法读取，请重新生成后上传")


def sniff(data: bytes, *, max_pixels: int = 40_000_000, max_pages: int = 500) -> Sniffed:
    """The media type of ``data``, or SniffError. Never trusts a name or a declared type."""
    if not data:
        raise SniffError("empty_file", "文件为空，请重新选择")
    if _MARKUP.search(data) or _ZIP_END in data[-_ZIP_TAIL:]:
        raise _unsupported()  # polyglot: HTML/SVG inside, or a ZIP archive hanging off the end
    if data.startswith(b"%PDF-"):
        return _check_pdf(data, max_pages)
    if b"%PDF-" in data[:1024]:
        raise _unsupported()  # PDF readers accept a header anywhere in the first KiB
    if data.startswith(_PNG_MAGIC):
        _check_png_chunks(data)
        return _check_image(data, "PNG", PNG, max_pixels)
    if data.startswith(_JPEG_MAGIC):
        return _check_image(data, "JPEG", JPEG, max_pixels)
    raise _unsupported()


def _check_pdf(data: bytes, max_pages: int) -> Sniffed:
    if not _PDF_HEADER.match(data):
        raise _unsupported()
    # A complete file ends with %%EOF (trailing line breaks/NULs aside): catches truncation and
    # anything appended after the last revision.
    if not data.rstrip(b"\r\n\t \x00").endswith(b"%%EOF"):
        raise _damaged()
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise SniffError("encrypted_pdf", "PDF 文件已加密，请上传未加密的文件")
        pages = len(reader.pages)
        if pages < 1:
            raise _damaged()
        if pages > max_pages:
            raise SniffError("too_many_pages", f"PDF 文件页数过多（不超过 {max_pages} 页）")
        for page in reader.pages:
            box = page.mediabox
            if box.width <= 0 or box.height <= 0:
                raise _damaged()
        if _has_active_content(reader.trailer):
            raise SniffError("active_content", "PDF 文件含有脚本、动作或嵌入文件，请上传普通 PDF 文件")
    except SniffError:
        raise
    except Exception as exc:  # pypdf raises many kinds of errors on hostile input
        raise _damaged() from exc
    return Sniffed(PDF, pages=pages)


def _has_active_content(root: DictionaryObject) -> bool:
    """Walk every object reachable from the trailer (streams are not decoded) for active keys."""
    seen: set[tuple[int, int]] = set()
    stack: list = [root]
    budget = _PDF_NODE_BUDGET
    while stack:
        budget -= 1
        if budget < 0:
            raise _damaged()  # too complex to inspect: refuse rather than pass unseen
        node = stack.pop()
        if isinstance(node, IndirectObject):
            key = (node.idnum, node.generation)
            if key in seen:
                continue
            seen.add(key)
            node = node.get_object()
        if isinstance(node, DictionaryObject):
            if _ACTIVE_PDF_KEYS.intersection(node.keys()) or node.get("/S") in ("/JavaScript", "/Launch"):
                return True
            stack.extend(node.values())
        elif isinstance(node, ArrayObject):
            stack.extend(node)
    return False


def _check_png_chunks(data: bytes) -> None:
    """Chunk lengths must add up to IEND at the very end: nothing may ride along after it."""
    pos = len(_PNG_MAGIC)
    while pos + 12 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        pos += 12 + length
        if kind == b"IEND":
            if pos != len(data):
                raise _unsupported()
            return
    raise _damaged()


def _check_image(data: bytes, fmt: str, media_type: str, max_pixels: int) -> Sniffed:
    try:
        # Header only: the size is known before a single pixel is decoded (decompression bombs).
        with Image.open(io.BytesIO(data), formats=[fmt]) as image:
            width, height = image.size
            if width < 1 or height < 1:
                raise _damaged()
            if width * height > max_pixels:
                raise _too_many_pixels(max_pixels)
            image.verify()  # PNG: every chunk CRC
        with Image.open(io.BytesIO(data), formats=[fmt]) as image:
            if fmt == "JPEG":
                image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))  # decode at 1/8 scale
            image.load()  # the whole stream decodes: truncation and corrupt data fail here
    except SniffError:
        raise
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels(max_pixels) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, struct.error, EOFError) as exc:
        raise _damaged() from exc
    return Sniffed(media_type, width=width, height=height)


def _too_many_pixels(max_pixels: int) -> SniffError:
    return SniffError("image_too_large", f"图片尺寸过大（不超过 {max_pixels // 10_000} 万像素），请缩小后上传")
