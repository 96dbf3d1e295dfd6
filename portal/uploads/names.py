"""Display names of uploads (pure). The user's file name is metadata only: it never names a file
on disk and never reaches a header unencoded."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from portal.lib.masking import mask_id_number

__all__ = ["clean_filename", "download_filename", "content_disposition"]

MAX_NAME = 100
# An 18-digit (or old 15-digit) ID number inside a file name like "410105199001011234身份证.jpg"
# (DESIGN rule 4: raw ID numbers never in URLs, logs or pages).
_ID_RUN = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9Xx])")
_UNSAFE = re.compile(r'[<>:"|?*;\\/]')


def clean_filename(raw: str | None) -> str:
    """The last path component, NFC, no control/format characters (e.g. U+202E, which flips
    "gpj.exe" into view as "exe.jpg"), ID numbers masked, at most MAX_NAME characters."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(" " if ch in "\t\r\n" else ch for ch in name if ch in "\t\r\n" or unicodedata.category(ch)[0] != "C")
    name = _UNSAFE.sub("_", " ".join(name.split())).lstrip(". ")
    name = _ID_RUN.sub(lambda m: mask_id_number(m.group(0)), name)
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        ext = ext if dot and 0 < len(ext) <= 10 else ""
        name = name[: MAX_NAME - len(ext) - (1 if ext else 0)] + (f".{ext}" if ext else "")
    return name


def download_filename(original: str, fallback_stem: str, extension: str) -> str:
    """``original`` with the extension of the sniffed type (a "letter.html" that is really a PDF
    is saved as "letter.pdf"), or ``fallback_stem.ext`` when there is no usable name."""
    stem = original.rpartition(".")[0] if "." in original else original
    stem = stem.strip() or fallback_stem
    return f"{stem}.{extension}"


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback and the UTF-8 name per RFC 6266 / RFC 5987."""
    stem, _, ext = filename.rpartition(".")
    ascii_stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._") or "upload"
    fallback = f"{ascii_stem}.{ext}" if ext.isascii() and ext.isalnum() else ascii_stem
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
