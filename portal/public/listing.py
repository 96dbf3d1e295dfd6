"""Public lists: 红名单 / 黑名单, one list entry, 双公示 and its export. Thin handlers: parse →
publication service → page, htmx fragment or file. Every one is a GET that records nothing.

Bad filter values answer 400 with the message beside the field (aria-describedby, aria-invalid);
for htmx the fields are swapped out of band and static/src/a11y.js shows the 400 in place.
"""

from __future__ import annotations

import math
import time
from typing import Annotated

from litestar import get
from litestar.exceptions import NotFoundException, TooManyRequestsException, ValidationException
from litestar.params import Parameter
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Stream, Template

from portal.agencies import service as agencies
from portal.lib.params import InputError, date_range
from portal.lists.tables import ListStatus, ListType
from portal.public import export, freshness
from portal.publication import lists as public_lists
from portal.publication import service as publication
from portal.settings import get_settings
from portal.web.client import client_address
from portal.web.htmx import loaded_more, page_or_fragment, wants_fragment
from portal.web.params import Cursor, Shown
from portal.web.ratelimit import TokenBuckets

__all__ = ["list_page", "list_entry_page", "disclosure_list", "disclosure_export"]

Text = Annotated[str | None, Parameter(max_length=200)]


def _inline_error(request: HTMXRequest, page: str, fragment: str, context: dict) -> Template:
    response = page_or_fragment(request, page, fragment, context)
    response.status_code = 400
    if wants_fragment(request):
        response.headers["HX-Inline-Error"] = "1"  # static/src/a11y.js swaps it in place
    return response


def _size(cursor: str | None, shown: int | None) -> int:
    """Rows to read: a page after a cursor; on a first page, as many as were loaded before Back."""
    size = get_settings().page_size
    return max(size, shown or 0) if not cursor else size


@get("/lists/{list_type:str}", name="lists")
async def list_page(
    request: HTMXRequest,
    list_type: str,
    name: Text = None,
    category: Text = None,
    cursor: Cursor = None,
    shown: Shown = None,
) -> Template:
    if list_type not in ListType.LABELS:
        raise NotFoundException("没有这个名单")
    names = await freshness.list_names(list_type)
    context = {"list_type": list_type, "name": name or "", "category": category or "", "categories": names}
    context["updated_at"] = await freshness.lists_updated_at(list_type)
    try:
        if category and category not in names:
            raise InputError("category", "没有这个名单类别，请从列表中选择")
        filters = {"name": public_lists.clean_name(name), "list_name": category or ""}
        page = await publication.list_entries(list_type, cursor, limit=_size(cursor, shown), **filters)
    except InputError as exc:
        context |= {"page": None, "errors": {exc.field: exc.message}}
        return _inline_error(request, "portal/lists/page.html", "portal/lists/_filter_error.html", context)
    total = ((shown or 0) if cursor else 0) + len(page.items)
    fragment = "portal/lists/_rows.html" if cursor else "portal/lists/_results.html"
    response = page_or_fragment(request, "portal/lists/page.html", fragment, context | {"page": page, "shown": total})
    if cursor:
        loaded_more(request, response, f"/lists/{list_type}", {"name": name, "category": category}, total, "名单信息")
    return response


@get("/lists/{list_type:str}/{entry_id:int}", name="list_entry")
async def list_entry_page(list_type: str, entry_id: int) -> Template:
    entry = await public_lists.list_entry(list_type, entry_id) if list_type in ListType.LABELS else None
    if entry is None:  # removed, expired or not class A: not public (publication.rules)
        raise NotFoundException("该名单条目不存在，或已移出、已过有效期")
    context = {"entry": entry, "list_type": list_type, "status_labels": ListStatus.LABELS}
    return Template("portal/lists/entry.html", context=context)


async def _disclosure_filters(type, agency, raw_from, raw_to, name, doc) -> dict:
    """The service's filters; InputError naming the field when one is unusable (DESIGN rule 9)."""
    date_from, date_to = date_range(raw_from, raw_to)
    provider = await agencies.by_code(agency) if agency else None
    if agency and provider is None:
        raise InputError("agency", "未知的部门代码，请从列表中选择决定机关")
    name, doc = (name or "").strip(), (doc or "").strip()
    if len(name) > public_lists.MAX_NAME:
        raise InputError("name", f"名称最多 {public_lists.MAX_NAME} 个字")
    if len(doc) > publication.MAX_DOC_NUMBER:
        raise InputError("doc", f"决定书文号最多 {publication.MAX_DOC_NUMBER} 个字")
    provider_id = provider["id"] if provider else None
    return {"record_type": type or None, "provider_id": provider_id, "date_from": date_from, "date_to": date_to} | {
        "name": name,
        "doc_number": doc,
    }


