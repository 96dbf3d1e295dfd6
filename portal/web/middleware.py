"""Per-request plumbing: the Host check, who is logged in, and the security headers of every response."""

from __future__ import annotations

from http.cookies import SimpleCookie

from litestar import Request
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from portal.accounts.sessions import load_principal
from portal.lib.hosts import InvalidHost, base_url_for, parse_host
from portal.settings import get_settings
from portal.web import compression, etag

__all__ = [
    "HeadAsGet",
    "PortalMiddleware",
    "AllowedHostsMiddleware",
    "CSP",
    "host_name",
    "public_base_url",
]

# No inline script or style anywhere (htmx is configured for this in base.html).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def session_token(scope: Scope) -> str | None:
    marker = get_settings().session_cookie.encode("latin-1") + b"="
    return _token_in([v for k, v in scope.get("headers", []) if k == b"cookie" and marker in v])


def _token_in(cookie_headers: list[bytes]) -> str | None:
    """The session token in the Cookie headers that mention the session cookie (most public
    requests carry none, and then nothing is parsed)."""
    name = get_settings().session_cookie
    for value in cookie_headers:
        cookie = SimpleCookie()
        try:
            cookie.load(value.decode("latin-1"))
        except Exception:  # a malformed cookie header is treated as none
            return None
        if name in cookie:
            return cookie[name].value
    return None


def _security_headers(production: bool) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"content-security-policy", CSP.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"x-frame-options", b"DENY"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    ]
    if production:
        headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
    return headers


