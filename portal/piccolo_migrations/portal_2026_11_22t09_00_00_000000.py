"""PostgreSQL: full statistics on subject_bigram.gram for the rarest-pair name search."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from portal.search.ddl import POSTGRES_GRAM_STATISTICS

ID = "2026-11-22T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "search: gram statistics"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run():
        from piccolo_conf import DB

        if DB.engine_type == "postgres":
            for sql in POSTGRES_GRAM_STATISTICS:
                await DB.run_ddl(sql)

    manager.add_raw(run)
    return manager
