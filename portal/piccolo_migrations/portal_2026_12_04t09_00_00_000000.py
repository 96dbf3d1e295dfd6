"""Query receipts (post/redirect/get of every query, R-19) and the per-account refusal tally.

The SQL is frozen here (no live table code is imported), one statement list per engine.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-04T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "query receipts and refusal tally"

_FK = 'INTEGER NOT NULL REFERENCES "{table}" ("id") ON DELETE CASCADE ON UPDATE CASCADE'

SQLITE = [
    'CREATE TABLE IF NOT EXISTS "query_receipt" ('
    '"token_digest" VARCHAR(64) PRIMARY KEY NOT NULL, '
    f'"account" {_FK.format(table="account")}, '
    f'"subject" {_FK.format(table="subject")}, '
    '"method" VARCHAR(16) NOT NULL, "scope" VARCHAR(600) NOT NULL, '
    '"reason_code" VARCHAR(32) NOT NULL, "reason_text" VARCHAR(500) NOT NULL DEFAULT \'\', '
    "\"authority_ref\" VARCHAR(100) NOT NULL DEFAULT '', "
    '"audit_seq" BIGINT NOT NULL, "audit_hash" VARCHAR(128) NOT NULL, '
    '"subject_query_count" INTEGER NOT NULL, "record_ids" TEXT NOT NULL DEFAULT \'\', '
    '"created_at" TIMESTAMPTZ NOT NULL, "expires_at" TIMESTAMPTZ NOT NULL)',
    'CREATE INDEX IF NOT EXISTS query_receipt_account ON "query_receipt" ("account")',
    'CREATE INDEX IF NOT EXISTS query_receipt_expires_at ON "query_receipt" ("expires_at")',
    'CREATE TABLE IF NOT EXISTS "query_refusal_tally" ('
    '"id" INTEGER PRIMARY KEY NOT NULL, '
    f'"account" {_FK.format(table="account")}, '
    '"window_start" BIGINT NOT NULL, "refused" INTEGER NOT NULL DEFAULT 0)',
    'CREATE UNIQUE INDEX IF NOT EXISTS query_refusal_tally_window ON "query_refusal_tally" ("account", "window_start")',
]

POSTGRES = [
    s.replace("TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE").replace(
        '"id" INTEGER PRIMARY KEY NOT NULL', '"id" SERIAL PRIMARY KEY'
    )
    for s in SQLITE
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run():
        from piccolo_conf import DB

        for sql in POSTGRES if DB.engine_type == "postgres" else SQLITE:
            await DB.run_ddl(sql)

    manager.add_raw(run)
    return manager
