"""The upload sniffer decides by content (issue 3 §4): real PDF/JPEG/PNG pass; markup, archives,
executables, polyglots, truncated and damaged files, encrypted or scripted PDFs and image bombs
are refused with a code and a Chinese message. Also the display-name helpers."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest
from fpdf import FPDF
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from portal.uploads.names import clean_filename, content_disposition, download_filename
from portal.uploads.sniff import JPEG, PDF, PNG, UNSUPPORTED_MESSAGE, SniffError, sniff


def make_pdf(pages: int = 1) -> bytes:
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for n in range(pages):
        pdf.add_page()
        pdf.cell(text=f"Authorisation letter, page {n + 1}")
    return bytes(pdf.output())


def make_image(fmt: str, size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def rewrite_pdf(data: bytes, change) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(width: int, height: int, rows: int | None = None) -> bytes:
    """A real 8-bit greyscale PNG of all-zero pixels: tiny on disk, width*height bytes decoded."""
    packer = zlib.compressobj(9)
    row = b"\x00" * (width + 1)
    idat = b"".join(packer.compress(row) for _ in range(height if rows is None else rows)) + packer.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def refused(data: bytes, **kwargs) -> SniffError:
    with pytest.raises(SniffError) as caught:
        sniff(data, **kwargs)
    assert caught.value.message and not caught.value.message.isascii()  # a Chinese message for people
    return caught.value


# --- accepted -------------------------------------------------------------------------------


def test_real_pdf_is_accepted_with_its_page_count():
    found = sniff(make_pdf(pages=3))
    assert found.media_type == PDF and found.pages == 3 and found.extension == "pdf"


@pytest.mark.parametrize(("fmt", "media_type", "ext"), [("PNG", PNG, "png"), ("JPEG", JPEG, "jpg")])
def test_real_images_are_accepted_with_their_size(fmt, media_type, ext):
    found = sniff(make_image(fmt, (640, 480)))
    assert (found.media_type, found.width, found.height, found.extension) == (media_type, 640, 480, ext)


def test_pdf_with_an_owner_password_only_opens_and_is_accepted():
    data = rewrite_pdf(make_pdf(), lambda w: w.encrypt(user_password="", owner_password="owner", algorithm="AES-128"))
    assert sniff(data).media_type == PDF


def test_pdf_with_trailing_line_breaks_is_accepted():
    assert sniff(make_pdf() + b"\r\n\r\n").media_type == PDF


# --- refused: not one of the three types ----------------------------------------------------


HOSTILE = {
    "html renamed .pdf": b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
    "svg": b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>',
    "plain text": "授权书：本人同意查询。".encode(),
    "windows executable": b"MZ\x90\x00" + b"\x00" * 200,
    "elf": b"\x7fELF" + b"\x00" * 200,
    "gif": b"GIF89a" + b"\x00" * 50,
    "leading space before %PDF": b" " + make_pdf(),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_other_types_are_refused_as_unsupported(name):
    error = refused(HOSTILE[name])
    assert error.code == "unsupported_type" and error.message == UNSUPPORTED_MESSAGE


def test_zip_and_office_files_are_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    assert refused(buffer.getvalue()).code == "unsupported_type"


def test_empty_file_is_refused():
    assert refused(b"").code == "empty_file"


# --- refused: polyglots ---------------------------------------------------------------------


def test_pdf_that_is_actually_html_is_refused():
    polyglot = b"%PDF-1.4\n<html><body><script>fetch('/account')</script></body></html>\n%%EOF\n"
    assert refused(polyglot).code == "unsupported_type"


def test_real_pdf_with_html_inside_is_refused():
    data = make_pdf()
    cut = data.index(b"\n", 20)
    assert refused(data[:cut] + b"\n%<html><script>alert(1)</script>\n" + data[cut:]).code == "unsupported_type"


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_image_with_a_zip_appended_is_refused(fmt):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.html", "<p>x</p>")
    assert refused(make_image(fmt) + buffer.getvalue()).code == "unsupported_type"


def test_png_with_bytes_after_iend_is_refused():
    assert refused(make_image("PNG") + b"junk").code == "unsupported_type"


def test_jpeg_carrying_a_pdf_header_is_refused():
    data = make_image("JPEG")
    assert refused(data[:20] + b"%PDF-1.7 " + data[20:]).code in {"unsupported_type", "damaged_file"}


def test_pdf_with_a_zip_after_eof_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "x")
    assert refused(make_pdf() + buffer.getvalue()).code in {"unsupported_type", "damaged_file"}


# --- refused: damaged -----------------------------------------------------------------------


def test_truncated_pdf_is_refused():
    data = make_pdf(pages=2)
    assert refused(data[: len(data) // 2]).code == "damaged_file"


def test_pdf_header_with_garbage_is_refused():
    assert refused(b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n").code == "damaged_file"


def test_png_header_with_garbage_is_refused():
    assert refused(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10).code == "damaged_file"


def test_png_with_a_bad_crc_is_refused():
    data = bytearray(make_image("PNG"))
    data[40] ^= 0xFF  # inside IDAT
    assert refused(bytes(data)).code == "damaged_file"


def test_truncated_images_are_refused():
    for fmt in ("PNG", "JPEG"):
        data = make_image(fmt, (800, 600))
        assert refused(data[: len(data) // 2]).code in {"damaged_file", "unsupported_type"}, fmt


# --- refused: PDFs a viewer would act on ----------------------------------------------------


def test_encrypted_pdf_is_refused():
    data = rewrite_pdf(make_pdf(), lambda w: w.encrypt(user_password="secret", algorithm="AES-256"))
    assert refused(data).code == "encrypted_pdf"


def _open_action(action: str, key: str, value: str):
    def change(writer: PdfWriter) -> None:
        act = DictionaryObject({NameObject("/S"): NameObject(action), NameObject(key): TextStringObject(value)})
        writer.root_object[NameObject("/OpenAction")] = writer._add_object(act)

    return change


@pytest.mark.parametrize(
    ("action", "key", "value"), [("/JavaScript", "/JS", "app.alert('x');"), ("/Launch", "/F", "calc.exe")]
)
def test_pdf_with_script_or_launch_action_is_refused(action, key, value):
    data = rewrite_pdf(make_pdf(), _open_action(action, key, value))
    assert b"/OpenAction" in data
    assert refused(data).code == "active_content"


def test_hex_escaped_javascript_name_is_still_found():
    data = rewrite_pdf(make_pdf(), _open_action("/JavaScript", "/JS", "app.alert('x');"))
    escaped = data.replace(b"/JavaScript", b"/J#61vaScript")  # same length as /JavaScript + 2
    assert refused(escaped).code == "active_content"


def test_pdf_with_an_embedded_file_is_refused():
    data = rewrite_pdf(make_pdf(), lambda w: w.add_attachment("payload.exe", b"MZ\x90\x00"))
    assert refused(data).code == "active_content"


def test_pdf_page_limit():
    assert refused(make_pdf(pages=3), max_pages=2).code == "too_many_pages"


# --- refused: image bombs -------------------------------------------------------------------


def test_png_decompression_bomb_is_refused_before_decoding():
    bomb = png_bomb(8000, 8000)  # 64 MB of pixels in about 64 KB
    assert len(bomb) < 200_000
    error = refused(bomb)
    assert error.code == "image_too_large" and "4000 万像素" in error.message


def test_png_claiming_enormous_dimensions_is_refused():
    assert refused(png_bomb(100_000, 100_000, rows=2)).code == "image_too_large"


def test_pixel_limit_is_a_parameter():
    data = make_image("JPEG", (200, 100))
    assert sniff(data, max_pixels=20_000).media_type == JPEG
    assert refused(data, max_pixels=19_999).code == "image_too_large"


# --- robustness -----------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    prefix=st.sampled_from([b"", b"%PDF-1.7\n", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0"]),
    body=st.binary(max_size=2048),
)
def test_arbitrary_bytes_give_a_verdict_never_a_crash(prefix, body):
    try:
        found = sniff(prefix + body)
    except SniffError as error:
        assert error.code and error.message
    else:
        assert found.media_type in {PDF, PNG, JPEG}


# --- display names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("授权书.pdf", "授权书.pdf"),
        ("C:\\Users\\张三\\Desktop\\授权书.pdf", "授权书.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..hidden.pdf", "hidden.pdf"),
        ("a\x00b\x1fc\n.pdf", "abc .pdf"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),
        ('a"b;c<d>.png', "a_b_c_d_.png"),
        ("", ""),
        (None, ""),
    ],
)
def test_clean_filename(raw, expected):
    assert clean_filename(raw) == expected


def test_clean_filename_masks_id_numbers_and_limits_length():
    assert clean_filename("410105199001011234身份证.jpg") == "4101**********1234身份证.jpg"
    assert clean_filename("41010519900101123X.png") == "4101**********123X.png"
    long = clean_filename("长" * 300 + ".pdf")
    assert len(long) == 100 and long.endswith(".pdf")


def test_download_filename_uses_the_sniffed_extension():
    assert download_filename("letter.html", "书面授权书", "pdf") == "letter.pdf"
    assert download_filename("", "书面授权书", "png") == "书面授权书.png"
    assert download_filename("扫描件", "营业执照", "jpg") == "扫描件.jpg"


def test_content_disposition_is_attachment_with_rfc5987_name():
    header = content_disposition("授权书 (1).pdf")
    assert header.startswith('attachment; filename="')
    assert "filename*=UTF-8''%E6%8E%88%E6%9D%83%E4%B9%A6%20%281%29.pdf" in header
    assert header.split('filename="')[1].split('"')[0].isascii()
