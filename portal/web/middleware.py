"""Per-request plumbing: the Host check, who is logged in, and the security headers of every response."""

from __future__ import annotations

from http.cookies import SimpleCookie

from litestar import Request
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from portal.accounts.sessions import load_principal
from portal.lib.hosts import InvalidHost, base_url_for, parse_host
from portal.settings import get_settings
from portal.web.params import IntBoundsMiddleware

__all__ = [
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
    name = get_settings().session_cookie
    marker = name.encode("latin-1") + b"="
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            if marker not in value:  # most public requests carry no session: skip the parse
                continue
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


class PortalMiddleware:
    """Every per-request step in one plain ASGI layer (each Litestar middleware layer costs a wrapper
    and a header re-parse per request): the Host check, who is logged in
    (``scope["state"]["principal"]``), the integer bounds of the handler's parameters, and the
    security headers every response carries. Work is skipped where a request does not need it:
    no session look-up without a session cookie or for /static/."""

    def __init__(self, app: ASGIApp, hosts: AllowedHostsMiddleware, bounds: IntBoundsMiddleware) -> None:
        self.app = app
        self.hosts = hosts
        self.bounds = bounds
        settings = get_settings()
        self.headers = _security_headers(settings.production)
        self.names = frozenset(k for k, _ in self.headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        host = next((v for k, v in scope.get("headers", []) if k == b"host"), None)
        if not self.hosts.allows(host.decode("latin-1") if host is not None else None):
            await _refuse_host(send)
            return
        is_static = scope["path"].startswith("/static/")
        token = None if is_static else session_token(scope)
        principal = await load_principal(token) if token else None
        state = scope.setdefault("state", {})
        state["principal"] = principal
        extra, names = self.headers, self.names

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Ours replace a handler's own (e.g. a download's nosniff): one value per header.
                headers = [(k, v) for k, v in message.get("headers") or [] if k.lower() not in names]
                headers += extra
                if not is_static:
                    # Personal pages must never sit in a shared or back-button cache.
                    if state.get("principal") is not None:
                        headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
                        headers.append((b"cache-control", b"no-store"))
                    elif not any(k.lower() == b"cache-control" for k, _ in headers):
                        headers.append((b"cache-control", b"no-cache"))
                    headers.append((b"vary", b"Cookie"))
                message = {**message, "headers": headers}
            await send(message)

        self.bounds.check(scope)
        await self.app(scope, receive, send_with_headers)


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
