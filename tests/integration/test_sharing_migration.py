"""The sharing migration's frozen SQL on a database that already holds grants (R-15, SPEC §5).

The suite's own database is migrated empty, so here the statements run on the previous schema
with rows in it: a scratch SQLite file, or a scratch schema on the PostgreSQL test server. Grants
made before keep working with the placeholder basis, duplicates collapse to one, each gets a
history row, and the history refuses to be rewritten.
"""

from __future__ import annotations

import os
import sqlite3
import uuid

import asyncpg
import pytest

from portal.agencies.tables import LEGACY_GRANT_BASIS
from portal.piccolo_migrations import portal_2026_12_04t13_00_00_000000 as migration

pytestmark = pytest.mark.anyio

# The tables the migration touches, as the earlier migrations leave them.
BEFORE_SQLITE = (
    'CREATE TABLE "account" ("id" INTEGER PRIMARY KEY NOT NULL)',
    'CREATE TABLE "agency" ("id" INTEGER PRIMARY KEY NOT NULL)',
    'CREATE TABLE "agency_grant" ("id" INTEGER PRIMARY KEY NOT NULL, "agency" INTEGER REFERENCES "agency" ("id") '
    "ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, \"category\" VARCHAR(32) NOT NULL DEFAULT '', "
    '"granted_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)',
)
BEFORE_POSTGRES = (
    'CREATE TABLE "account" ("id" SERIAL PRIMARY KEY)',
    'CREATE TABLE "agency" ("id" SERIAL PRIMARY KEY)',
    'CREATE TABLE "agency_grant" ("id" SERIAL PRIMARY KEY, "agency" INTEGER REFERENCES "agency" ("id") '
    "ON DELETE CASCADE ON UPDATE CASCADE, \"category\" VARCHAR(32) NOT NULL DEFAULT '', "
    '"granted_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)',
)
ROWS = (
    'INSERT INTO "agency" ("id") VALUES (1), (2)',
    'INSERT INTO "agency_grant" ("agency", "category", "granted_at") VALUES '
    "(1, 'tax_violation', '2026-01-02T00:00:00+00:00'), (1, 'tax_violation', '2026-01-03T00:00:00+00:00'), "
    "(2, 'judicial', '2026-01-04T00:00:00+00:00')",
)
GRANTS = 'SELECT "agency", "category", "legal_basis", "granted_by" FROM "agency_grant" ORDER BY "id"'
HISTORY = (
    'SELECT "agency", "category", "action", "old_basis", "new_basis", "basis", "actor" '
    'FROM "sharing_change" ORDER BY "id"'
)
EXPECTED_GRANTS = [(1, "tax_violation", LEGACY_GRANT_BASIS, None), (2, "judicial", LEGACY_GRANT_BASIS, None)]
EXPECTED_HISTORY = [
    (1, "tax_violation", "grant", "", LEGACY_GRANT_BASIS, LEGACY_GRANT_BASIS, None),
    (2, "judicial", "grant", "", LEGACY_GRANT_BASIS, LEGACY_GRANT_BASIS, None),
]


def test_sqlite_migration_keeps_existing_grants(tmp_path):
    with sqlite3.connect(tmp_path / "before.sqlite3") as conn:
        for sql in (*BEFORE_SQLITE, *ROWS, *migration.SQLITE):
            conn.execute(sql)
        assert [tuple(r) for r in conn.execute(GRANTS)] == EXPECTED_GRANTS
        assert [tuple(r) for r in conn.execute(HISTORY)] == EXPECTED_HISTORY
        for sql in ('UPDATE "sharing_change" SET "basis" = \'x\'', 'DELETE FROM "sharing_change"'):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                conn.execute(sql)
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute('INSERT INTO "agency_grant" ("agency", "category") VALUES (2, \'judicial\')')


@pytest.mark.skipif(not os.environ.get("DATABASE_URL"), reason="needs the PostgreSQL test server")
async def test_postgres_migration_keeps_existing_grants():
    schema = f"mig_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(os.environ["DATABASE_URL"])
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"; SET search_path TO "{schema}"')
        for sql in (*BEFORE_POSTGRES, *ROWS, *migration.POSTGRES):
            await conn.execute(sql)
        assert [tuple(r) for r in await conn.fetch(GRANTS)] == EXPECTED_GRANTS
        assert [tuple(r) for r in await conn.fetch(HISTORY)] == EXPECTED_HISTORY
        for sql in (
            'UPDATE "sharing_change" SET "basis" = \'x\'',
            'DELETE FROM "sharing_change"',
            'TRUNCATE "sharing_change"',
        ):
            with pytest.raises(asyncpg.RaiseError, match="append-only"):
                await conn.execute(sql)
        with pytest.raises(asyncpg.UniqueViolationError):
            await conn.execute('INSERT INTO "agency_grant" ("agency", "category") VALUES (2, \'judicial\')')
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()
