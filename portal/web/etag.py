"""ETag and 304 for public HTML pages seen without logging in.

Such a page already says ``Cache-Control: no-cache`` (the browser must ask again every time); an
``ETag`` lets that question be answered with 304 and no body. The tag is a hash of the body as sent
(after gzip), so it changes with any change of content, including the visitor's CSRF token. Never
for a logged-in visitor's pages (they are ``no-store``), static files (versioned URLs) or streamed
bodies (exports)."""

from __future__ import annotations

import hashlib

from litestar.types import ASGIApp, Message, Receive, Scope, Send


def _if_none_match(scope: Scope) -> list[bytes]:
    for key, value in scope.get("headers", []):
        if key == b"if-none-match":
            return [t.strip().removeprefix(b"W/") for t in value.split(b",")]
    return []


class ETagMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or scope["path"].startswith("/static/")
            or scope.get("state", {}).get("principal") is not None
        ):
            await self.app(scope, receive, send)
            return
        start: Message | None = None

        async def send_tagged(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = message.get("headers") or []
                html = any(k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in headers)
                if message["status"] == 200 and html:
                    start = message  # held until the body shows whether it comes whole
                    return
                await send(message)
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            held, start = start, None
            if message.get("more_body", False):
                await send(held)
                await send(message)
                return
            body = message.get("body", b"")
            tag = b'"' + hashlib.blake2b(body, digest_size=16).hexdigest().encode() + b'"'
            headers = [*(held.get("headers") or []), (b"etag", tag)]
            if tag in _if_none_match(scope) or b"*" in _if_none_match(scope):
                headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
                await send({**held, "status": 304, "headers": headers})
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            await send({**held, "headers": headers})
            await send(message)

        await self.app(scope, receive, send_tagged)
