"""Drop ``credit_record_provider``: its one column leads two other indexes of ``credit_record``
(``credit_record_provider_publicity``: provider, record type, decision date; the unique
``credit_record_provider_ref``: provider, record id), which answer every look-up by provider and
the foreign key's checks. Every record insert (R-12: uploads of 100,000 rows) paid for a third
B-tree. Frozen SQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-07T12:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "credit_record without its redundant provider index"

SQL = ["DROP INDEX IF EXISTS credit_record_provider"]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run():
        from piccolo_conf import DB

        for sql in SQL:
            await DB.run_ddl(sql)

    manager.add_raw(run)
    return manager
