"""ETag and 304 for public HTML pages seen without logging in (run inside ``PortalMiddleware``).

Such a page already says ``Cache-Control: no-cache`` (the browser must ask again every time); an
``ETag`` lets that question be answered with 304 and no body. The tag is a hash of the body as sent
(after gzip), so it changes with any change of content, including the visitor's CSRF token. Never
for a logged-in visitor's pages (they are ``no-store``), static files (versioned URLs) or streamed
bodies (exports)."""

from __future__ import annotations

import hashlib


def etag(body: bytes) -> bytes:
    return b'"' + hashlib.blake2b(body, digest_size=16).hexdigest().encode() + b'"'


def matches(tag: bytes, if_none_match: bytes | None) -> bool:
    """``If-None-Match`` names this tag (weak or strong) or is ``*``."""
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix(b"W/") for t in if_none_match.split(b",")]
    return tag in tags or b"*" in tags
