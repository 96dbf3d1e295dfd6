"""曾用名: subject_former_name, and its short-gram index for search (rowid / subject_id = the
subject, tokens = every single character and adjacent pair of all its former names, as
portal/lib/ngrams.short_grams makes them). Frozen SQL for both engines."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-07T05:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "subject_former_name and its search index"

SQLITE = [
    'CREATE TABLE IF NOT EXISTS "subject_former_name" ("id" INTEGER PRIMARY KEY, '
    '"subject_id" INTEGER NOT NULL REFERENCES "subject" ("id") ON DELETE CASCADE, '
    '"name" VARCHAR(200) NOT NULL, "changed_on" DATE NULL)',
    'CREATE INDEX IF NOT EXISTS "subject_former_name_subject_id" ON "subject_former_name" ("subject_id")',
    "CREATE VIRTUAL TABLE IF NOT EXISTS subject_former_gram USING fts5("
    "grams, content='', detail='none', tokenize='unicode61 remove_diacritics 0')",
]

POSTGRES = [
    'CREATE TABLE IF NOT EXISTS "subject_former_name" ("id" SERIAL PRIMARY KEY, '
    '"subject_id" INTEGER NOT NULL REFERENCES "subject" ("id") ON DELETE CASCADE, '
    '"name" VARCHAR(200) NOT NULL, "changed_on" DATE NULL)',
    'CREATE INDEX IF NOT EXISTS "subject_former_name_subject_id" ON "subject_former_name" ("subject_id")',
    "CREATE TABLE IF NOT EXISTS subject_former_gram (gram varchar(2) NOT NULL, "
    "subject_id integer NOT NULL REFERENCES subject(id) ON DELETE CASCADE, PRIMARY KEY (gram, subject_id))",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run():
        from piccolo_conf import DB

        for sql in POSTGRES if DB.engine_type == "postgres" else SQLITE:
            await DB.run_ddl(sql)

    manager.add_raw(run)
    return manager
