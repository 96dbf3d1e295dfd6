"""Fail closed through the portal (R-19): when the audit store cannot durably record a
query, the user gets the 503 page and not one non-public record leaves the server.

Two faults, both on the suite's engine: a store that cannot be reached at all (a SQLite file under a
path that cannot be a directory; PostgreSQL on a dead port), and a reachable store whose chain head
is held by another connection past the append timeout.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from audit import recorder
from audit.db import connect
from audit.settings import get_settings
from portal.authorizations.tables import Authorization, AuthorizationStatus
from tests import factories as f
from tests.integration.test_queries import _agency_query, _file_request, _seen, _subject_with_markers
from tests.queryflow import logged_in as _as
from tests.queryflow import post_query, self_query
from tests.queryflow import verified_account as _verified_account

pytestmark = pytest.mark.anyio

UNAVAILABLE = "查询记录服务暂时不可用"


async def _actors(app) -> dict:
    """A verified subject, a requester with an effective authorisation, and an agency officer."""
    s = await _subject_with_markers("legal")
    owner = await _verified_account("enterprise", s["id"])
    requester = await f.proven("third_party")  # only a proven requester files
    async with _as(app, requester) as client:
        location = await _file_request(client, s, classes=("B", "C"))
    number = int(location.rsplit("/", 1)[1])
    await Authorization.update({Authorization.status: AuthorizationStatus.EFFECTIVE}).where(Authorization.id == number)
    officer = await f.account("agency", agency_id=(await f.agency())["id"])
    return {"subject": s, "owner": owner, "requester": requester, "query": location + "/query", "officer": officer}


async def _attempts(app, actors: dict) -> list:
    """Every non-public path once, while the store is down: (what, response)."""
    s = actors["subject"]
    out = []
    async with _as(app, actors["owner"]) as client:
        out.append(("self query", await self_query(client)))
        out.append(("/me/queries", await client.get("/me/queries")))
    async with _as(app, actors["requester"]) as client:
        out.append(("third party", await post_query(client, actors["query"])))
    async with _as(app, actors["officer"]) as client:
        out.append(("agency", await _agency_query(client, s, letter=False)))
    return out


def _assert_closed(attempts: list, markers: dict) -> None:
    for what, response in attempts:
        assert response.status_code == 503, f"{what}: {response.status_code}"
        assert UNAVAILABLE in response.text, what
        assert response.headers["content-type"].startswith("text/html"), what  # never the PDF
        assert _seen(response.text, markers) == set(), f"{what} disclosed {_seen(response.text, markers)}"


@pytest.fixture
def unreachable_store(tmp_path: Path):
    settings = get_settings()
    if settings.is_postgres:
        dead = "postgresql://audit_writer@127.0.0.1:1/audit_test"
        down = settings.with_(database_url=dead, reader_database_url=dead, timeout=2.0)
    else:
        not_a_dir = tmp_path / "a-file"
        not_a_dir.write_text("the audit directory cannot be created under a file")
        down = settings.with_(data_dir=not_a_dir / "audit", timeout=2.0)
    recorder.configure(down)
    yield
    recorder.configure(None)


async def test_unreachable_audit_store_means_503_and_nothing_disclosed(app, unreachable_store):
    actors = await _actors(app)
    _assert_closed(await _attempts(app, actors), actors["subject"]["markers"])


async def test_append_blocked_past_the_timeout_means_503_and_no_entry(app):
    actors = await _actors(app)
    s = actors["subject"]
    settings = get_settings()
    recorder.configure(settings.with_(timeout=1.0))
    try:
        before = await recorder.subject_count(s["ref"])
        async with connect(settings, "admin") as blocker, blocker.transaction():
            # Another connection holds the chain head, as a stuck writer or a long lock would.
            if blocker.engine == "postgres":
                await blocker.execute("SELECT * FROM chain_head WHERE id = 1 FOR UPDATE")
            else:
                await blocker.execute("UPDATE chain_head SET last_seq = last_seq WHERE id = 1")
            async with _as(app, actors["owner"]) as client:
                attempts = [("self query", await self_query(client))]
            async with _as(app, actors["requester"]) as client:
                attempts.append(("third party", await post_query(client, actors["query"])))
        _assert_closed(attempts, s["markers"])
        # Once the store answers again, queries work, and the failed ones left no "allowed" entry.
        async with _as(app, actors["owner"]) as client:
            page = await self_query(client)
        assert page.status_code == 200 and _seen(page.text, s["markers"]) == {"A", "B", "C", "C2"}
        after = await recorder.subject_count(s["ref"])
        assert after.allowed == before.allowed + 1
    finally:
        recorder.configure(None)
