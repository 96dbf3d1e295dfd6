"""通知公告: announcements published by the credit centre. Frozen SQL for both engines."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-07T08:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "announcement"

_FK = "ON DELETE RESTRICT ON UPDATE CASCADE"
_COLUMNS = (
    '"title" VARCHAR(100) NOT NULL, "body" TEXT NOT NULL DEFAULT \'\', '
    '"published_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, '
    f'"published_by" INTEGER NULL REFERENCES "account" ("id") {_FK}, '
    "\"publisher_name\" VARCHAR(100) NOT NULL DEFAULT '', "
    '"withdrawn_at" TIMESTAMPTZ NULL DEFAULT null, "withdrawn_reason" VARCHAR(200) NOT NULL DEFAULT \'\''
)
SQLITE = [f'CREATE TABLE "announcement" ("id" INTEGER PRIMARY KEY NOT NULL, {_COLUMNS})']
POSTGRES = [f'CREATE TABLE "announcement" ("id" SERIAL PRIMARY KEY, {_COLUMNS})']
COMMON = ['CREATE INDEX "announcement_published" ON "announcement" ("published_at", "id")']


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run():
        from piccolo_conf import DB

        for sql in (POSTGRES if DB.engine_type == "postgres" else SQLITE) + COMMON:
            await DB.run_ddl(sql)

    manager.add_raw(run)
    return manager
