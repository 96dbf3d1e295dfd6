"""Per-request plumbing: who is logged in, and the security headers every response carries."""

from __future__ import annotations

from http.cookies import SimpleCookie

from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from portal.accounts.sessions import load_principal
from portal.lib.hosts import InvalidHost, base_url_for, parse_host
from portal.settings import get_settings

__all__ = [
    "SessionMiddleware",
    "SecurityHeadersMiddleware",
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
    name = get_settings().session_cookie
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            cookie = SimpleCookie()
            try:
                cookie.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header is treated as none
                return None
            if name in cookie:
                return cookie[name].value
    return None


class SessionMiddleware(ASGIMiddleware):
    """Loads the Principal (or None) into ``scope["state"]["principal"]``."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        token = None if scope["path"].startswith("/static/") else session_token(scope)
        scope.setdefault("state", {})["principal"] = await load_principal(token) if token else None
        await next_app(scope, receive, send)


class SecurityHeadersMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        settings = get_settings()
        is_static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                headers["Content-Security-Policy"] = CSP
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "same-origin"
                headers["X-Frame-Options"] = "DENY"
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
                if settings.production:
                    headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
                if not is_static:
                    # Personal pages must never sit in a shared or back-button cache.
                    logged_in = scope.get("state", {}).get("principal") is not None
                    if logged_in or "Cache-Control" not in headers:
                        headers["Cache-Control"] = "no-store" if logged_in else "no-cache"
                    headers.add("Vary", "Cookie")
            await send(message)

        await next_app(scope, receive, send_with_headers)


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


class AllowedHostsMiddleware(ASGIMiddleware):
    """Refuse requests whose Host is not ours (Host-header poisoning of links and redirects).

    Litestar's own check compares the header with its port, so ``127.0.0.1:8000`` would need an
    entry per port; names are what we mean to allow. ``*.example.gov.cn`` allows sub-domains.
    """

    scopes = (ScopeType.HTTP,)

    def __init__(self, allowed: tuple[str, ...]) -> None:
        self.exact = {h.lower() for h in allowed if not h.startswith("*.")}
        self.suffixes = tuple(h.lower()[1:] for h in allowed if h.startswith("*."))
        self.any = "*" in allowed

    def allows(self, host_header: str | None) -> bool:
        name = host_name(host_header or "")  # a malformed Host is refused even with "*"
        return bool(name) and (self.any or name in self.exact or name.endswith(self.suffixes))

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        host = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"host"), None)
        if self.allows(host):
            await next_app(scope, receive, send)
            return
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
