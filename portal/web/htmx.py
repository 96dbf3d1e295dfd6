"""One handler, two shapes: the full page for a normal request, the fragment for htmx."""

from __future__ import annotations

from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

__all__ = ["page_or_fragment"]


def page_or_fragment(request: HTMXRequest, page: str, fragment: str, context: dict) -> Template:
    # Back/Forward with historyCacheSize=0 re-requests the URL as htmx: it needs the whole page.
    htmx = request.htmx
    wants_fragment = bool(htmx) and not htmx.boosted and not htmx.history_restore_request
    return Template(
        template_name=fragment if wants_fragment else page, context=context, headers={"Vary": "HX-Request, Cookie"}
    )
