"""What the public home page and subject pages show, cached while the data stays the same
(``portal.web.datacache``): these pages are the busiest and change only when data is written."""

from __future__ import annotations

from portal.lib.dates import today_cn
from portal.lists.tables import ListType
from portal.objections.views import correction_notices
from portal.products.credit_reports import service as credit_reports
from portal.publication import service as publication
from portal.search.service import former_names
from portal.stats.service import headline_counts
from portal.subjects.service import public_profile
from portal.web.datacache import VersionedCache

_home = VersionedCache(maxsize=1)
_profiles = VersionedCache(maxsize=2048)


async def _home_parts() -> dict:
    context = {
        "counts": await headline_counts(),
        "latest": await publication.latest_disclosures(8),
        "red": (await publication.list_entries(ListType.RED, limit=5)).items,
        "black": (await publication.list_entries(ListType.BLACK, limit=5)).items,
    }
    return {"context": context, "rendered": {}}


async def home_parts() -> dict:
    """``context`` for the page; ``rendered``: room for the shared copy (``portal.web.shared_page``),
    emptied with the cache."""
    return await _home.get("home", _home_parts)


async def profile(uscc: str) -> dict | None:
    """The 基本信息 of a legal person (None if unknown), as ``public_profile``."""
    return await _profiles.get(("profile", uscc), lambda: public_profile(uscc))


async def profile_page(subject_id: int) -> dict:
    """The first page of the 基本信息 tab and the 更正公告 (R-24) of a subject's page, as ``context``,
    and ``rendered`` (see ``home_parts``)."""

    async def compute() -> dict:
        context = {
            "page": await publication.subject_records(subject_id, "basic", None),
            "notices": await correction_notices(subject_id),
            "credit_reports": await credit_reports.public_existence(subject_id, today_cn()),  # R-P3
            "former_names": (await former_names([subject_id])).get(subject_id, []),  # 曾用名
        }
        return {"context": context, "rendered": {}}

    return await _profiles.get(("page", subject_id), compute)