DisclosureType = Annotated[str | None, Parameter(pattern="^(license|penalty)?$")]
From = Annotated[str | None, Parameter(query="from", max_length=10)]
To = Annotated[str | None, Parameter(query="to", max_length=10)]


@get("/disclosures", name="disclosures")
async def disclosure_list(
    request: HTMXRequest,
    type: DisclosureType = None,
    agency: Annotated[str | None, Parameter(max_length=32)] = None,
    raw_from: From = None,
    raw_to: To = None,
    name: Text = None,
    doc: Text = None,
    cursor: Cursor = None,
    shown: Shown = None,
) -> Template:
    context = {"type": type or "", "agency": agency or "", "agencies": await agencies.all_active()}
    context |= {"date_from": raw_from or "", "date_to": raw_to or "", "name": name or "", "doc": doc or ""}
    context |= {
        "updated_at": await freshness.disclosures_updated_at(),
        "export_max_rows": get_settings().export_max_rows,
    }
    try:
        filters = await _disclosure_filters(type, agency, raw_from, raw_to, name, doc)
        page = await publication.disclosures(**filters, cursor=cursor, limit=_size(cursor, shown))
    except InputError as exc:
        context |= {"page": None, "errors": {exc.field: exc.message}}
        fragment = "portal/disclosures/_filter_error.html"
        return _inline_error(request, "portal/disclosures/page.html", fragment, context)
    total = ((shown or 0) if cursor else 0) + len(page.items)
    context |= {"page": page, "date_from": filters["date_from"], "date_to": filters["date_to"], "shown": total}
    fragment = "portal/disclosures/_rows.html" if cursor else "portal/disclosures/_results.html"
    response = page_or_fragment(request, "portal/disclosures/page.html", fragment, context)
    if cursor:
        params = {"type": type, "agency": agency, "from": raw_from, "to": raw_to, "name": name, "doc": doc}
        loaded_more(request, response, "/disclosures", params, total, "公示信息")
    return response


_exports = TokenBuckets()
EXPORT_BURST = 3


def _export_allowed(request: HTMXRequest) -> None:
    """One client cannot keep the workers busy with exports (per process, like the API's limit)."""
    rate = get_settings().export_per_minute / 60
    if rate <= 0:
        return
    wait = _exports.take(client_address(request), rate, EXPORT_BURST, time.monotonic())
    if wait:
        seconds = max(1, math.ceil(wait))
        raise TooManyRequestsException(
            detail=f"导出过于频繁，请在 {seconds} 秒后重试", headers={"Retry-After": str(seconds)}
        )


@get("/disclosures/export/{fmt:str}", name="disclosure_export")
async def disclosure_export(
    request: HTMXRequest,
    fmt: str,
    type: DisclosureType = None,
    agency: Annotated[str | None, Parameter(max_length=32)] = None,
    raw_from: From = None,
    raw_to: To = None,
    name: Text = None,
    doc: Text = None,
) -> Stream:
    if fmt not in export.FORMATS:
        raise NotFoundException("只能导出 CSV 或 XLSX 文件")
    filters = await _disclosure_filters(type, agency, raw_from, raw_to, name, doc)
    cap = get_settings().export_max_rows
    # Counted (at most cap + 1 rows) before the rate limit: a refused export uses up no token.
    if await publication.count_disclosures(**filters, cap=cap) > cap:
        raise ValidationException(
            f"符合条件的公示信息超过 {cap:,} 条，无法一次导出：请按类型、决定机关或日期缩小范围后再导出"
        )
    _export_allowed(request)
    lines = export.rows(filters, cap)
    body = export.csv_chunks(lines) if fmt == "csv" else export.xlsx_chunks(lines)
    headers = {"Content-Disposition": export.content_disposition("双公示", fmt), "Cache-Control": "no-store"}
    return Stream(body, media_type=export.FORMATS[fmt], headers=headers)
