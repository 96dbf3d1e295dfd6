"""schemathesis against the JSON APIs, on the suite's engine (DESIGN: tests; rule 9).

The portal's public API (``/schema/openapi.json``) and the standalone audit service's (``audit/app.py``)
are called in-process through their ASGI apps with generated inputs: no answer may
be a 5xx, and every answer must match the schema (status codes, content types, bodies; the errors
are documented as ``portal.api.schemas.ApiError``). Records are present so the feeds return rows.
The public API is GET-only, so CSRF (a 403 on unsafe methods) never applies to it.
"""

from __future__ import annotations

from datetime import date

import anyio
import anyio.to_thread
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from portal.lib.ngrams import search_chars
from tests import factories as f

pytestmark = pytest.mark.anyio

EXAMPLES = 30  # per operation and phase: keeps each engine's run well under a minute
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,  # the same cases every run: a failure is reproducible, not a flake
    database=None,
)


async def _seed() -> None:
    provider = await f.agency()
    for n in range(3):
        company = await f.legal_subject(name=f"模式测试科技有限公司{n}")
        await f.record(company["id"], provider["id"], title="守信记录")
        await f.record(
            company["id"], provider["id"], record_type="license", category="license", decision_date=date(2026, 1, n + 1)
        )
        await f.record(
            company["id"], provider["id"], record_type="penalty", category="penalty", decision_date=date(2026, 2, n + 1)
        )


def _portal_api():
    from portal.app import create_app

    return schemathesis.openapi.from_asgi("/schema/openapi.json", create_app())


def _audit_api():
    from audit.app import create_app

    return schemathesis.openapi.from_asgi("/schema/openapi.json", create_app(maintenance=False))


def _excluded(case) -> list:
    """Where a schema-valid request is rightly a 400 (documented), the acceptance check is off:
    a cursor is opaque and only the server's own next_cursor is valid; a name query needs at least
    one letter or digit of any script, which a JSON-schema pattern cannot say portably ("q=.")."""
    query = case.query or {}
    q = query.get("q")
    if query.get("cursor") or (isinstance(q, str) and not search_chars(q[:50])):
        return [positive_data_acceptance]
    return []


def _run(schema, **call) -> None:
    """Every operation, each with its own hypothesis run (schemathesis' pytest plugin predates pytest 9)."""
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations
    for operation in operations:

        @SETTINGS
        @given(case=operation.as_strategy())
        def check(case) -> None:
            case.call_and_validate(excluded_checks=_excluded(case), **call)

        check()


async def test_public_api_conforms_and_never_fails():
    await _seed()
    schema = _portal_api()
    assert {op.ok().path for op in schema.get_all_operations()} >= {
        "/api/v1/public/subjects",
        "/api/v1/public/disclosures",
    }
    # schemathesis drives the app through its own (synchronous) ASGI client: off the test's loop.
    await anyio.to_thread.run_sync(lambda: _run(schema, headers={"host": "testserver.local"}))


async def test_audit_service_api_conforms_and_never_fails():
    schema = _audit_api()
    await anyio.to_thread.run_sync(lambda: _run(schema))


def _agency_excluded(case) -> list:
    """A batch must hold 1–500 items (documented 400); a cursor is only the server's own."""
    items = (case.body or {}).get("items") if isinstance(case.body, dict) else None
    if (case.query or {}).get("cursor") or (isinstance(items, list) and not 1 <= len(items) <= 500):
        return [positive_data_acceptance]
    return []


async def test_agency_push_api_conforms_and_never_fails():
    """系统对接 (R-12) with a real key: generated batches of any shape give 200 with per-item
    outcomes or a documented 400, never a 5xx; without the key a documented 401."""
    from portal.ingest.keys import create_key

    agency = await f.agency()
    key, _ = await create_key(agency["code"], ["penalty", "license", "other_positive"], "schemathesis", "test")
    schema = _portal_api().include(path_regex="^/api/v1/agency/")
    assert {op.ok().path for op in schema.get_all_operations()} == {"/api/v1/agency/records"}
    headers = {"host": "testserver.local", "authorization": f"Bearer {key}"}

    def run() -> None:
        for result in schema.get_all_operations():
            operation = result.ok()

            @SETTINGS
            @given(case=operation.as_strategy())
            def check(case) -> None:
                case.call_and_validate(excluded_checks=_agency_excluded(case), headers=headers)

            check()

    await anyio.to_thread.run_sync(run)


def _checks_excluded(case) -> list:
    """Schema-valid but rightly refused (documented 400/404/409): a made-up USCC, ID number or case
    number fails its check character or pattern; a made-up check number is another's or none."""
    return [positive_data_acceptance]


async def test_check_api_conforms_and_never_fails():
    """逢办必查 (R-P5) with a real key: generated checks, outcomes and matters give documented
    answers (200, 400, 404, 409), never a 5xx; one real subject and check are present."""
    from portal.ingest.keys import create_key

    agency = await f.agency()
    key, _ = await create_key(agency["code"], ["penalty"], "schemathesis", "test")
    company = await f.legal_subject(name="模式测试核查有限公司")
    await f.list_entry(company["id"], agency["id"], "black")
    schema = _portal_api().include(path_regex="^/api/v1/(checks|matters)")
    assert {op.ok().path for op in schema.get_all_operations()} == {
        "/api/v1/checks",
        "/api/v1/checks/{number}/record.pdf",
        "/api/v1/checks/{number}/outcome",
        "/api/v1/matters",
    }
    headers = {"host": "testserver.local", "authorization": f"Bearer {key}"}

    def run() -> None:
        for result in schema.get_all_operations():
            operation = result.ok()

            @SETTINGS
            @given(case=operation.as_strategy())
            def check(case) -> None:
                case.call_and_validate(excluded_checks=_checks_excluded(case), headers=headers)

            check()

    await anyio.to_thread.run_sync(run)
