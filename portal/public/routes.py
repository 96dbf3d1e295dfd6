"""Public pages. Thin handlers: parse → publication/search service → page or htmx fragment."""

from __future__ import annotations

from typing import Annotated

from litestar import Router, get
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import Parameter
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

from portal.agencies import service as agencies
from portal.lib.params import date_range
from portal.lists.tables import ListType
from portal.publication import service as publication
from portal.search.service import former_names, search_subjects
from portal.settings import get_settings
from portal.stats.service import LABELS as STAT_LABELS
from portal.stats.service import headline_counts
from portal.subjects.service import public_profile
from portal.web.htmx import page_or_fragment, wants_fragment
from portal.web.params import Cursor

TAB_LABELS = {
    "basic": "基本信息",
    "license": "行政许可",
    "penalty": "行政处罚",
    "positive": "守信激励",
    "negative": "失信惩戒",
}


@get("/", name="home")
async def home() -> Template:
    return Template(
        "portal/home/page.html",
        context={
            "counts": await headline_counts(),
            "count_labels": STAT_LABELS,
            "latest": await publication.latest_disclosures(8),
            "red": (await publication.list_entries(ListType.RED, limit=5)).items,
            "black": (await publication.list_entries(ListType.BLACK, limit=5)).items,
        },
    )


@get("/search", name="search")
async def search(
    request: HTMXRequest, q: Annotated[str | None, Parameter(max_length=200)] = None, cursor: Cursor = None
) -> Template:
    result = await search_subjects(q, cursor, limit=get_settings().page_size)
    fragment = "portal/search/_rows.html" if cursor else "portal/search/_results.html"
    return page_or_fragment(request, "portal/search/page.html", fragment, {"result": result})


async def _profile_or_404(uscc: str) -> dict:
    profile = await public_profile(uscc)
    if profile is None:
        raise NotFoundException("未找到该统一社会信用代码对应的公示主体")
    return profile


async def _tab_context(profile: dict, tab: str, cursor: str | None) -> dict:
    if tab not in TAB_LABELS:
        raise NotFoundException("没有这个栏目")
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
    context = await _tab_context(profile, "basic", None)
    context["notices"] = await publication.correction_notices(profile["id"])
    return Template("portal/subjects/page.html", context=context)


@get("/subjects/{uscc:str}/{tab:str}", name="subject_tab")
async def subject_tab(request: HTMXRequest, uscc: str, tab: str, cursor: Cursor = None) -> Template:
    context = await _tab_context(await _profile_or_404(uscc), tab, cursor)
    if not wants_fragment(request):  # the whole page shows the 更正公告; a tab swap does not
        context["notices"] = await publication.correction_notices(context["profile"]["id"])
    fragment = "portal/subjects/_rows.html" if cursor else "portal/subjects/_tab.html"
    return page_or_fragment(request, "portal/subjects/page.html", fragment, context)


@get("/disclosures", name="disclosures")
async def disclosure_list(
    request: HTMXRequest,
    type: Annotated[str | None, Parameter(pattern="^(license|penalty)?$")] = None,
    agency: Annotated[str | None, Parameter(max_length=32)] = None,
    raw_from: Annotated[str | None, Parameter(query="from", max_length=10)] = None,
    raw_to: Annotated[str | None, Parameter(query="to", max_length=10)] = None,
    cursor: Cursor = None,
) -> Template:
    date_from, date_to = date_range(raw_from, raw_to)
    provider = await agencies.by_code(agency) if agency else None
    if agency and provider is None:
        raise ValidationException("未知的部门代码")
    page = await publication.disclosures(
        type or None, provider["id"] if provider else None, date_from, date_to, cursor, limit=get_settings().page_size
    )
    context = {
        "page": page,
        "type": type or "",
        "agency": agency or "",
        "agencies": await agencies.all_active(),
        "date_from": date_from,
        "date_to": date_to,
    }
    fragment = "portal/disclosures/_rows.html" if cursor else "portal/disclosures/_results.html"
    return page_or_fragment(request, "portal/disclosures/page.html", fragment, context)


@get("/lists/{list_type:str}", name="lists")
async def list_page(request: HTMXRequest, list_type: str, cursor: Cursor = None) -> Template:
    if list_type not in ListType.LABELS:
        raise NotFoundException("没有这个名单")
    page = await publication.list_entries(list_type, cursor, limit=get_settings().page_size)
    context = {"page": page, "list_type": list_type}
    return page_or_fragment(
        request,
        "portal/lists/page.html",
        "portal/lists/_rows.html" if cursor else "portal/lists/_results.html",
        context,
    )


@get("/healthz", name="healthz", include_in_schema=False)
async def healthz() -> dict:
    return {"status": "ok"}


public_router = Router(
    path="/",
    route_handlers=[home, search, subject, subject_tab, disclosure_list, list_page, healthz],
    include_in_schema=False,
)
