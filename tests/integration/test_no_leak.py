"""No class-B or class-C record and no unmasked ID number reaches any public page or public API
response (R-15, R-17; DESIGN rule 1). Unique markers are planted in B/C data and searched for
in everything an anonymous visitor — or a logged-in stranger — can fetch."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal.accounts.tables import Role
from tests import factories as f

pytestmark = pytest.mark.anyio


async def _plant():
    provider = await f.agency(name=f"泄露检测局{f.unique()}")
    company = await f.legal_subject(f"郑州泄检{f.unique()}有限公司")
    person = await f.natural_subject(name="钱泄检")
    today = date.today()
    markers = []
    for subject in (company, person):
        for cls in ("B", "C"):
            for record_type, category, polarity in (
                ("penalty", "penalty", "negative"),
                ("license", "license", "neutral"),
                ("general", "other_negative", "negative"),
                ("general", "other_positive", "positive"),
                ("general", "basic_other", "neutral"),
            ):
                marker = f"MARK{cls}{f.unique()}"
                markers.append(marker)
                detail = None
                if record_type == "penalty":
                    detail = {"violation_facts": marker + "facts", "subject_name": marker + "name"}
                elif record_type == "license":
                    detail = {"license_content": marker + "lic", "subject_name": marker + "name"}
                await f.record(
                    subject["id"],
                    provider["id"],
                    disclosure_class=cls,
                    record_type=record_type,
                    category=category,
                    polarity=polarity,
                    title=f"{marker}标题",
                    content=marker,
                    decision_date=today,
                    publicity_end=today + timedelta(days=365),
                    detail=detail,
                )
        marker = f"MARKL{f.unique()}"
        markers.append(marker)
        await f.list_entry(
            subject["id"], provider["id"], "black", list_name=marker, disclosure_class="B", listed_on=today
        )
    # A public record for each so the pages have something legitimate to show.
    for subject in (company, person):
        await f.record(
            subject["id"],
            provider["id"],
            record_type="penalty",
            category="penalty",
            polarity="negative",
            title="公开的处罚PUBLICOK",
            decision_date=today,
            publicity_end=today + timedelta(days=365),
        )
    return provider, company, person, markers


def _public_urls(provider, company) -> list[str]:
    u = company["uscc"]
    urls = [
        "/",
        "/search?q=泄检",
        f"/search?q={company['name']}",
        f"/search?q={u}",
        "/search?q=钱泄检",
        f"/subjects/{u}",
        "/disclosures",
        "/disclosures?type=penalty",
        "/disclosures?type=license",
        f"/disclosures?agency={provider['code']}",
        "/lists/black",
        "/lists/red",
        "/api/v1/public/subjects?q=泄检",
        f"/api/v1/public/subjects/{u}",
        f"/api/v1/public/disclosures?since={date.today().isoformat()}",
        f"/api/v1/public/disclosures?type=penalty&since={date.today().isoformat()}",
        f"/api/v1/public/disclosures?type=license&since={date.today().isoformat()}",
    ]
    urls += [f"/subjects/{u}/{tab}" for tab in ("basic", "license", "penalty", "positive", "negative")]
    return urls


async def _fetch_all(client, urls) -> str:
    bodies = []
    for url in urls:
        for headers in ({}, {"HX-Request": "true"}):
            response = await client.get(url, headers=headers)
            assert response.status_code == 200, url
            bodies.append(response.text)
    return "\n".join(bodies)


@pytest.mark.parametrize("role", [None, Role.CITIZEN, Role.ENTERPRISE, Role.AGENCY, Role.STAFF])
async def test_no_b_or_c_marker_and_no_raw_id_on_public_surfaces(client, role):
    provider, company, person, markers = await _plant()
    if role:
        # A stranger's account: logging in must not widen what public pages show.
        user = await f.account(role, agency_id=provider["id"] if role == Role.AGENCY else None)
        await f.login(client, user["username"])
    everything = await _fetch_all(client, _public_urls(provider, company))
    assert "PUBLICOK" in everything  # the crawl does reach the planted subjects
    leaked = [m for m in markers if m in everything]
    assert leaked == []
    assert person["id_number"] not in everything
    masked = person["id_number"][:4] + "**********" + person["id_number"][-4:]
    assert masked in everything  # the natural person's public penalty shows the masked form
