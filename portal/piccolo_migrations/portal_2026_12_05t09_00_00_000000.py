"""Notices: the in-app inbox, the e-mail outbox with retries, verified addresses, preferences.

Frozen SQL for both engines (no live code imported).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-05T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "notices: inbox, mail outbox, e-mail addresses, notice preferences"

_ACCOUNT_FK = 'REFERENCES "account" ("id") ON DELETE CASCADE ON UPDATE CASCADE'


def _tables(pk: str) -> list[str]:
    return [
        f'CREATE TABLE "notice" ("id" {pk}, "account" INTEGER NOT NULL {_ACCOUNT_FK}, '
        '"kind" VARCHAR(32) NOT NULL, "title" VARCHAR(200) NOT NULL, "body" TEXT NOT NULL DEFAULT \'\', '
        '"link" VARCHAR(500) NOT NULL DEFAULT \'\', "created_at" TIMESTAMPTZ NOT NULL, '
        '"read_at" TIMESTAMPTZ DEFAULT null)',
        'CREATE INDEX "notice_account_id" ON "notice" ("account", "id")',
        'CREATE INDEX "notice_unread" ON "notice" ("account") WHERE "read_at" IS NULL',
        f'CREATE TABLE "mail_outbox" ("id" {pk}, "recipient" VARCHAR(254) NOT NULL, '
        '"subject" VARCHAR(200) NOT NULL, "body" TEXT NOT NULL, "created_at" TIMESTAMPTZ NOT NULL, '
        '"attempts" INTEGER NOT NULL DEFAULT 0, "next_attempt_at" TIMESTAMPTZ NOT NULL, '
        '"last_error" TEXT NOT NULL DEFAULT \'\', "sent_at" TIMESTAMPTZ DEFAULT null)',
        'CREATE INDEX "mail_outbox_due" ON "mail_outbox" ("next_attempt_at") WHERE "sent_at" IS NULL',
        f'CREATE TABLE "notice_email" ("id" {pk}, "account" INTEGER NOT NULL UNIQUE {_ACCOUNT_FK}, '
        '"address" VARCHAR(254) NOT NULL DEFAULT \'\', "verified_at" TIMESTAMPTZ DEFAULT null, '
        "\"pending_address\" VARCHAR(254) NOT NULL DEFAULT '', \"code_hash\" VARCHAR(64) NOT NULL DEFAULT '', "
        '"code_expires_at" TIMESTAMPTZ DEFAULT null, "code_tries" INTEGER NOT NULL DEFAULT 0)',
        f'CREATE TABLE "notice_preference" ("id" {pk}, "account" INTEGER NOT NULL {_ACCOUNT_FK}, '
        '"kind" VARCHAR(32) NOT NULL, "email" BOOLEAN NOT NULL DEFAULT true)',
        'CREATE UNIQUE INDEX "notice_preference_account_kind" ON "notice_preference" ("account", "kind")',
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
