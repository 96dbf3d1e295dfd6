"""gzip for responses of 512 bytes and more, as plain ASGI.

Litestar's compression middleware builds a GzipFile for every request, even for the bodies it then
sends as they are; here nothing is built until a body is known to be worth compressing. A whole
body is compressed in one call; a streamed one (exports) through one compressor object.
"""

from __future__ import annotations

import zlib

from litestar.types import ASGIApp, Message, Receive, Scope, Send

MINIMUM_SIZE = 512
# Pages are made per request: level 1 costs a third of level 6's CPU for ~15 % more bytes (a home
# page 3.1 → 3.6 KB). Static files are fetched once per version (a year's cache), so level 6.
PAGE_LEVEL = 1
STATIC_LEVEL = 6


def _accepts_gzip(scope: Scope) -> bool:
    for key, value in scope.get("headers", []):
        if key == b"accept-encoding":
            return b"gzip" in value
    return False


def _with_encoding(headers: list, length: int | None) -> list:
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


class GzipMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _accepts_gzip(scope):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        compressor = None
        level = STATIC_LEVEL if scope["path"].startswith("/static/") else PAGE_LEVEL

        async def send_gzip(message: Message) -> None:
            nonlocal start, compressor
            kind = message["type"]
            if kind == "http.response.start":
                headers = message.get("headers") or []
                if any(k.lower() == b"content-encoding" for k, _ in headers):
                    await send(message)  # already encoded: leave it alone
                else:
                    start = message
                return
            if kind != "http.response.body" or start is None:
                await send(message)
                return
            body = message.get("body", b"")
            more = message.get("more_body", False)
            if compressor is None:
                if not more:
                    if len(body) < MINIMUM_SIZE:
                        await send(start)
                        await send(message)
                    else:
                        data = zlib.compress(body, level, wbits=31)
                        await send({**start, "headers": _with_encoding(start.get("headers") or [], len(data))})
                        await send({"type": "http.response.body", "body": data, "more_body": False})
                    start = None
                    return
                compressor = zlib.compressobj(level, zlib.DEFLATED, 31)
                await send({**start, "headers": _with_encoding(start.get("headers") or [], None)})
            data = compressor.compress(body)
            if not more:
                data += compressor.flush()
            await send({"type": "http.response.body", "body": data, "more_body": more})

        await self.app(scope, receive, send_gzip)
