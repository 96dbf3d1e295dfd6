"""Timeliness (R-12, R-13): the periodic reports staff expect of each agency and the written
reminders (催报) issued to late agencies.

Frozen SQL for both engines (no live code imported).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-06T14:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "timeliness: reporting_obligation, urge_notice"

FK = 'REFERENCES "agency" ("id") ON DELETE RESTRICT ON UPDATE CASCADE'


def _statements(pk: str) -> list[str]:
    return [
        f'CREATE TABLE "reporting_obligation" ("id" {pk}, "agency" INTEGER NOT NULL {FK}, '
        '"category" VARCHAR(32) NOT NULL, "period" VARCHAR(8) NOT NULL, "starts_on" DATE NOT NULL, '
        '"created_by" VARCHAR(64) NOT NULL, "created_at" TIMESTAMPTZ NOT NULL, "ended_at" TIMESTAMPTZ DEFAULT null)',
        'CREATE INDEX "reporting_obligation_agency" ON "reporting_obligation" ("agency")',
        f'CREATE TABLE "urge_notice" ("id" {pk}, "agency" INTEGER NOT NULL {FK}, '
        '"number" VARCHAR(40) NOT NULL UNIQUE, "issued_on" DATE NOT NULL, "issued_at" TIMESTAMPTZ NOT NULL, '
        '"issued_by" VARCHAR(64) NOT NULL, "facts" TEXT NOT NULL, "sent_at" TIMESTAMPTZ DEFAULT null)',
        'CREATE INDEX "urge_notice_agency" ON "urge_notice" ("agency")',
    ]


SQLITE = _statements("INTEGER PRIMARY KEY NOT NULL")
POSTGRES = _statements("SERIAL PRIMARY KEY NOT NULL")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run():
        from piccolo_conf import DB

        for sql in POSTGRES if DB.engine_type == "postgres" else SQLITE:
            await DB.run_ddl(sql)

    manager.add_raw(run)
    return manager
