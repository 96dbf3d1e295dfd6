"""Where class-B and class-C information can go (issue 3 "Done when"; R-15, R-18, DESIGN rule 1).

One subject carries unique markers in classes A, B and C (and a second class-C category nobody is
granted). Every actor then fetches everything it can reach — every GET page of the app it may open,
its own query forms, the PDF — and the test compares the markers it saw with what the rules allow:

- the subject itself, once its identity is verified: A, B, C, C2 (R-15: all of its own information);
- a requester holding an effective authorisation: the classes in scope, only while it is valid;
- an agency officer: B in its duties; C only for the categories its agency is granted, with a letter;
- everyone else (anonymous, strangers, an unverified account of the subject, staff, auditors,
  administrators, other requesters): no B or C marker anywhere.
"""

from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO

import pytest
from pypdf import PdfReader

from portal.agencies.tables import AgencyGrant
from portal.authorizations.tables import Authorization, AuthorizationStatus
from portal.proofs import service as proofs
from portal.public.routes import TAB_LABELS
from tests import factories as f
from tests.integration.test_access_matrix import SKIP_PREFIXES
from tests.integration.test_queries import _agency_query, _file_request, _seen, _subject_with_markers
from tests.queryflow import csrf as _csrf
from tests.queryflow import logged_in as _as
from tests.queryflow import post_query, self_query
from tests.queryflow import verified_account as _verified_account

pytestmark = pytest.mark.anyio

NON_PUBLIC = {"B", "C", "C2"}


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(BytesIO(content)).pages)


async def _everything_visible(app, client, subject: dict, extra_paths=()) -> str:
    """Every GET route without parameters, every tab of the subject's profile, and ``extra_paths``."""
    paths = {r.path for r in app.routes if "GET" in getattr(r, "methods", ()) and "{" not in r.path}
    paths = {p for p in paths if not p.startswith(SKIP_PREFIXES)}
    paths |= {f"/subjects/{subject['uscc']}", *extra_paths}
    paths |= {f"/subjects/{subject['uscc']}/{tab}" for tab in TAB_LABELS}
    seen = []
    for path in sorted(paths):
        response = await client.get(path, params={"q": subject["name"]} if path == "/search" else None)
        assert response.status_code < 500, f"{path}: {response.status_code}"
        if response.headers.get("content-type", "").startswith("application/pdf") and response.status_code == 200:
            seen.append(_pdf_text(response.content))
        else:
            seen.append(response.text)
    return "\n".join(seen)


async def test_b_and_c_markers_reach_only_those_entitled(app):
    s = await _subject_with_markers("legal")
    markers = s["markers"]

    # The subject, verified: everything, in its query's result and the PDF; no GET page shows it.
    owner = await _verified_account("enterprise", s["id"])
    async with _as(app, owner) as client:
        assert _seen(await _everything_visible(app, client, s), markers) == {"A"}
        result = await self_query(client)
        assert _seen(result.text, markers) == {"A", "B", "C", "C2"}
        pdf = await client.post(str(result.url) + "/report", data={"_csrf_token": _csrf(client)})
        assert pdf.status_code == 200 and _seen(_pdf_text(pdf.content), markers) == {"A", "B", "C", "C2"}

    # Nobody else sees B or C on any page they can open.
    unverified_owner = await f.account("enterprise", subject_id=s["id"])
    stranger = await _verified_account("citizen", (await f.natural_subject("赵路人"))["id"])
    others = [await f.account(role) for role in ("third_party", "staff", "auditor", "admin")]
    outsiders = [unverified_owner, stranger, *others]
    outsiders.append(await f.account("agency", agency_id=(await f.agency())["id"]))  # pages only, no query
    for user in outsiders:
        async with _as(app, user) as client:
            leaked = _seen(await _everything_visible(app, client, s), markers) & NON_PUBLIC
            assert not leaked, f"{user['username']} saw {leaked}"
    async with _as(app, stranger) as client:  # a subject's self-query is its own subject, never another
        result = await self_query(client)
        assert result.status_code == 200 and _seen(result.text, markers) == set()
        pdf = await client.post(str(result.url) + "/report", data={"_csrf_token": _csrf(client)})
        assert _seen(_pdf_text(pdf.content), markers) == set()
    from litestar.testing import AsyncTestClient

    async with AsyncTestClient(app=app, base_url="http://testserver.local") as anonymous:
        assert not _seen(await _everything_visible(app, anonymous, s), markers) & NON_PUBLIC

    # A requester: nothing before the subject confirms, the scope while valid, nothing once expired.
    requester, other_requester = await f.proven("third_party"), await f.proven("enterprise")
    async with _as(app, requester) as client:
        location = await _file_request(client, s, classes=("B",))
        number = int(location.rsplit("/", 1)[1])
        query = location + "/query"
        before = await post_query(client, query)
        assert _seen(before.text, markers) == set()
        effective = {Authorization.status: AuthorizationStatus.EFFECTIVE}
        await Authorization.update(effective).where(Authorization.id == number)
        during = await post_query(client, query)
        assert _seen(during.text, markers) == {"A", "B"}
        pages = _seen(await _everything_visible(app, client, s, [location]), markers)
        assert not pages & NON_PUBLIC, "the records are shown in the query answer only, not on other pages"
        await Authorization.update({Authorization.valid_until: date.today() - timedelta(days=1)}).where(
            Authorization.id == number
        )
        after = await post_query(client, query)
        assert _seen(after.text, markers) == set()
    async with _as(app, other_requester) as client:  # someone else's authorisation is not theirs to use
        stolen = await post_query(client, query)
        assert stolen.status_code == 404 and _seen(stolen.text, markers) == set()

    # Agencies: B in their duties; C only in a granted category, with a letter; never C2.
    granted_agency = await f.agency()
    await AgencyGrant(agency=granted_agency["id"], category=s["category"], granted_at=proofs._now()).save()
    granted = await f.account("agency", agency_id=granted_agency["id"])
    plain = await f.account("agency", agency_id=(await f.agency())["id"])
    async with _as(app, granted) as client:
        assert _seen((await _agency_query(client, s, letter=False)).text, markers) == {"B"}
        no_letter = await _agency_query(client, s, c_categories=[s["category"]], letter=False)
        assert _seen(no_letter.text, markers) == set()
        assert _seen((await _agency_query(client, s, c_categories=[s["category"]])).text, markers) == {"B", "C"}
        both = await _agency_query(client, s, c_categories=[s["category"], "tax_violation"])
        assert _seen(both.text, markers) == set(), "an ungranted category refuses the whole query"
    async with _as(app, plain) as client:
        assert _seen((await _agency_query(client, s, c_categories=[s["category"]])).text, markers) == set()
