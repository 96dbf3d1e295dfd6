"""Collection (R-11 … R-13): agencies get a parent; records carry the provider's own record id and
the channel they came by; API keys of agencies' systems; the log of report batches.

Frozen SQL for both engines (no live code imported).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-06T12:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ingest: agency parent, record provider_ref and channel, api_key, ingest_batch"


def _fk(table: str) -> str:
    return f'REFERENCES "{table}" ("id") ON DELETE RESTRICT ON UPDATE CASCADE'


def _statements(pk: str) -> list[str]:
    return [
        f'ALTER TABLE "agency" ADD COLUMN "parent" INTEGER DEFAULT null {_fk("agency")}',
        'ALTER TABLE "credit_record" ADD COLUMN "provider_ref" VARCHAR(64) NOT NULL DEFAULT \'\'',
        'ALTER TABLE "credit_record" ADD COLUMN "channel" VARCHAR(8) NOT NULL DEFAULT \'\'',
        # the provider's own id names one record per provider (create / correct / revoke by it).
        'CREATE UNIQUE INDEX "credit_record_provider_ref" ON "credit_record" ("provider", "provider_ref") '
        "WHERE \"provider_ref\" <> ''",
        f'CREATE TABLE "api_key" ("id" {pk}, "agency" INTEGER NOT NULL {_fk("agency")}, '
        '"name" VARCHAR(100) NOT NULL, "prefix" VARCHAR(16) NOT NULL UNIQUE, '
        '"secret_sha256" VARCHAR(64) NOT NULL UNIQUE, "categories" TEXT NOT NULL DEFAULT \'\', '
        '"created_by" VARCHAR(64) NOT NULL, "created_at" TIMESTAMPTZ NOT NULL, "expires_at" TIMESTAMPTZ NOT NULL, '
        '"revoked_at" TIMESTAMPTZ DEFAULT null, "revoked_reason" VARCHAR(200) NOT NULL DEFAULT \'\', '
        '"last_used_at" TIMESTAMPTZ DEFAULT null, "replaces" INTEGER DEFAULT null)',
        'CREATE INDEX "api_key_agency" ON "api_key" ("agency")',
        f'CREATE TABLE "ingest_batch" ("id" {pk}, "agency" INTEGER NOT NULL {_fk("agency")}, '
        f'"channel" VARCHAR(8) NOT NULL, "api_key" INTEGER DEFAULT null {_fk("api_key")}, '
        f'"account" INTEGER DEFAULT null {_fk("account")}, "received_at" TIMESTAMPTZ NOT NULL, '
        '"items" INTEGER NOT NULL DEFAULT 0, "created" INTEGER NOT NULL DEFAULT 0, '
        '"corrected" INTEGER NOT NULL DEFAULT 0, "revoked" INTEGER NOT NULL DEFAULT 0, '
        '"unchanged" INTEGER NOT NULL DEFAULT 0, "rejected" INTEGER NOT NULL DEFAULT 0)',
        'CREATE INDEX "ingest_batch_agency" ON "ingest_batch" ("agency", "received_at")',
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
