"""Public pages. Thin handlers: parse → publication/search service → page or htmx fragment."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from litestar import Router, get
from litestar.exceptions import NotFoundException
from litestar.params import Parameter
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

from portal.lib.dates import today_cn
from portal.products.commitments import service as commitments
from portal.products.credit_reports import service as credit_reports
from portal.public import service as public
from portal.public.listing import disclosure_export, disclosure_list, list_entry_page, list_page
from portal.publication import service as publication
from portal.search.service import former_names, search_subjects
from portal.settings import get_settings
from portal.stats.service import LABELS as STAT_LABELS
from portal.web.htmx import loaded_more, page_or_fragment, wants_fragment
from portal.web.params import Cursor, Shown
from portal.web.shared_page import SharedPage

TAB_LABELS = {
    "basic": "基本信息",
    "license": "行政许可",
    "penalty": "行政处罚",
    "positive": "守信激励",
    "negative": "失信惩戒",
    "commitment": "信用承诺",
}


@get("/", name="home")
async def home() -> Template:
    parts = await public.home_parts()
    context = parts["context"] | {"count_labels": STAT_LABELS}
    return SharedPage("portal/home/page.html", context=context, rendered=parts["rendered"])


@get("/search", name="search")
async def search(
    request: HTMXRequest,
    q: Annotated[str | None, Parameter(max_length=200)] = None,
    cursor: Cursor = None,
    shown: Shown = None,
) -> Template:
    # With a cursor, `shown` counts the rows already on the page; without, how many to show again.
    size = get_settings().page_size
    result = await search_subjects(q, cursor, limit=max(size, shown or 0) if not cursor else size)
    if result.error:  # beside the search field, linked to it; a 400 like every unusable input
        return _search_error(request, result)
    total = ((shown or 0) if cursor else 0) + len(result.items)
    fragment = "portal/search/_rows.html" if cursor else "portal/search/_results.html"
    response = page_or_fragment(request, "portal/search/page.html", fragment, {"result": result, "shown": total})
    if cursor:
        loaded_more(request, response, "/search", {"q": result.query}, total, "结果")
    return response


def _search_error(request: HTMXRequest, result) -> Template:
    current = (request.htmx.current_url_abs_path or "") if request.htmx else ""
    context = {"result": result, "shown": 0, "big": urlsplit(current).path == "/"}  # the home page's big box
    response = page_or_fragment(request, "portal/search/page.html", "portal/search/_error.html", context)
    response.status_code = 400
    if wants_fragment(request):
        response.headers["HX-Inline-Error"] = "1"  # static/src/a11y.js swaps it in place
    return response


async def _profile_or_404(uscc: str) -> dict:
    profile = await public.profile(uscc)
    if profile is None:
        raise NotFoundException("未找到该统一社会信用代码对应的公示主体")
    return profile


async def _tab_context(profile: dict, tab: str, cursor: str | None) -> dict:
    if tab not in TAB_LABELS:
        raise NotFoundException("没有这个栏目")
    if tab == "commitment":  # R-P1: a signed commitment is class A (KS 第九条)
        rows = await commitments.public_for_subject(profile["id"])
        return {"profile": profile, "tab": tab, "tabs": TAB_LABELS, "page": publication.Page([]), "commitments": rows}
    page = await publication.subject_records(profile["id"], tab, cursor)
    lists = []
    if tab in ("positive", "negative") and not cursor:
        lists = await publication.subject_list_entries(profile["id"], "red" if tab == "positive" else "black")
    formers = (await former_names([profile["id"]])).get(profile["id"], []) if tab == "basic" else []
    context = {"profile": profile, "tab": tab, "tabs": TAB_LABELS, "page": page, "list_entries": lists}
    return context | {"former_names": formers}


@get("/subjects/{uscc:str}", name="subject")
async def subject(uscc: str) -> Template:
    profile = await _profile_or_404(uscc)
    parts = await public.profile_page(profile["id"])  # with the 更正公告
    context = {"profile": profile, "tab": "basic", "tabs": TAB_LABELS, "list_entries": []} | parts["context"]
    return SharedPage("portal/subjects/page.html", context=context, rendered=parts["rendered"])


@get("/subjects/{uscc:str}/{tab:str}", name="subject_tab")
async def subject_tab(request: HTMXRequest, uscc: str, tab: str, cursor: Cursor = None) -> Template:
    context = await _tab_context(await _profile_or_404(uscc), tab, cursor)
    if not wants_fragment(request):  # the whole page shows the 更正公告; a tab swap does not
        context["notices"] = await publication.correction_notices(context["profile"]["id"])
        context["credit_reports"] = await credit_reports.public_existence(context["profile"]["id"], today_cn())
    fragment = "portal/subjects/_rows.html" if cursor else "portal/subjects/_tab.html"
    return page_or_fragment(request, "portal/subjects/page.html", fragment, context)


# A probe's GET changes nothing and shows no form: no CSRF cookie to read or set.
@get("/healthz", name="healthz", include_in_schema=False, opt={"exclude_from_csrf": True})
async def healthz() -> dict:
    return {"status": "ok"}


public_router = Router(
    path="/",
    route_handlers=[
        home,
        search,
        subject,
        subject_tab,
        disclosure_list,
        disclosure_export,
        list_page,
        list_entry_page,
        healthz,
    ],
    include_in_schema=False,
)
