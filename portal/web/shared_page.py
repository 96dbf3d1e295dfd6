"""A public page that every anonymous visitor sees the same, but for their CSRF token: rendered once
while its data is current, then served with the visitor's token put in (the render was most of the
home page's cost). Logged-in visitors and htmx requests get the normal per-request render."""

from __future__ import annotations

import html
import secrets
from typing import Any

from litestar import Request, Response
from litestar.enums import MediaType
from litestar.response import Template
from litestar.response.base import ASGIResponse
from litestar.utils.empty import value_or_default
from litestar.utils.scope.state import ScopeState

# Stands in for the token while the shared copy is rendered; hex, so escaping leaves it alone.
_PLACEHOLDER = "csrf" + secrets.token_hex(24)


class SharedPage(Template):
    def __init__(self, template_name: str, context: dict[str, Any], rendered: dict[str, bytes]) -> None:
        """``rendered`` holds the shared copy; it must be dropped with the data the page shows
        (``portal.web.datacache`` entries are)."""
        super().__init__(template_name=template_name, context=context)
        self.rendered = rendered

    def to_asgi_response(self, app, request: Request, **kwargs: Any) -> ASGIResponse:
        if request.scope.get("state", {}).get("principal") is not None or request.headers.get("hx-request"):
            return super().to_asgi_response(app, request, **kwargs)
        state = ScopeState.from_scope(request.scope)
        token = value_or_default(state.csrf_token, "")
        # 长辈版 visitors (a cookie, portal.web.templating.elder_mode) get their own shared copy.
        key = (self.template_name or "") + ("|elder" if request.cookies.get("elder") == "1" else "")
        body = self.rendered.get(key)
        if body is None:
            state.csrf_token = _PLACEHOLDER
            try:
                context = self.create_template_context(request)
                body = request.app.template_engine.get_template(self.template_name).render(**context).encode()
            finally:
                state.csrf_token = token
            self.rendered[key] = body
        body = body.replace(_PLACEHOLDER.encode(), html.escape(token).encode())
        page = Response(
            content=body,
            media_type=MediaType.HTML,
            headers=self.headers,
            cookies=self.cookies,
            status_code=self.status_code,
        )
        return page.to_asgi_response(None, request, **kwargs)
