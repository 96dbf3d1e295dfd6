"""The PostgreSQL pool hands a released connection on without resetting its session
(portal.db.start_pool: asyncpg's default reset is one more round trip on every release). That is
safe only while the portal leaves no session state behind. Both halves are held here: the pool
really keeps a session as it is, and the portal's own work through the pool (pages, search, a
login, an audited self query, a numbered allocation) leaves nothing in it."""

from __future__ import annotations

import os

import httpx
import pytest

from portal.db import start_pool
from tests import factories as f
from tests.queryflow import self_query

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(not os.environ.get("DATABASE_URL"), reason="needs the PostgreSQL test server"),
]

# What a session can carry over to the next borrower. (A setting SET to the value RESET would give
# back is no state: asyncpg's type introspection sets jit to off, as the engine's connections have it.)
SESSION_STATE = """
SELECT (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()) AS advisory_locks,
       (SELECT count(*) FROM pg_listening_channels()) AS channels,
       (SELECT count(*) FROM pg_cursors WHERE name <> '') AS cursors,  -- '': this statement's own
       (SELECT string_agg(name, ',') FROM pg_settings WHERE source = 'session' AND setting <> reset_val) AS settings,
       (SELECT count(*) FROM pg_class WHERE relnamespace = pg_my_temp_schema()) AS temp_relations
"""
CLEAN = {"advisory_locks": 0, "channels": 0, "cursors": 0, "settings": None, "temp_relations": 0}


@pytest.fixture
async def pool(db):
    """A one-connection pool started as the app starts its own, so every borrower gets the same
    session; the suite's own setting (no pool) is restored afterwards."""
    saved = db.pool
    db.pool = None
    await start_pool(db, min_size=1, max_size=1)
    try:
        yield db.pool
    finally:
        await db.close_connection_pool()
        db.pool = saved


async def test_a_released_connection_keeps_its_session(pool):
    async with pool.acquire() as connection:
        pid = await connection.fetchval("SELECT pg_backend_pid()")
        await connection.execute("SET application_name = 'left-behind'")
    async with pool.acquire() as connection:
        assert await connection.fetchval("SELECT pg_backend_pid()") == pid
        assert await connection.fetchval("SHOW application_name") == "left-behind"  # no RESET ALL
        await connection.execute("RESET application_name")
        assert dict(await connection.fetchrow(SESSION_STATE)) == CLEAN


async def test_a_transaction_left_open_is_still_rolled_back(pool):
    async with pool.acquire() as connection:
        await connection.execute("BEGIN")
        await connection.execute("SELECT pg_advisory_xact_lock(42)")
    async with pool.acquire() as connection:
        assert not connection.is_in_transaction()
        assert dict(await connection.fetchrow(SESSION_STATE)) == CLEAN  # the lock went with it


async def test_the_portals_work_leaves_no_session_state(pool, app):
    from portal.calendar.tables import CalendarDay
    from portal.numbering import serialize

    # The app on this test's event loop (the pool's), not on the test client's own thread.
    transport = httpx.ASGITransport(app=app)
    client = httpx.AsyncClient(transport=transport, base_url="http://testserver.local", follow_redirects=True)

    company = await f.legal_subject()
    person = await f.natural_subject()
    await f.record(company["id"], (await f.agency())["id"])
    citizen = await f.proven("citizen", subject_id=person["id"])

    for path in ("/", "/search?q=有限", f"/subjects/{company['uscc']}", "/lists/red"):
        assert (await client.get(path)).status_code == 200, path
    assert (await client.get("/search?q=有限公司", headers={"HX-Request": "true"})).status_code == 200
    assert (await f.login(client, citizen["username"])).status_code == 303
    assert (await self_query(client)).status_code == 200  # redirected to the receipt page
    async with CalendarDay._meta.db.transaction():
        await serialize(CalendarDay, "pool-sessions-test")  # pg_advisory_xact_lock

    await client.aclose()
    await client.aclose()
    async with pool.acquire() as connection:
        assert dict(await connection.fetchrow(SESSION_STATE)) == CLEAN
