"""Test set-up shared by every suite.

The engine is chosen by the environment exactly as in production: SQLite in a throwaway data
directory by default, PostgreSQL when DATABASE_URL is set (tests/run-all.sh does both). The
environment must be settled before any table module is imported (Piccolo fixes the engine then).
"""

from __future__ import annotations

import os
import tempfile

if not os.environ.get("PORTAL_DATA_DIR"):
    import atexit
    import shutil

    os.environ["PORTAL_DATA_DIR"] = tempfile.mkdtemp(prefix="portal-test-")
    atexit.register(shutil.rmtree, os.environ["PORTAL_DATA_DIR"], ignore_errors=True)
os.environ.setdefault("PORTAL_PG_POOL_SIZE", "0")
# The housekeeping scheduler is driven by its own tests (tick by tick), never in the background.
os.environ.setdefault("PORTAL_SCHEDULER", "off")
# The crawls export many times from one address; test_public_lists turns the limit on.
os.environ.setdefault("PORTAL_EXPORT_PER_MINUTE", "0")
os.environ.setdefault("PORTAL_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver,testserver.local")

import asyncpg
import pytest
from hypothesis import settings as hypothesis_settings

# Property tests check results, not speed: a per-example deadline only measures how busy the
# 2-core machine is (DeadlineExceeded while a browser and PostgreSQL run beside them).
hypothesis_settings.register_profile("portal", deadline=None)
hypothesis_settings.load_profile("portal")


def _reset_postgres(url: str) -> None:
    import asyncio

    async def reset() -> None:
        connection = await asyncpg.connect(url)
        try:
            await connection.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
        finally:
            await connection.close()

    asyncio.run(reset())


def _reset_sqlite(data_dir: str) -> None:
    for name in os.listdir(data_dir):
        if name.startswith("portal.sqlite3"):
            os.remove(os.path.join(data_dir, name))


def pytest_sessionstart(session: pytest.Session) -> None:
    """A fresh, migrated database for the run (worker processes are not used)."""
    if os.environ.get("DATABASE_URL"):
        _reset_postgres(os.environ["DATABASE_URL"])
    else:
        _reset_sqlite(os.environ["PORTAL_DATA_DIR"])
    from portal.migrate import migrate

    migrate()


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    # One event loop for the whole session: the pooled SQLite connections and the PostgreSQL
    # pool are bound to it.
    return "asyncio"


@pytest.fixture(scope="session")
async def db():
    from piccolo_conf import DB

    yield DB
    if DB.engine_type != "postgres":
        await DB.close_pool()


@pytest.fixture(scope="session")
async def app(db):
    from portal.app import create_app

    return create_app()


@pytest.fixture
async def client(app):
    from litestar.testing import AsyncTestClient

    async with AsyncTestClient(app=app, base_url="http://testserver.local") as test_client:
        yield test_client
