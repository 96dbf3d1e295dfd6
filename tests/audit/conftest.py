"""Audit-service fixtures: a fresh audit store per test on the suite's engine (see helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from audit.db import connect
from audit.recorder import Recorder
from audit.schema import migrate
from audit.settings import AuditSettings
from tests.audit.helpers import make_settings, run_async


@pytest.fixture
def audit_settings(tmp_path: Path) -> Iterator[AuditSettings]:
    settings = make_settings(tmp_path)

    async def setup() -> None:
        async with connect(settings, "admin", create_dir=True) as conn:
            await migrate(conn, settings, quiet=True)

    run_async(setup)
    yield settings
    if settings.is_postgres:

        async def drop() -> None:
            async with connect(settings, "admin") as conn:
                await conn.execute(f"DROP SCHEMA IF EXISTS {settings.pg_schema} CASCADE")

        run_async(drop)


@pytest.fixture
def recorder(audit_settings: AuditSettings) -> Iterator[Recorder]:
    rec = Recorder(audit_settings)
    yield rec
    rec.close()
