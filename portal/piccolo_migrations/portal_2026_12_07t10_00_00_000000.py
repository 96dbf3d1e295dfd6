"""双公示 search by 决定书文号 and its 数据更新时间: two indexes on credit_record. Without them a
search for one document number, and the newest class-A licence or penalty change shown on the page,
each read every record (millions at city scale); the list tables are small and need none.
Frozen SQL for both engines."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-07T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "credit_record doc_number and updated indexes"

COMMON = [
    'CREATE INDEX IF NOT EXISTS "credit_record_doc_number" ON "credit_record" ("doc_number")',
    'CREATE INDEX IF NOT EXISTS "credit_record_class_updated" ON "credit_record" '
    '("record_type", "disclosure_class", "updated_at")',
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run():
        from piccolo_conf import DB

        for sql in COMMON:
            await DB.run_ddl(sql)

    manager.add_raw(run)
    return manager
