"""Frozen audit settings from the environment (DESIGN: one settings object per package).

The audit store is separate from the portal's (DESIGN rule 3): a SQLite file of its own by
default, or its own PostgreSQL database/schema when ``AUDIT_DATABASE_URL`` is set.

| variable | default | meaning |
|---|---|---|
| ``AUDIT_DATABASE_URL`` | unset | PostgreSQL DSN of the *writer* role (the portal's appends and reads) |
| ``AUDIT_ADMIN_DATABASE_URL`` | ``AUDIT_DATABASE_URL`` | owner role: migrate, checkpoint, purge, hold |
| ``AUDIT_READER_DATABASE_URL`` | admin URL | auditor role: browse, verify |
| ``AUDIT_PG_SCHEMA`` | ``audit`` | schema holding the audit tables |
| ``AUDIT_PG_WRITER_ROLE`` | ``audit_writer`` | role granted INSERT on entries by ``migrate`` |
| ``AUDIT_PG_READER_ROLE`` | ``audit_reader`` | role granted SELECT by ``migrate`` |
| ``AUDIT_DATA_DIR`` | ``$PORTAL_DATA_DIR`` or ``<repo>/data`` | holds ``audit.sqlite3`` |
| ``AUDIT_KEY_DIR`` | ``<data dir>/audit-keys`` | Ed25519 private key (0600), only the audit service reads it |
| ``AUDIT_EXPORT_DIR`` | ``<data dir>/audit-export`` | exported checkpoints, tombstones and public keys |
| ``AUDIT_WRITER_SOCKET`` | unset | socket of a writer run as a service (``python -m audit writer``); unset: a child |
| ``AUDIT_TIMEOUT_SECONDS`` | ``5`` | an append not committed by then raises ``AuditUnavailable`` |
| ``AUDIT_CHECKPOINT_EVERY`` | ``1000`` | entries between automatic checkpoints (``serve``, ``checkpoint --if-due``) |
| ``AUDIT_CHECKPOINT_INTERVAL`` | ``60`` | seconds between checkpoint/maintenance rounds in ``serve`` |
| ``AUDIT_MAX_BATCH`` | ``1000`` | most appends committed in one group-commit transaction |
| ``AUDIT_EXPORT_MAX_ROWS`` | ``1000000`` | most rows in one auditor export (CSV/XLSX; an XLSX sheet holds 1,048,576) |
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

RETENTION_YEARS = 5  # query records are kept 5 years from their creation


@dataclass(frozen=True)
class AuditSettings:
    data_dir: Path
    key_dir: Path
    export_dir: Path
    database_url: str | None = None
    admin_database_url: str | None = None
    reader_database_url: str | None = None
    pg_schema: str = "audit"
    pg_writer_role: str = "audit_writer"
    pg_reader_role: str = "audit_reader"
    writer_socket: str | None = None
    timeout: float = 5.0
    checkpoint_every: int = 1000
    checkpoint_interval: float = 60.0
    max_batch: int = 1000
    retention_years: int = RETENTION_YEARS
    export_max_rows: int = 1_000_000

    @property
    def is_postgres(self) -> bool:
        return bool(self.database_url or self.admin_database_url)

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "audit.sqlite3"

    def dsn(self, role: str) -> str | None:
        """The DSN for ``writer``, ``admin`` or ``reader`` (None on SQLite)."""
        if role == "writer":
            return self.database_url or self.admin_database_url
        if role == "admin":
            return self.admin_database_url or self.database_url
        if role == "reader":
            return self.reader_database_url or self.admin_database_url or self.database_url
        raise ValueError(f"unknown role {role!r}")

    def with_(self, **changes) -> AuditSettings:
        return replace(self, **changes)

    def as_env(self) -> dict[str, str]:
        """Environment that makes a child process (``python -m audit …``) use these settings."""
        env = {
            "AUDIT_DATA_DIR": str(self.data_dir),
            "AUDIT_KEY_DIR": str(self.key_dir),
            "AUDIT_EXPORT_DIR": str(self.export_dir),
            "AUDIT_PG_SCHEMA": self.pg_schema,
            "AUDIT_PG_WRITER_ROLE": self.pg_writer_role,
            "AUDIT_PG_READER_ROLE": self.pg_reader_role,
            "AUDIT_TIMEOUT_SECONDS": str(self.timeout),
            "AUDIT_CHECKPOINT_EVERY": str(self.checkpoint_every),
            "AUDIT_MAX_BATCH": str(self.max_batch),
            "AUDIT_EXPORT_MAX_ROWS": str(self.export_max_rows),
        }
        for name, value in (
            ("AUDIT_DATABASE_URL", self.database_url),
            ("AUDIT_ADMIN_DATABASE_URL", self.admin_database_url),
            ("AUDIT_READER_DATABASE_URL", self.reader_database_url),
            ("AUDIT_WRITER_SOCKET", self.writer_socket),
        ):
            env[name] = value or ""
        return env


def _identifier(name: str, value: str) -> str:
    """Schema and role names go into SQL text: plain lowercase identifiers only."""
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", value):
        raise ValueError(f"{name} must be a plain lowercase identifier, got {value!r}")
    return value


def load_settings(environ: Mapping[str, str] | None = None) -> AuditSettings:
    """Read the settings from ``environ`` (default ``os.environ``); not cached."""
    env = os.environ if environ is None else environ
    default_data = env.get("PORTAL_DATA_DIR") or str(ROOT / "data")
    data_dir = Path(env.get("AUDIT_DATA_DIR") or default_data).resolve()
    schema = _identifier("AUDIT_PG_SCHEMA", env.get("AUDIT_PG_SCHEMA") or "audit")
    return AuditSettings(
        data_dir=data_dir,
        key_dir=Path(env.get("AUDIT_KEY_DIR") or data_dir / "audit-keys").resolve(),
        export_dir=Path(env.get("AUDIT_EXPORT_DIR") or data_dir / "audit-export").resolve(),
        database_url=env.get("AUDIT_DATABASE_URL") or None,
        admin_database_url=env.get("AUDIT_ADMIN_DATABASE_URL") or None,
        reader_database_url=env.get("AUDIT_READER_DATABASE_URL") or None,
        pg_schema=schema,
        pg_writer_role=_identifier("AUDIT_PG_WRITER_ROLE", env.get("AUDIT_PG_WRITER_ROLE") or "audit_writer"),
        pg_reader_role=_identifier("AUDIT_PG_READER_ROLE", env.get("AUDIT_PG_READER_ROLE") or "audit_reader"),
        writer_socket=env.get("AUDIT_WRITER_SOCKET") or None,
        timeout=float(env.get("AUDIT_TIMEOUT_SECONDS") or 5.0),
        checkpoint_every=int(env.get("AUDIT_CHECKPOINT_EVERY") or 1000),
        checkpoint_interval=float(env.get("AUDIT_CHECKPOINT_INTERVAL") or 60.0),
        max_batch=int(env.get("AUDIT_MAX_BATCH") or 1000),
        export_max_rows=max(1, min(int(env.get("AUDIT_EXPORT_MAX_ROWS") or 1_000_000), 1_048_000)),
    )


@lru_cache(maxsize=1)
def get_settings() -> AuditSettings:
    return load_settings()
