"""Objections (R-22 … R-24): objection, objection_step, objection_document, correction_notice.

Frozen SQL for both engines (no live code imported).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-05T11:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "objections: the procedure, its steps and documents, correction notices"


def _fk(table: str) -> str:
    return f'REFERENCES "{table}" ("id") ON DELETE RESTRICT ON UPDATE CASCADE'


def _tables(pk: str) -> list[str]:
    return [
        f'CREATE TABLE "objection" ("id" {pk}, "number" VARCHAR(24) NOT NULL UNIQUE, '
        f'"subject" INTEGER NOT NULL {_fk("subject")}, "record" INTEGER NOT NULL {_fk("credit_record")}, '
        f'"record_version" INTEGER NOT NULL, "agency" INTEGER NOT NULL {_fk("agency")}, '
        f'"channel" VARCHAR(8) NOT NULL, "filed_by" INTEGER NOT NULL {_fk("account")}, '
        '"applicant_name" VARCHAR(100) NOT NULL, "contact" VARCHAR(200) NOT NULL DEFAULT \'\', '
        '"statement" TEXT NOT NULL, "received_on" DATE NOT NULL, "received_at" TIMESTAMPTZ NOT NULL, '
        '"stage" VARCHAR(16) NOT NULL, "forwarded_on" DATE DEFAULT null, "answered_on" DATE DEFAULT null, '
        '"closed_on" DATE DEFAULT null, "outcome" VARCHAR(16) NOT NULL DEFAULT \'\', '
        "\"answer\" TEXT NOT NULL DEFAULT '', \"decision_no\" VARCHAR(32) NOT NULL DEFAULT '', "
        "\"decision_text\" TEXT NOT NULL DEFAULT '')",
        'CREATE INDEX "objection_subject" ON "objection" ("subject")',
        'CREATE INDEX "objection_record" ON "objection" ("record")',
        'CREATE INDEX "objection_agency" ON "objection" ("agency", "stage")',
        'CREATE INDEX "objection_stage" ON "objection" ("stage", "received_on")',
        # one open objection per record at a time.
        'CREATE UNIQUE INDEX "objection_one_open" ON "objection" ("record") '
        "WHERE \"stage\" IN ('received', 'forwarded', 'answered')",
        f'CREATE TABLE "objection_step" ("id" {pk}, "objection" INTEGER NOT NULL {_fk("objection")}, '
        f'"action" VARCHAR(16) NOT NULL, "actor" INTEGER DEFAULT null {_fk("account")}, '
        "\"actor_label\" VARCHAR(120) NOT NULL DEFAULT '', \"note\" TEXT NOT NULL DEFAULT '', "
        '"at" TIMESTAMPTZ NOT NULL)',
        'CREATE INDEX "objection_step_objection" ON "objection_step" ("objection", "id")',
        f'CREATE TABLE "objection_document" ("id" {pk}, "objection" INTEGER NOT NULL {_fk("objection")}, '
        f'"upload" INTEGER NOT NULL {_fk("upload")}, "party" VARCHAR(16) NOT NULL)',
        'CREATE INDEX "objection_document_objection" ON "objection_document" ("objection")',
        f'CREATE TABLE "correction_notice" ("id" {pk}, "subject" INTEGER NOT NULL {_fk("subject")}, '
        f'"objection" INTEGER NOT NULL {_fk("objection")}, "title" VARCHAR(200) NOT NULL, '
        '"body" TEXT NOT NULL, "published_at" TIMESTAMPTZ NOT NULL)',
        'CREATE INDEX "correction_notice_subject" ON "correction_notice" ("subject", "published_at")',
    ]


SQLITE = _tables("INTEGER PRIMARY KEY NOT NULL")
POSTGRES = _tables("SERIAL PRIMARY KEY NOT NULL")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run():
        from piccolo_conf import DB

        for sql in POSTGRES if DB.engine_type == "postgres" else SQLITE:
            await DB.run_ddl(sql)

    manager.add_raw(run)
    return manager
