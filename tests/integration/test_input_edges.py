"""Every integer, cursor and date parameter at its extremes: a 400, never a 5xx (DESIGN rule 9).

The routes come from the application itself: every handler parameter typed ``int`` or ``date``
(path or query), every cursor-like query parameter (``cursor``, ``after``, ``before``) and every
date-like one (``from``, ``to``, ``since``), plus the auditor log's parameters that its handler reads
from the query string itself. Each is sent oversized (beyond PostgreSQL's and SQLite's 64-bit
integers), negative and garbage values, by a principal the route lets in (the access matrix).
"""

from __future__ import annotations

import base64
import datetime as dt
import typing
from datetime import datetime, timezone

import pytest
from litestar.testing import AsyncTestClient

from portal.proofs.tables import IdentityProof
from tests import factories as f
from tests.integration.test_access_matrix import EXPECT, SAMPLES

pytestmark = pytest.mark.anyio

HUGE = str(2**63)  # one past PostgreSQL bigint / SQLite INTEGER
HUGER = "9" * 40


def _b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


INTS = (HUGE, HUGER, "-1", "-" + HUGER, "abc", "1e3", "0x10", " 1")
DATES = ("99999-01-01", "0000-00-00", "2026-13-45", "-2026-01-01", "garbage", "9999-12-31", "0001-01-01")
CURSORS = (
    _b64(HUGER),
    _b64(HUGE),
    _b64("-5"),
    _b64(f"2026-01-01|{HUGER}"),
    _b64(f"9999-12-31|{HUGE}"),
    _b64("99999-01-01|1"),
    _b64("2026-01-01|-1"),
    _b64("|||"),
    "!!!not-base64",
    "////",
    HUGER,
    f"2026-01-01T00:00:00.000000Z~{HUGER}",
    f"9999-12-31T23:59:59.999999Z~{HUGE}",
    "x~-1",
)
CURSOR_NAMES = {"cursor", "after", "before"}
DATE_NAMES = {"from", "to", "since", "day"}
# Handlers that read these from the query string themselves (not in their signature).
RAW_QUERY = {("GET", "/audit/log"): {"after": CURSORS, "from": DATES, "to": DATES}}
# Other parameters a handler needs before it reaches the attacked one.
BASE_QUERY = {"/search": {"q": "测试"}, "/api/v1/public/subjects": {"q": "测试"}}
# The role that opens a route in this test, when several may.
PREFERRED = ("staff", "agency", "auditor", "admin", "citizen", "third_party", "enterprise", "anonymous")


def _is(annotation, kind: type) -> bool:
    if annotation is kind:
        return True
    return any(_is(arg, kind) for arg in typing.get_args(annotation))


def _edge_params(app) -> dict[tuple[str, str], dict[str, dict[str, tuple[str, ...]]]]:
    """(method, path) → {"path"/"query": {key: values}} for every parameter worth attacking."""
    out: dict = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            for method in handler.http_methods:
                if (method, route.path) not in EXPECT:
                    continue
                found: dict[str, dict] = {"path": {}, "query": {}}
                for name, field in handler.parsed_fn_signature.parameters.items():
                    if name in ("request", "data", "state", "scope", "headers", "cookies"):
                        continue
                    kwarg = field.kwarg_definition
                    source = "path" if f"{{{name}:" in route.path else "query"
                    key = getattr(kwarg, "query", None) or name
                    if _is(field.annotation, bool):
                        continue
                    if _is(field.annotation, int):
                        found[source][key] = INTS
                    elif _is(field.annotation, dt.date) or key in DATE_NAMES:
                        found[source][key] = DATES
                    elif key in CURSOR_NAMES:
                        found[source][key] = CURSORS
                found["query"].update(RAW_QUERY.get((method, route.path), {}))
                if found["path"] or found["query"]:
                    out[(method, route.path)] = found
    return out


