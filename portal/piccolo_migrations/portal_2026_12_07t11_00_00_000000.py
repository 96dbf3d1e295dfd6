"""PostgreSQL: no foreign key from the name-search gram table to ``subject``. ``subject_bigram`` is
a derived index of legal persons' names (as SQLite's FTS5 tables, which have none): rows are
written with their subject and removed before a rename (``search.index``), and the portal never
deletes subjects. The key cost more than the row itself on every batch of new subjects — per gram
row a look-up and a row lock on ``subject`` (a 100,000-row upload writes ~800,000 gram rows).
Page queries read each gram's subject row and pass over a gram whose subject is gone; counts taken
from the gram table alone would not, so a subject removed by hand must be unindexed with it
(``search.index.unindex_subject``). Frozen SQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-07T11:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "subject_bigram without a foreign key"

POSTGRES = ["ALTER TABLE subject_bigram DROP CONSTRAINT IF EXISTS subject_bigram_subject_id_fkey"]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run():
        from piccolo_conf import DB

        if DB.engine_type == "postgres":
            for sql in POSTGRES:
                await DB.run_ddl(sql)

    manager.add_raw(run)
    return manager
