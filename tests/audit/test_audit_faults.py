"""Fault test (issue 3 "Done when"): appenders killed with SIGKILL, repeatedly, mid-run.

Two child processes append concurrently to one chain (cross-process serialisation) and print every
acknowledged seq. After several rounds of kill -9: every acknowledged entry is present with its
request id, the per-subject counts agree with the entries (same transaction, R-19), and
``python -m audit verify`` passes.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time

from audit.db import connect
from tests.audit.helpers import ROOT, cli, run_async

ROUNDS = 4
CHILDREN = 2


def _start(settings, tag: str) -> tuple[subprocess.Popen, list[str]]:
    env = {**os.environ, **settings.as_env(), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tests/audit/appender.py"), tag, "16"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True).start()
    return proc, lines


def test_kill_9_repeatedly_loses_no_acknowledged_entry(audit_settings) -> None:
    rng = random.Random(7)
    acked: dict[int, str] = {}
    for round_no in range(ROUNDS):
        children = [_start(audit_settings, f"r{round_no}c{c}") for c in range(CHILDREN)]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not all(len(lines) > 20 for _, lines in children):
            time.sleep(0.02)
        time.sleep(rng.uniform(0.1, 0.5))  # mid-run, while both are appending
        for proc, _ in children:
            os.kill(proc.pid, signal.SIGKILL)
        for proc, lines in children:
            proc.wait(10)
            time.sleep(0.05)
            assert lines, "a child acknowledged nothing"
            for line in list(lines):
                parts = line.split()
                if len(parts) == 3:  # a line cut by the kill is not an acknowledgement
                    acked[int(parts[0])] = parts[1]
    assert len(acked) > 100

    async def stored() -> tuple[dict[int, str], list, list]:
        async with connect(audit_settings, "admin") as conn:
            rows = await conn.fetch("SELECT seq, request_id FROM entries")
            counts = await conn.fetch("SELECT subject_ref, allowed_count FROM subject_counts ORDER BY subject_ref")
            actual = await conn.fetch(
                "SELECT subject_ref, count(*) FROM entries GROUP BY subject_ref ORDER BY subject_ref"
            )
            return {int(s): r for s, r in rows}, [tuple(c) for c in counts], [(r, int(n)) for r, n in actual]

    entries, counts, actual = run_async(stored)
    missing = {seq: rid for seq, rid in acked.items() if entries.get(seq) != rid}
    assert not missing, f"acknowledged but not stored: {list(missing.items())[:5]}"
    assert [(r, int(n)) for r, n in counts] == actual
    assert sorted(entries) == list(range(1, len(entries) + 1))
    result = cli(audit_settings, "verify", "--full")
    assert result.returncode == 0, result.stdout + result.stderr
    assert cli(audit_settings, "checkpoint").returncode == 0