async def test_the_route_list_is_built_from_the_app(app):
    routes = _edge_params(app)
    # A sample of what must be there: path ids, query ints, cursors and dates, staff and public.
    for expected in [
        ("GET", "/search"),
        ("GET", "/disclosures"),
        ("GET", "/api/v1/public/subjects"),
        ("GET", "/api/v1/public/disclosures"),
        ("GET", "/me/queries"),
        ("GET", "/admin/accounts"),
        ("GET", "/requests/{authorization_id:int}"),
        ("POST", "/staff/proofs/{proof_id:int}"),
        ("GET", "/audit/log/{seq:int}"),
        ("GET", "/audit/log"),
        ("POST", "/staff/calendar/days/{day:date}/delete"),
    ]:
        assert expected in routes, expected
    assert routes[("GET", "/api/v1/public/disclosures")]["query"]["since"] == DATES


async def _clients(app):
    agency = await f.agency()
    subject = await f.legal_subject()
    person = await f.natural_subject()
    await f.record(subject["id"], agency["id"])  # realistic data: the agency has records
    accounts = {
        "citizen": await f.account("citizen", subject_id=person["id"]),
        "enterprise": await f.account("enterprise", subject_id=subject["id"]),
        "agency": await f.account("agency", agency_id=agency["id"]),
    }
    for role in ("third_party", "staff", "auditor", "admin"):
        accounts[role] = await f.account(role)
    for role in ("citizen", "enterprise"):
        await IdentityProof(
            account=accounts[role]["id"],
            subject=person["id"] if role == "citizen" else subject["id"],
            method="counter",
            status="verified",
            submitted_at=datetime.now(timezone.utc),
        ).save()
    return accounts, subject


def _fill(path: str, key: str | None = None, value: str | None = None) -> str:
    for placeholder, sample in SAMPLES.items():
        name = placeholder[1:].split(":")[0]
        path = path.replace(placeholder, value if name == key else sample)
    return path


async def test_no_parameter_value_gives_a_server_error(app):
    accounts, subject = await _clients(app)
    routes = _edge_params(app)
    failures: list[str] = []
    for role in PREFERRED:
        mine = {r: p for r, p in routes.items() if role in EXPECT[r] and min(EXPECT[r], key=PREFERRED.index) == role}
        if not mine:
            continue
        async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
            if role == "anonymous":
                await client.get("/login")
            else:
                assert (await f.login(client, accounts[role]["username"])).status_code == 303
            token = client.cookies.get("csrftoken")
            for (method, path), params in sorted(mine.items()):
                cases = [(_fill(path, key, value), {}) for key, values in params["path"].items() for value in values]
                base = BASE_QUERY.get(path, {})
                cases = [(url, dict(base)) for url, _ in cases]
                for key, values in params["query"].items():
                    cases += [(_fill(path), {**base, key: value}) for value in values]
                for url, query in cases:
                    if method == "GET":
                        response = await client.get(url, params=query, follow_redirects=False)
                    else:
                        data = {"_csrf_token": token}
                        response = await client.post(url, params=query, data=data, follow_redirects=False)
                    if response.status_code >= 500:
                        failures.append(f"{role} {method} {url} {query}: {response.status_code}")
    assert not failures, "\n".join(failures)


async def test_oversized_ids_are_a_400_with_a_chinese_message_on_pages(app):
    accounts, _ = await _clients(app)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        assert (await f.login(client, accounts["auditor"]["username"])).status_code == 303
        response = await client.get(f"/audit/log/{HUGER}")
        assert response.status_code == 400
        assert "超出" in response.text
        response = await client.get("/audit/log/-3")
        assert response.status_code == 400
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        assert (await f.login(client, accounts["citizen"]["username"])).status_code == 303
        assert (await client.get("/me/queries", params={"before": HUGE})).status_code == 400
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        response = await client.get("/search", params={"q": "测试", "cursor": _b64(HUGER)})
        assert response.status_code == 400
        assert "翻页参数无效" in response.text


async def test_the_api_names_the_field_and_the_reason(client):
    response = await client.get("/api/v1/public/subjects", params={"q": "测试", "cursor": _b64(HUGER)})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "bad_request"
    assert [field["key"] for field in error["fields"]] == ["cursor"]
    assert error["fields"][0]["source"] == "query" and error["fields"][0]["message"]
    response = await client.get("/api/v1/public/disclosures", params={"cursor": _b64(f"2026-01-01|{HUGE}")})
    assert response.status_code == 400
    assert response.json()["error"]["fields"][0]["key"] == "cursor"
