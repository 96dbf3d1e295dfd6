"""Calendar history (R-23): calendar_change keeps every add, remove, confirm and reopen.

Frozen SQL for both engines (no live code imported).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-06T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "calendar: history of the staff holiday table"


def _tables(pk: str) -> list[str]:
    return [
        f'CREATE TABLE "calendar_change" ("id" {pk}, "year" INTEGER NOT NULL, "action" VARCHAR(16) NOT NULL, '
        '"detail" VARCHAR(200) NOT NULL, "reason" VARCHAR(200) NOT NULL DEFAULT \'\', '
        '"actor" VARCHAR(64) NOT NULL, "at" TIMESTAMPTZ NOT NULL)',
        'CREATE INDEX "calendar_change_year" ON "calendar_change" ("year", "id")',
    ]


SQLITE = _tables("INTEGER PRIMARY KEY NOT NULL")
POSTGRES = _tables("SERIAL PRIMARY KEY NOT NULL")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run():
        from piccolo_conf import DB

        for sql in POSTGRES if DB.engine_type == "postgres" else SQLITE:
            await DB.run_ddl(sql)

    manager.add_raw(run)
    return manager
