"""One handler, two shapes: the full page for a normal request, the fragment for htmx."""

from __future__ import annotations

from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

__all__ = ["page_or_fragment", "wants_fragment"]


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
