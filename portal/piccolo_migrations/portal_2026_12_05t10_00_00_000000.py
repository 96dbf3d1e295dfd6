"""SMS channel: the SMS outbox with retries, verified mobile numbers, an SMS switch per notice kind.

Frozen SQL for both engines (no live code imported).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-05T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "notices: sms outbox, phone numbers, sms preference"

_ACCOUNT_FK = 'REFERENCES "account" ("id") ON DELETE CASCADE ON UPDATE CASCADE'


def _tables(pk: str) -> list[str]:
    return [
        f'CREATE TABLE "sms_outbox" ("id" {pk}, "phone" VARCHAR(11) NOT NULL, "text" TEXT NOT NULL, '
        '"created_at" TIMESTAMPTZ NOT NULL, "attempts" INTEGER NOT NULL DEFAULT 0, '
        '"next_attempt_at" TIMESTAMPTZ NOT NULL, "last_error" TEXT NOT NULL DEFAULT \'\', '
        '"sent_at" TIMESTAMPTZ DEFAULT null)',
        'CREATE INDEX "sms_outbox_due" ON "sms_outbox" ("next_attempt_at") WHERE "sent_at" IS NULL',
        f'CREATE TABLE "notice_phone" ("id" {pk}, "account" INTEGER NOT NULL UNIQUE {_ACCOUNT_FK}, '
        '"phone" VARCHAR(11) NOT NULL DEFAULT \'\', "verified_at" TIMESTAMPTZ DEFAULT null, '
        "\"pending_phone\" VARCHAR(11) NOT NULL DEFAULT '', \"code_hash\" VARCHAR(64) NOT NULL DEFAULT '', "
        '"code_expires_at" TIMESTAMPTZ DEFAULT null, "code_tries" INTEGER NOT NULL DEFAULT 0)',
        'ALTER TABLE "notice_preference" ADD COLUMN "sms" BOOLEAN NOT NULL DEFAULT true',
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
