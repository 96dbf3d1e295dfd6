"""逢办必查 and usage (R-P4, R-P5, R-28): the measures catalogue, the checks, the uses of credit
products in matters and the matters agencies report they handled.

Frozen SQL for both engines (no live code imported).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-07T04:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "checks: measures catalogue, credit checks, product use, handled matters"

_FK = "ON DELETE RESTRICT ON UPDATE CASCADE"


def _tables(pk: str, null: str) -> list[str]:
    return [
        f'CREATE TABLE "measure" ("id" {pk}, "code" VARCHAR(32) NOT NULL, "version" INTEGER NOT NULL DEFAULT 1, '
        '"list_type" VARCHAR(8) NOT NULL, "domain" VARCHAR(32) NOT NULL, "content" TEXT NOT NULL, '
        '"basis" TEXT NOT NULL, "status" VARCHAR(16) NOT NULL DEFAULT \'current\', '
        '"changed_by" VARCHAR(100) NOT NULL DEFAULT \'\', "change_note" TEXT NOT NULL DEFAULT \'\', '
        '"changed_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)',
        'CREATE INDEX "measure_code" ON "measure" ("code")',
        'CREATE INDEX "measure_current" ON "measure" ("list_type", "domain", "status")',
        f'CREATE TABLE "credit_check" ("id" {pk}, "number" VARCHAR(32) NOT NULL UNIQUE, '
        f'"agency" INTEGER NOT NULL REFERENCES "agency" ("id") {_FK}, '
        f'"api_key" INTEGER {null} REFERENCES "api_key" ("id") {_FK}, '
        f'"officer" INTEGER {null} REFERENCES "account" ("id") {_FK}, '
        f'"subject" INTEGER {null} REFERENCES "subject" ("id") {_FK}, '
        '"subject_label" VARCHAR(200) NOT NULL DEFAULT \'\', "matter_name" VARCHAR(200) NOT NULL, '
        '"case_no" VARCHAR(64) NOT NULL, "domain" VARCHAR(32) NOT NULL, '
        '"found" BOOLEAN NOT NULL DEFAULT false, "class_b" BOOLEAN NOT NULL DEFAULT false, '
        '"audit_seq" BIGINT NOT NULL DEFAULT 0, "audit_hash" VARCHAR(64) NOT NULL DEFAULT \'\', '
        '"answer" JSON NOT NULL, "checked_on" DATE NOT NULL, '
        '"created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)',
        'CREATE INDEX "credit_check_agency" ON "credit_check" ("agency", "checked_on")',
        'CREATE INDEX "credit_check_case" ON "credit_check" ("agency", "case_no")',
        f'CREATE TABLE "product_use" ("id" {pk}, '
        f'"credit_check" INTEGER NOT NULL REFERENCES "credit_check" ("id") {_FK}, '
        f'"agency" INTEGER NOT NULL REFERENCES "agency" ("id") {_FK}, '
        '"case_no" VARCHAR(64) NOT NULL, "domain" VARCHAR(32) NOT NULL, "product" VARCHAR(16) NOT NULL, '
        '"outcome" VARCHAR(16) NOT NULL DEFAULT \'\', "used_on" DATE NOT NULL, "reported_at" TIMESTAMPTZ NULL)',
        'CREATE INDEX "product_use_credit_check" ON "product_use" ("credit_check")',
        'CREATE INDEX "product_use_agency" ON "product_use" ("agency", "used_on")',
        f'CREATE TABLE "handled_matter" ("id" {pk}, '
        f'"agency" INTEGER NOT NULL REFERENCES "agency" ("id") {_FK}, '
        '"case_no" VARCHAR(64) NOT NULL, "matter_name" VARCHAR(200) NOT NULL, "domain" VARCHAR(32) NOT NULL, '
        '"handled_on" DATE NOT NULL, "reported_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)',
        'CREATE UNIQUE INDEX "handled_matter_case" ON "handled_matter" ("agency", "case_no")',
        'CREATE INDEX "handled_matter_day" ON "handled_matter" ("agency", "handled_on")',
    ]


SQLITE = _tables("INTEGER PRIMARY KEY NOT NULL", "DEFAULT null")
POSTGRES = _tables("SERIAL PRIMARY KEY", "NULL")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run():
        from piccolo_conf import DB

        for sql in POSTGRES if DB.engine_type == "postgres" else SQLITE:
            await DB.run_ddl(sql)

    manager.add_raw(run)
    return manager
