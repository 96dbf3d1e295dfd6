"""Search (FTS5 / pg_trgm + bigram) and keyset listing indexes."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from portal.search.ddl import statements

ID = "2026-11-22T05:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "search and listing indexes"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run():
        from piccolo_conf import DB

        for sql in statements(DB.engine_type):
            await DB.run_ddl(sql)

    manager.add_raw(run)
    return manager
