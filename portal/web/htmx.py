"""One handler, two shapes: the full page for a normal request, the fragment for htmx."""

from __future__ import annotations

from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

__all__ = ["page_or_fragment"]


def page_or_fragment(request: HTMXRequest, page: str, fragment: str, context: dict) -> Template:
    wants_fragment = bool(request.htmx) and not request.htmx.boosted
    return Template(
        template_name=fragment if wants_fragment else page, context=context, headers={"Vary": "HX-Request, Cookie"}
    )
