"""Helpers for the audit-service tests: settings per test, events, seeding, the CLI.

SQLite: a file in the test's temporary directory. PostgreSQL (when tests/run-all.sh exported the
AUDIT_* URLs): a schema of its own per test in the audit database, migrated by the owner role and
written by the insert-only writer role, dropped afterwards.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from audit.db import connect
from audit.recorder import QueryEvent, Receipt, Recorder
from audit.settings import AuditSettings, load_settings

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


def on_postgres() -> bool:
    return bool(os.environ.get("AUDIT_ADMIN_DATABASE_URL") or os.environ.get("AUDIT_DATABASE_URL"))


def run_async(fn: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion on a fresh loop in another thread (safe inside any test)."""
    result: list = []

    def target() -> None:
        try:
            result.append((True, asyncio.run(fn())))
        except BaseException as exc:
            result.append((False, exc))

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    ok, value = result[0]
    if not ok:
        raise value
    return value


def make_settings(tmp_path: Path, **extra: str) -> AuditSettings:
    env = {"AUDIT_DATA_DIR": str(tmp_path / "audit"), "AUDIT_TIMEOUT_SECONDS": "10"}
    if on_postgres():
        for name in ("AUDIT_DATABASE_URL", "AUDIT_ADMIN_DATABASE_URL", "AUDIT_READER_DATABASE_URL"):
            if os.environ.get(name):
                env[name] = os.environ[name]
        env["AUDIT_PG_SCHEMA"] = f"audit_t_{uuid.uuid4().hex[:12]}"
    env.update(extra)
    return load_settings(env)


async def admin_sql(settings: AuditSettings, *statements: str) -> list:
    """Run statements as the owner (tamper drills act as an attacker with database access)."""
    out = []
    async with connect(settings, "admin") as conn:
        for sql in statements:
            out.append(await conn.fetch(sql))
    return out


def event(i: int = 0, *, subject: str = "subj-a", outcome: str = "allowed", **changes: str) -> QueryEvent:
    values = dict(
        requester_account=str(100 + i % 5),
        requester_role="third_party",
        requester_org=f"郑州信用服务有限公司{i % 3}",
        method=("third_party", "agency", "web_self", "counter", "api")[i % 5],
        reason_code=("procurement", "loan", "licence")[i % 3],
        reason_text="政府采购资格审查",
        subject_ref=subject,
        subject_label="张*（4101**********123X）",
        scope="A,B,C",
        authority_ref=f"authorization:{i}",
        outcome=outcome,
        request_id=f"req-{i}",
    )
    values.update(changes)
    return QueryEvent(**values)


async def seed(rec: Recorder, n: int, start: int = 0, subjects: int = 3, **changes: str) -> list[Receipt]:
    return [await rec.record(event(i, subject=f"subj-{i % subjects}", **changes)) for i in range(start, start + n)]


def cli(settings: AuditSettings, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, **settings.as_env(), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "audit", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


async def lift_guard(settings: AuditSettings) -> None:
    """An attacker with the file (SQLite) or the owner role (PostgreSQL) removes the guard triggers."""
    if settings.is_postgres:
        await admin_sql(settings, "DROP TRIGGER IF EXISTS entries_guard ON entries")
    else:
        await admin_sql(
            settings, "DROP TRIGGER IF EXISTS entries_append_only", "DROP TRIGGER IF EXISTS entries_delete_guard"
        )


async def restore_guard(settings: AuditSettings) -> None:
    """... and puts them back exactly as they were defined, to cover the tracks."""
    from audit.guard import SQLITE_TRIGGERS, pg_guard_sql

    if settings.is_postgres:
        await admin_sql(settings, pg_guard_sql()[1])
    else:
        await admin_sql(settings, *SQLITE_TRIGGERS.values())
