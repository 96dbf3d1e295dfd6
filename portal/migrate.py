"""Run Piccolo migrations for every registered app (idempotent)."""

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
