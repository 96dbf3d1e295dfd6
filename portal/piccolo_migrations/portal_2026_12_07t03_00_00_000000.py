"""R-P3: the registry of credit-service agencies (备案, status history, staff accounts) and the
credit reports they upload. Frozen SQL for both engines (no live code imported)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-07T03:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "credit_service_agency, credit_agency_change, credit_agency_member, credit_report"


def _fk(table: str) -> str:
    return f'REFERENCES "{table}" ("id") ON DELETE RESTRICT ON UPDATE CASCADE'


def _statements(pk: str) -> list[str]:
    return [
        f'CREATE TABLE "credit_service_agency" ("id" {pk}, "name" VARCHAR(200) NOT NULL, '
        '"uscc" VARCHAR(18) NOT NULL UNIQUE, "filing_no" VARCHAR(60) NOT NULL UNIQUE, "registered_on" DATE NOT NULL, '
        "\"business_scope\" TEXT NOT NULL DEFAULT '', \"contact\" VARCHAR(200) NOT NULL DEFAULT '', "
        "\"status\" VARCHAR(16) NOT NULL DEFAULT 'active', \"status_reason\" TEXT NOT NULL DEFAULT '', "
        '"created_at" TIMESTAMPTZ NOT NULL)',
        f'CREATE TABLE "credit_agency_change" ("id" {pk}, '
        f'"agency" INTEGER NOT NULL {_fk("credit_service_agency")}, "action" VARCHAR(16) NOT NULL, '
        '"status" VARCHAR(16) NOT NULL, "reason" TEXT NOT NULL DEFAULT \'\', "actor" VARCHAR(64) NOT NULL, '
        '"at" TIMESTAMPTZ NOT NULL)',
        'CREATE INDEX "credit_agency_change_agency" ON "credit_agency_change" ("agency")',
        f'CREATE TABLE "credit_agency_member" ("id" {pk}, '
        f'"agency" INTEGER NOT NULL {_fk("credit_service_agency")}, '
        f'"account" INTEGER NOT NULL UNIQUE {_fk("account")}, "linked_by" VARCHAR(64) NOT NULL, '
        '"linked_at" TIMESTAMPTZ NOT NULL)',
        'CREATE INDEX "credit_agency_member_agency" ON "credit_agency_member" ("agency")',
        f'CREATE TABLE "credit_report" ("id" {pk}, '
        f'"agency" INTEGER NOT NULL {_fk("credit_service_agency")}, '
        f'"subject" INTEGER NOT NULL {_fk("subject")}, '
        f'"authorization" INTEGER NOT NULL {_fk("query_authorization")}, '
        '"report_no" VARCHAR(60) NOT NULL, "grade" VARCHAR(8) NOT NULL, "risk_warnings" TEXT NOT NULL, '
        '"content" TEXT NOT NULL, "report_date" DATE NOT NULL, "valid_until" DATE NOT NULL, '
        f'"file" INTEGER NOT NULL {_fk("upload")}, "uploaded_by" INTEGER NOT NULL {_fk("account")}, '
        '"replaces" INTEGER DEFAULT null, "replaced_at" TIMESTAMPTZ DEFAULT null, "created_at" TIMESTAMPTZ NOT NULL)',
        'CREATE INDEX "credit_report_agency" ON "credit_report" ("agency")',
        'CREATE INDEX "credit_report_subject" ON "credit_report" ("subject", "valid_until")',
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
