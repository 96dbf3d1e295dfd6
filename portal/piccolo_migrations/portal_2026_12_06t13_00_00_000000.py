"""批量上传 (R-12): the server-side import jobs of uploaded workbooks.

Frozen SQL for both engines (no live code imported).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-06T13:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ingest: ingest_import (workbook import jobs)"


def _fk(table: str) -> str:
    return f'REFERENCES "{table}" ("id") ON DELETE RESTRICT ON UPDATE CASCADE'


def _statements(pk: str) -> list[str]:
    counts = ", ".join(
        f'"{c}" INTEGER NOT NULL DEFAULT 0'
        for c in ("size", "rows_total", "rows_done", "created", "corrected", "revoked", "unchanged", "rejected")
    )
    return [
        f'CREATE TABLE "ingest_import" ("id" {pk}, "agency" INTEGER NOT NULL {_fk("agency")}, '
        f'"account" INTEGER NOT NULL {_fk("account")}, "status" VARCHAR(8) NOT NULL DEFAULT \'queued\', '
        "\"record_type\" VARCHAR(8) NOT NULL DEFAULT '', \"original_name\" VARCHAR(200) NOT NULL DEFAULT '', "
        f"\"stored_name\" VARCHAR(64) NOT NULL DEFAULT '', {counts}, "
        "\"rejected_name\" VARCHAR(64) NOT NULL DEFAULT '', \"error\" VARCHAR(500) NOT NULL DEFAULT '', "
        '"created_at" TIMESTAMPTZ NOT NULL, "started_at" TIMESTAMPTZ DEFAULT null, '
        '"heartbeat_at" TIMESTAMPTZ DEFAULT null, "finished_at" TIMESTAMPTZ DEFAULT null)',
        'CREATE INDEX "ingest_import_agency" ON "ingest_import" ("agency", "created_at")',
        'CREATE INDEX "ingest_import_status" ON "ingest_import" ("status")',
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
