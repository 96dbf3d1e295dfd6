"""Red and black lists (R-P5, R-20): measures, who listed and removed an entry, and an append-only
change history of every listing, amendment and removal.

Frozen SQL for both engines (no live code imported).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-06T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "lists: listing and removal by the deciding agency, with history"

_FK = "ON DELETE RESTRICT ON UPDATE CASCADE"

_COMMON = [
    'CREATE INDEX "list_entry_decided_by" ON "list_entry" ("decided_by", "id")',
    'CREATE INDEX "list_change_entry" ON "list_change" ("entry", "id")',
]

SQLITE = [
    'ALTER TABLE "list_entry" ADD COLUMN "measures" TEXT NOT NULL DEFAULT \'\'',
    f'ALTER TABLE "list_entry" ADD COLUMN "listed_by" INTEGER REFERENCES "account" ("id") {_FK} DEFAULT null',
    'ALTER TABLE "list_entry" ADD COLUMN "removed_at" TIMESTAMPTZ DEFAULT null',
    'ALTER TABLE "list_entry" ADD COLUMN "removal_reason" VARCHAR(16) NOT NULL DEFAULT \'\'',
    'CREATE TABLE "list_change" ("id" INTEGER PRIMARY KEY NOT NULL, '
    f'"entry" INTEGER NOT NULL REFERENCES "list_entry" ("id") {_FK}, '
    '"action" VARCHAR(16) NOT NULL, "reason" TEXT NOT NULL DEFAULT \'\', '
    f'"actor" INTEGER REFERENCES "account" ("id") {_FK} DEFAULT null, '
    '"actor_name" VARCHAR(100) NOT NULL DEFAULT \'\', "snapshot" JSON NOT NULL, '
    '"changed_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)',
    *_COMMON,
    # SPEC §5: the history of a listing is not rewritten.
    'CREATE TRIGGER "list_change_no_update" BEFORE UPDATE ON "list_change" '
    "BEGIN SELECT RAISE(ABORT, 'list_change is append-only'); END",
    'CREATE TRIGGER "list_change_no_delete" BEFORE DELETE ON "list_change" '
    "BEGIN SELECT RAISE(ABORT, 'list_change is append-only'); END",
]

POSTGRES = [
    'ALTER TABLE "list_entry" ADD COLUMN "measures" TEXT NOT NULL DEFAULT \'\'',
    f'ALTER TABLE "list_entry" ADD COLUMN "listed_by" INTEGER NULL REFERENCES "account" ("id") {_FK}',
    'ALTER TABLE "list_entry" ADD COLUMN "removed_at" TIMESTAMPTZ NULL',
    'ALTER TABLE "list_entry" ADD COLUMN "removal_reason" VARCHAR(16) NOT NULL DEFAULT \'\'',
    'CREATE TABLE "list_change" ("id" SERIAL PRIMARY KEY, '
    f'"entry" INTEGER NOT NULL REFERENCES "list_entry" ("id") {_FK}, '
    '"action" VARCHAR(16) NOT NULL, "reason" TEXT NOT NULL DEFAULT \'\', '
    f'"actor" INTEGER NULL REFERENCES "account" ("id") {_FK}, '
    '"actor_name" VARCHAR(100) NOT NULL DEFAULT \'\', "snapshot" JSON NOT NULL, '
    '"changed_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)',
    *_COMMON,
    # SPEC §5: the history of a listing is not rewritten (TRUNCATE skips row triggers).
    'CREATE FUNCTION "list_change_append_only"() RETURNS trigger LANGUAGE plpgsql AS '
    "$$ BEGIN RAISE EXCEPTION 'list_change is append-only'; END $$",
    'CREATE TRIGGER "list_change_no_change" BEFORE UPDATE OR DELETE ON "list_change" '
    'FOR EACH ROW EXECUTE FUNCTION "list_change_append_only"()',
    'CREATE TRIGGER "list_change_no_truncate" BEFORE TRUNCATE ON "list_change" '
    'FOR EACH STATEMENT EXECUTE FUNCTION "list_change_append_only"()',
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run():
        from piccolo_conf import DB

        for sql in POSTGRES if DB.engine_type == "postgres" else SQLITE:
            await DB.run_ddl(sql)

    manager.add_raw(run)
    return manager
