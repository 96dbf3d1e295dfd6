"""Class-C sharing rules as data (R-15): agency grants get a legal basis and the granting account,
categories shareable under a subject's written authorisation, and an append-only change history.

Frozen SQL for both engines (no live code imported). Grants made before carry a placeholder basis
that staff replace on /staff/sharing; each gets a history row so the history starts complete.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-04T13:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "sharing: class-C grants with legal basis, shareable categories, change history"

LEGACY_BASIS = "历史授权（待补充依据）"

_COMMON_BEFORE = [
    # One row per (agency, category) in force: duplicates (never created by the code) collapse.
    'DELETE FROM "agency_grant" WHERE "id" NOT IN (SELECT MIN("id") FROM "agency_grant" GROUP BY "agency", "category")',
    'CREATE UNIQUE INDEX "agency_grant_agency_category" ON "agency_grant" ("agency", "category")',
]

_COMMON_AFTER = [
    'CREATE INDEX "sharing_change_agency" ON "sharing_change" ("agency")',
    'INSERT INTO "sharing_change" ("changed_at", "actor", "actor_name", "rule", "agency", "category", '
    '"action", "old_basis", "new_basis", "basis") '
    "SELECT \"granted_at\", NULL, '', 'agency', \"agency\", \"category\", 'grant', '', \"legal_basis\", "
    '"legal_basis" FROM "agency_grant" ORDER BY "id"',
]

SQLITE = [
    f'ALTER TABLE "agency_grant" ADD COLUMN "legal_basis" VARCHAR(500) NOT NULL DEFAULT \'{LEGACY_BASIS}\'',
    'ALTER TABLE "agency_grant" ADD COLUMN "granted_by" INTEGER REFERENCES "account" ("id") '
    "ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null",
    *_COMMON_BEFORE,
    'CREATE TABLE "shareable_category" ("id" INTEGER PRIMARY KEY NOT NULL, '
    '"category" VARCHAR(32) UNIQUE NOT NULL, "legal_basis" VARCHAR(500) NOT NULL, '
    '"marked_by" INTEGER REFERENCES "account" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, '
    '"marked_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)',
    'CREATE TABLE "sharing_change" ("id" INTEGER PRIMARY KEY NOT NULL, '
    '"changed_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, '
    '"actor" INTEGER REFERENCES "account" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, '
    '"actor_name" VARCHAR(64) NOT NULL DEFAULT \'\', "rule" VARCHAR(16) NOT NULL, '
    '"agency" INTEGER REFERENCES "agency" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, '
    '"category" VARCHAR(32) NOT NULL, "action" VARCHAR(16) NOT NULL, '
    "\"old_basis\" VARCHAR(500) NOT NULL DEFAULT '', \"new_basis\" VARCHAR(500) NOT NULL DEFAULT '', "
    '"basis" VARCHAR(500) NOT NULL)',
    *_COMMON_AFTER,
    # SPEC §5: the history of who granted what is not rewritten.
    'CREATE TRIGGER "sharing_change_no_update" BEFORE UPDATE ON "sharing_change" '
    "BEGIN SELECT RAISE(ABORT, 'sharing_change is append-only'); END",
    'CREATE TRIGGER "sharing_change_no_delete" BEFORE DELETE ON "sharing_change" '
    "BEGIN SELECT RAISE(ABORT, 'sharing_change is append-only'); END",
]

POSTGRES = [
    f'ALTER TABLE "agency_grant" ADD COLUMN "legal_basis" VARCHAR(500) NOT NULL DEFAULT \'{LEGACY_BASIS}\'',
    'ALTER TABLE "agency_grant" ADD COLUMN "granted_by" INTEGER NULL REFERENCES "account" ("id") '
    "ON DELETE RESTRICT ON UPDATE CASCADE",
    *_COMMON_BEFORE,
    'CREATE TABLE "shareable_category" ("id" SERIAL PRIMARY KEY, '
    '"category" VARCHAR(32) UNIQUE NOT NULL, "legal_basis" VARCHAR(500) NOT NULL, '
    '"marked_by" INTEGER NULL REFERENCES "account" ("id") ON DELETE RESTRICT ON UPDATE CASCADE, '
    '"marked_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)',
    'CREATE TABLE "sharing_change" ("id" SERIAL PRIMARY KEY, '
    '"changed_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, '
    '"actor" INTEGER NULL REFERENCES "account" ("id") ON DELETE RESTRICT ON UPDATE CASCADE, '
    '"actor_name" VARCHAR(64) NOT NULL DEFAULT \'\', "rule" VARCHAR(16) NOT NULL, '
    '"agency" INTEGER NULL REFERENCES "agency" ("id") ON DELETE RESTRICT ON UPDATE CASCADE, '
    '"category" VARCHAR(32) NOT NULL, "action" VARCHAR(16) NOT NULL, '
    "\"old_basis\" VARCHAR(500) NOT NULL DEFAULT '', \"new_basis\" VARCHAR(500) NOT NULL DEFAULT '', "
    '"basis" VARCHAR(500) NOT NULL)',
    *_COMMON_AFTER,
    # SPEC §5: the history of who granted what is not rewritten (TRUNCATE skips row triggers).
    'CREATE FUNCTION "sharing_change_append_only"() RETURNS trigger LANGUAGE plpgsql AS '
    "$$ BEGIN RAISE EXCEPTION 'sharing_change is append-only'; END $$",
    'CREATE TRIGGER "sharing_change_no_change" BEFORE UPDATE OR DELETE ON "sharing_change" '
    'FOR EACH ROW EXECUTE FUNCTION "sharing_change_append_only"()',
    'CREATE TRIGGER "sharing_change_no_truncate" BEFORE TRUNCATE ON "sharing_change" '
    'FOR EACH STATEMENT EXECUTE FUNCTION "sharing_change_append_only"()',
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run():
        from piccolo_conf import DB

        for sql in POSTGRES if DB.engine_type == "postgres" else SQLITE:
            await DB.run_ddl(sql)

    manager.add_raw(run)
    return manager
