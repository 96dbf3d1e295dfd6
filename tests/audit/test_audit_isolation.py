"""Separation (DESIGN rule 3; issue 3 item 5): audit never imports portal; its own schema and roles."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from audit.db import connect
from audit.schema import SCHEMA_VERSION, migrate
from tests.audit.helpers import ROOT, cli, event, on_postgres, run_async

AUDIT = ROOT / "audit"


def test_audit_package_never_imports_portal() -> None:
    offenders = []
    for path in sorted(AUDIT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in (
                "import_module",
                "__import__",
            ):
                names = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            offenders += [
                f"{path.relative_to(ROOT)}: {n}"
                for n in names
                if n.split(".")[0] in ("portal", "piccolo_conf", "piccolo")
            ]
    assert not offenders
    assert len(list(AUDIT.glob("*.py"))) >= 10


def test_importing_every_audit_module_loads_no_portal_code() -> None:
    modules = sorted(f"audit.{p.stem}" for p in AUDIT.glob("*.py") if p.stem != "__main__")
    code = (
        f"import sys; import {', '.join(modules)}; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('portal', 'piccolo_conf')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_migrate_is_idempotent_and_versioned(audit_settings) -> None:
    async def again() -> tuple[list[int], int]:
        async with connect(audit_settings, "admin") as conn:
            applied = await migrate(conn, audit_settings, quiet=True)
            return applied, await conn.fetchval("SELECT max(version) FROM schema_version")

    assert run_async(again) == ([], SCHEMA_VERSION)
    result = cli(audit_settings, "migrate")
    assert result.returncode == 0 and "applied: nothing" in result.stdout


def test_store_is_separate_from_the_portal_database(audit_settings) -> None:
    if audit_settings.is_postgres:
        import os

        assert audit_settings.dsn("writer") != os.environ.get("DATABASE_URL")
    else:
        assert audit_settings.sqlite_path.name == "audit.sqlite3"
    assert audit_settings.sqlite_path.parent != audit_settings.export_dir


@pytest.mark.skipif(not on_postgres(), reason="PostgreSQL run only")
def test_writer_role_may_insert_but_never_update_or_delete_entries(recorder, audit_settings) -> None:
    run_async(lambda: recorder.record(event()))

    async def attempts() -> list[str]:
        denied = []
        conn = await asyncpg.connect(
            audit_settings.dsn("writer"), server_settings={"search_path": audit_settings.pg_schema}
        )
        try:
            for sql in (
                "UPDATE entries SET reason_text = 'x'",
                "DELETE FROM entries",
                "TRUNCATE entries",
                "UPDATE checkpoints SET seq = 0",
                "INSERT INTO checkpoints VALUES (9, 1, 'x', 'x', 'x', 'x', 'x', 'x')",
                "DELETE FROM subject_counts",
                "DROP TABLE entries",
                f"SELECT * FROM {audit_settings.pg_schema}.entries_default",
            ):
                try:
                    await conn.execute(sql)
                except (asyncpg.InsufficientPrivilegeError, asyncpg.UndefinedTableError) as exc:
                    denied.append(type(exc).__name__)
        finally:
            await conn.close()
        return denied

    assert len(run_async(attempts)) == 8


def test_private_key_is_private(audit_settings) -> None:
    assert cli(audit_settings, "keygen").returncode == 0
    key = audit_settings.key_dir / "audit-ed25519.pem"
    assert key.stat().st_mode & 0o777 == 0o600
    exported = list((audit_settings.export_dir / "keys").glob("*.pem"))
    assert len(exported) == 1 and b"PRIVATE" not in exported[0].read_bytes()
    assert Path(audit_settings.export_dir).resolve() != Path(audit_settings.key_dir).resolve()