class HeadAsGet:
    """HEAD answered as the GET of the same URL without its body (RFC 9110 9.3.2), for monitors and
    link checkers. Wraps the app's ASGI handler, ahead of routing: Litestar routes a HEAD to no GET
    handler (405) and refuses HEAD on a handler that returns a body.

    Only without a session: the GETs that record a view (an auditor's browsing, staff opening a
    document) are behind login, and a HEAD must not leave a record of a view that never happened."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.marker = get_settings().session_cookie.encode("latin-1") + b"="

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "HEAD" and not self._signed_in(scope):
            await self.app(dict(scope, method="GET"), receive, _without_body(send))
            return
        await self.app(scope, receive, send)

    def _signed_in(self, scope: Scope) -> bool:
        return any(k == b"cookie" and self.marker in v for k, v in scope.get("headers", ()))


def _without_body(send: Send) -> Send:
    """Sends the GET's status and headers (its Content-Length too) and no body bytes. The server's
    own scope still says HEAD, so it expects none."""

    async def head_send(message: Message) -> None:
        if message["type"] == "http.response.body" and message.get("body"):
            message = {**message, "body": b""}
        await send(message)

    return head_send


class PortalMiddleware:
    """Every per-request step in one plain ASGI layer with one send wrapper (each middleware layer
    costs a call, a closure and a header scan per request, and /healthz measures them): the Host
    check, who is logged in (``scope["state"]["principal"]``), gzip (``portal.web.compression``),
    ETag/304 (``portal.web.etag``) and the security headers every response carries. The request
    headers are read in one pass; work is skipped where a request does not need it: no session
    look-up without a session cookie or for /static/, and a response that needs neither gzip nor a
    tag is passed on without being held."""

    def __init__(self, app: ASGIApp, hosts: AllowedHostsMiddleware) -> None:
        self.app = app
        self.hosts = hosts
        settings = get_settings()
        self.headers = _security_headers(settings.production)
        self.names = frozenset(k for k, _ in self.headers)
        self.marker = settings.session_cookie.encode("latin-1") + b"="
        vary = (b"vary", b"Cookie")
        self.private = [*self.headers, (b"cache-control", b"no-store"), vary]
        self.public = [*self.headers, (b"cache-control", b"no-cache"), vary]
        self.cached = [*self.headers, vary]  # the handler chose its Cache-Control

    def _final(self, headers: list, principal: object, is_static: bool) -> list:
        """The handler's headers with ours: ours replace a handler's own (e.g. a download's nosniff),
        one value per header."""
        names, cached = self.names, False
        out = []
        for k, v in headers:
            low = k.lower()
            if low in names:
                continue
            if low == b"cache-control" and not is_static:
                if principal is not None:
                    continue  # replaced by no-store
                cached = True
            out.append((k, v))
        if is_static:
            return out + self.headers
        # Personal pages must never sit in a shared or back-button cache.
        return out + (self.private if principal is not None else self.cached if cached else self.public)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = accept = if_none_match = None
        cookies: list[bytes] = []
        marker = self.marker
        for key, value in scope.get("headers", ()):  # one pass; the first of each header counts
            if key == b"host":
                if host is None:
                    host = value
            elif key == b"cookie":
                if marker in value:
                    cookies.append(value)
            elif key == b"accept-encoding":
                if accept is None:
                    accept = value
            elif key == b"if-none-match" and if_none_match is None:
                if_none_match = value
        if not self.hosts.allows(host.decode("latin-1") if host is not None else None):
            await _refuse_host(send)
            return
        is_static = scope["path"].startswith("/static/")
        token = None if is_static or not cookies else _token_in(cookies)
        principal = await load_principal(token) if token else None
        state = scope.setdefault("state", {})
        state["principal"] = principal
        gzip = accept is not None and b"gzip" in accept
        level = compression.STATIC_LEVEL if is_static else compression.PAGE_LEVEL
        # ETag only for anonymous GETs of pages (portal.web.etag).
        taggable = principal is None and not is_static and scope["method"] == "GET"
        final = self._final
        held: Message | None = None  # a start message kept until its body shows what to do
        zipping = tagging = False
        streamer = None

        async def send_wrapper(message: Message) -> None:
            nonlocal held, zipping, tagging, streamer
            kind = message["type"]
            if kind == "http.response.start":
                headers = message.get("headers") or []
                zipping, tagging = gzip, False
                if gzip or taggable:
                    for k, v in headers:
                        low = k.lower()
                        if low == b"content-encoding":
                            zipping = False  # already encoded: leave it alone
                        elif low == b"content-length":
                            if v.isdigit() and int(v) < compression.MINIMUM_SIZE:
                                zipping = False
                        elif low == b"content-type" and taggable and message["status"] == 200:
                            tagging = v.startswith(b"text/html")
                if zipping or tagging:
                    held = message
                    return
                message["headers"] = final(headers, state.get("principal"), is_static)
                await send(message)
                return
            if kind != "http.response.body" or (held is None and streamer is None):
                await send(message)
                return
            body = message.get("body", b"")
            more = message.get("more_body", False)
            if streamer is not None:  # the rest of a streamed gzip body
                data = streamer.compress(body)
                if not more:
                    data += streamer.flush()
                await send({"type": "http.response.body", "body": data, "more_body": more})
                return
            start, held = held, None
            headers = start.get("headers") or []
            principal = state.get("principal")
            if more:  # streamed (exports): gzip through one compressor, no tag
                if zipping:
                    streamer = compression.compressor(level)
                    headers = compression.with_encoding(headers, None)
                    body = streamer.compress(body)
                await send({**start, "headers": final(headers, principal, is_static)})
                await send({"type": "http.response.body", "body": body, "more_body": True})
                return
            if zipping and len(body) >= compression.MINIMUM_SIZE:
                body = compression.compress(body, level)
                headers = compression.with_encoding(headers, len(body))
                message = {"type": "http.response.body", "body": body, "more_body": False}
            if tagging:
                tag = etag.etag(body)
                headers = [*headers, (b"etag", tag)]
                if etag.matches(tag, if_none_match):
                    headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
                    await send({**start, "status": 304, "headers": final(headers, principal, is_static)})
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                    return
            await send({**start, "headers": final(headers, principal, is_static)})
            await send(message)

        await self.app(scope, receive, send_wrapper)


async def _refuse_host(send: Send) -> None:
    body = '{"error": {"code": "invalid_host", "message": "请求的主机名不被接受"}}'.encode()
    await send(
        {
            "type": "http.response.start",
            "status": 400,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def host_name(host_header: str) -> str:
    """The host part of a Host header: ``example.gov.cn:8443`` → ``example.gov.cn``, ``[::1]:80`` → ``::1``;
    empty for a malformed header (``localhost:1@evil.example``)."""
    try:
        return parse_host(host_header.strip()).name
    except InvalidHost:
        return ""


def public_base_url(request: Request) -> str:
    """The base of every absolute link: PORTAL_BASE_URL, else rebuilt from the checked Host header."""
    return base_url_for(get_settings().base_url, request.url.scheme, request.headers.get("host"))


class AllowedHostsMiddleware:
    """Refuse requests whose Host is not ours (Host-header poisoning of links and redirects).

    Litestar's own check compares the header with its port, so ``127.0.0.1:8000`` would need an
    entry per port; names are what we mean to allow. ``*.example.gov.cn`` allows sub-domains.
    The check runs in ``PortalMiddleware``; its answers are remembered per Host header (a few).
    """

    def __init__(self, allowed: tuple[str, ...]) -> None:
        self.exact = {h.lower() for h in allowed if not h.startswith("*.")}
        self.suffixes = tuple(h.lower()[1:] for h in allowed if h.startswith("*."))
        self.any = "*" in allowed
        self._known: dict[str, bool] = {}

    def allows(self, host_header: str | None) -> bool:
        if host_header is None:
            return False
        known = self._known.get(host_header)
        if known is None:
            name = host_name(host_header)  # a malformed Host is refused even with "*"
            known = bool(name) and (self.any or name in self.exact or name.endswith(self.suffixes))
            if len(self._known) < 256:  # bounded: a client choosing Host headers cannot grow it
                self._known[host_header] = known
        return known
