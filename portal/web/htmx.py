"""One handler, two shapes: the full page for a normal request, the fragment for htmx."""

from __future__ import annotations

from litestar import Request
from litestar.connection.base import empty_receive, empty_send
from litestar.plugins.htmx import HTMXDetails, HTMXRequest
from litestar.response import Template
from litestar.types import Receive, Scope, Send

__all__ = ["PortalRequest", "page_or_fragment", "wants_fragment"]


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
