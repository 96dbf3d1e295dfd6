"""One handler, two shapes: the full page for a normal request, the fragment for htmx."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from litestar import Request
from litestar.connection.base import empty_receive, empty_send
from litestar.plugins.htmx import HTMXDetails, HTMXRequest
from litestar.response import Template
from litestar.types import Receive, Scope, Send

__all__ = ["MAX_SHOWN", "PortalRequest", "loaded_more", "page_or_fragment", "wants_fragment"]

MAX_SHOWN = 200  # rows a restored list may hold at once (Back after 加载更多)


class PortalRequest(HTMXRequest):
    """``HTMXRequest`` without its reference cycle: it stores ``HTMXDetails(self)``, which points back
    at the request, so every request (with its scope, send wrappers and response) outlived its
    reference count and waited for the cyclic garbage collector, ~40 objects a request. Here
    ``request.htmx`` is made when asked (a handler asks once or twice)."""

    __slots__ = ()

    def __init__(self, scope: Scope, receive: Receive = empty_receive, send: Send = empty_send) -> None:
        Request.__init__(self, scope=scope, receive=receive, send=send)

    @property
    def htmx(self) -> HTMXDetails:  # type: ignore[override]
        return HTMXDetails(self)


def wants_fragment(request: HTMXRequest) -> bool:
    # Back/Forward with historyCacheSize=0 re-requests the URL as htmx: it needs the whole page.
    htmx = request.htmx
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def page_or_fragment(request: HTMXRequest, page: str, fragment: str, context: dict) -> Template:
    return Template(
        template_name=fragment if wants_fragment(request) else page,
        context=context,
        headers={"Vary": "HX-Request, Cookie"},
    )


def loaded_more(request: HTMXRequest, response: Template, path: str, params: dict, shown: int, noun: str) -> None:
    """After 加载更多: the pushed URL says how far the list was loaded (``shown``, without the
    cursor), so Back or a reload renders every loaded row again; the new total is told through
    the one live region (static/src/a11y.js)."""
    if not wants_fragment(request):
        return
    query = urlencode({k: v for k, v in params.items() if v} | {"shown": min(shown, MAX_SHOWN)})
    response.headers["HX-Push-Url"] = f"{path}?{query}"
    response.headers["HX-Trigger"] = json.dumps({"announce": f"已加载更多，共显示 {shown} 条{noun}"})  # ASCII header
