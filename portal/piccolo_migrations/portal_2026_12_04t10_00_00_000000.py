"""Login throttling as one compare-and-set counter per key (replaces the log of failures)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-04T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "login_throttle counters; drop login_failure"

_POSTGRES = (
    """CREATE TABLE IF NOT EXISTS login_throttle (
        key VARCHAR(100) PRIMARY KEY,
        failures INTEGER NOT NULL DEFAULT 0,
        first_at DOUBLE PRECISION NOT NULL DEFAULT 0,
        last_at DOUBLE PRECISION NOT NULL DEFAULT 0,
        next_allowed_at DOUBLE PRECISION NOT NULL DEFAULT 0,
        version INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX IF NOT EXISTS login_throttle_last_at ON login_throttle (last_at)",
    "DROP TABLE IF EXISTS login_failure",
)
_SQLITE = (
    """CREATE TABLE IF NOT EXISTS login_throttle (
        key VARCHAR(100) PRIMARY KEY,
        failures INTEGER NOT NULL DEFAULT 0,
        first_at REAL NOT NULL DEFAULT 0,
        last_at REAL NOT NULL DEFAULT 0,
        next_allowed_at REAL NOT NULL DEFAULT 0,
        version INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX IF NOT EXISTS login_throttle_last_at ON login_throttle (last_at)",
    "DROP INDEX IF EXISTS login_failure_key_time",
    "DROP TABLE IF EXISTS login_failure",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run():
        from piccolo_conf import DB

        for sql in _POSTGRES if DB.engine_type == "postgres" else _SQLITE:
            await DB.run_ddl(sql)

    manager.add_raw(run)
    return manager
