"""gzip for responses of 512 bytes and more (run inside ``PortalMiddleware``'s one send wrapper).

Nothing is built until a body is known to be worth compressing: a response whose
``content-length`` is under 512 bytes is sent as it is, without being held. A whole body is
compressed in one call; a streamed one (exports) through one compressor object.
"""

from __future__ import annotations

import zlib

MINIMUM_SIZE = 512
# Pages are made per request: level 1 costs a third of level 6's CPU for ~15 % more bytes (a home
# page 3.1 → 3.6 KB). Static files are fetched once per version (a year's cache), so level 6.
PAGE_LEVEL = 1
STATIC_LEVEL = 6


def compress(body: bytes, level: int) -> bytes:
    return zlib.compress(body, level, wbits=31)


def compressor(level: int):
    return zlib.compressobj(level, zlib.DEFLATED, 31)


def with_encoding(headers: list, length: int | None) -> list:
    """The response headers once the body is gzip: content-encoding, the new length (none when
    streamed), and ``Vary: Accept-Encoding`` (added to an existing Vary)."""
    out, vary = [], False
    for k, v in headers:
        low = k.lower()
        if low == b"content-length":
            continue
        if low == b"vary":
            v, vary = v + b", Accept-Encoding", True
        out.append((k, v))
    out.append((b"content-encoding", b"gzip"))
    if length is not None:
        out.append((b"content-length", str(length).encode()))
    if not vary:
        out.append((b"vary", b"Accept-Encoding"))
    return out
