"""R-P2: verification applications and the opinions issued for them. Frozen SQL for both engines."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-07T02:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "verification"


def _statements(pk: str, blob: str) -> list[str]:
    return [
        f'CREATE TABLE "verification" ("id" {pk}, "number" VARCHAR(32) NOT NULL UNIQUE, '
        '"subject" INTEGER NOT NULL REFERENCES "subject" ("id") ON DELETE RESTRICT ON UPDATE CASCADE, '
        '"applicant" INTEGER NOT NULL REFERENCES "account" ("id") ON DELETE RESTRICT ON UPDATE CASCADE, '
        '"applicant_kind" VARCHAR(8) NOT NULL, '
        '"agency" INTEGER DEFAULT null REFERENCES "agency" ("id") ON DELETE RESTRICT ON UPDATE CASCADE, '
        '"applicant_label" VARCHAR(200) NOT NULL, "purpose" VARCHAR(32) NOT NULL, "matter" TEXT NOT NULL, '
        '"applied_on" DATE NOT NULL, "applied_at" TIMESTAMPTZ NOT NULL, '
        "\"status\" VARCHAR(8) NOT NULL DEFAULT 'pending', \"opinion_no\" VARCHAR(32) NOT NULL DEFAULT '', "
        '"issued_on" DATE DEFAULT null, "issued_at" TIMESTAMPTZ DEFAULT null, "issued_by" INTEGER DEFAULT null, '
        '"valid_until" DATE DEFAULT null, "digest" VARCHAR(64) NOT NULL DEFAULT \'\', '
        '"summary" TEXT NOT NULL DEFAULT \'\', "record_count" INTEGER NOT NULL DEFAULT 0, '
        f'"audit_seq" INTEGER DEFAULT null, "pdf" {blob} DEFAULT null)',
        'CREATE INDEX "verification_subject" ON "verification" ("subject")',
        'CREATE INDEX "verification_applicant" ON "verification" ("applicant")',
        'CREATE INDEX "verification_agency" ON "verification" ("agency")',
        'CREATE INDEX "verification_status_applied" ON "verification" ("status", "applied_on")',
        'CREATE INDEX "verification_opinion_no" ON "verification" ("opinion_no")',
    ]


SQLITE = _statements("INTEGER PRIMARY KEY NOT NULL", "BLOB")
POSTGRES = _statements("SERIAL PRIMARY KEY NOT NULL", "BYTEA")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run():
        from piccolo_conf import DB

        for sql in POSTGRES if DB.engine_type == "postgres" else SQLITE:
            await DB.run_ddl(sql)

    manager.add_raw(run)
    return manager
