"""Run Piccolo migrations for every registered app (idempotent), and create the embedded audit store."""

from __future__ import annotations

import subprocess
import sys

from portal.settings import ROOT


def migrate() -> None:
    # Piccolo's migration runner is a CLI; running it in a child keeps its event loop and
    # engine state out of the calling process.
    subprocess.run(
        [sys.executable, "-m", "piccolo.main", "migrations", "forwards", "all"],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    _migrate_embedded_audit()


def _migrate_embedded_audit() -> None:
    """The default audit store is a SQLite file beside the portal's: create it up front, so that the
    first page to read it ("谁查询了我" on a fresh install) finds an empty log rather than no file.
    A PostgreSQL audit database is migrated by its owner role (`python -m audit migrate`), which the
    portal does not hold."""
    from audit.settings import get_settings

    if get_settings().is_postgres:
        return
    subprocess.run([sys.executable, "-m", "audit", "migrate"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
