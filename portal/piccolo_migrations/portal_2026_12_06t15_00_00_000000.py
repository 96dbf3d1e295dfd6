"""R-09: a record keeps the written-consent reference that allowed income, deposits, securities,
commercial insurance, real estate or tax amounts in it. Frozen SQL for both engines."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-06T15:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "credit_record.consent_ref"

SQL = 'ALTER TABLE "credit_record" ADD COLUMN "consent_ref" VARCHAR(60) NOT NULL DEFAULT \'\''


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run():
        from piccolo_conf import DB

        await DB.run_ddl(SQL)

    manager.add_raw(run)
    return manager
