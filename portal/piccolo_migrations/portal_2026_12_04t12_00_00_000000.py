"""Housekeeping scheduler (lease, run log); report expiry and who revoked a report (R-P2/R-P3, R-19).

Frozen SQL for both engines (DESIGN: migrations never import live code).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-04T12:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "scheduler lease and run log; issued_report expires_at and revoked_by"

SQLITE = (
    'CREATE TABLE IF NOT EXISTS "scheduler_lease" ("id" INTEGER PRIMARY KEY NOT NULL, '
    "\"name\" VARCHAR(64) UNIQUE NOT NULL DEFAULT '', \"holder\" VARCHAR(200) NOT NULL DEFAULT '', "
    '"expires_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)',
    'CREATE TABLE IF NOT EXISTS "housekeeping_run" ("id" INTEGER PRIMARY KEY NOT NULL, '
    '"job" VARCHAR(64) NOT NULL DEFAULT \'\', "started_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, '
    '"finished_at" TIMESTAMPTZ DEFAULT null, "ok" BOOLEAN DEFAULT null, "summary" TEXT NOT NULL DEFAULT \'\', '
    "\"holder\" VARCHAR(200) NOT NULL DEFAULT '')",
    'CREATE INDEX IF NOT EXISTS housekeeping_run_job ON "housekeeping_run" ("job", "started_at")',
    'ALTER TABLE "issued_report" ADD COLUMN "expires_at" TIMESTAMPTZ DEFAULT null',
    'ALTER TABLE "issued_report" ADD COLUMN "revoked_by" INTEGER DEFAULT null',
)

POSTGRES = (
    'CREATE TABLE IF NOT EXISTS "scheduler_lease" ("id" SERIAL PRIMARY KEY NOT NULL, '
    "\"name\" VARCHAR(64) UNIQUE NOT NULL DEFAULT '', \"holder\" VARCHAR(200) NOT NULL DEFAULT '', "
    '"expires_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)',
    'CREATE TABLE IF NOT EXISTS "housekeeping_run" ("id" SERIAL PRIMARY KEY NOT NULL, '
    '"job" VARCHAR(64) NOT NULL DEFAULT \'\', "started_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, '
    '"finished_at" TIMESTAMPTZ DEFAULT null, "ok" BOOLEAN DEFAULT null, "summary" TEXT NOT NULL DEFAULT \'\', '
    "\"holder\" VARCHAR(200) NOT NULL DEFAULT '')",
    'CREATE INDEX IF NOT EXISTS housekeeping_run_job ON "housekeeping_run" ("job", "started_at")',
    'ALTER TABLE "issued_report" ADD COLUMN IF NOT EXISTS "expires_at" TIMESTAMPTZ DEFAULT null',
    'ALTER TABLE "issued_report" ADD COLUMN IF NOT EXISTS "revoked_by" INTEGER DEFAULT null',
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run():
        from piccolo_conf import DB

        for sql in POSTGRES if DB.engine_type == "postgres" else SQLITE:
            await DB.run_ddl(sql)

    manager.add_raw(run)
    return manager
