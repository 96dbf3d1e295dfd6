"""One audit writer per host, shared by the portal's processes (not one per worker process).

The writer listens on a well-known socket under the data dir (``audit.client.shared_socket_path``);
the first process that needs it starts it, the others connect; if it dies, the next appends start
exactly one new writer (a lock), whichever processes make them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from audit.recorder import Recorder
from tests.audit.helpers import ROOT, event


def live_writers(data_dir: Path | str) -> list[int]:
    """Pids of running ``python -m audit writer`` processes of the store in ``data_dir`` (their
    environment names it: the starter passes its settings, ``AuditSettings.as_env``)."""
    wanted = f"AUDIT_DATA_DIR={data_dir}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            environ = (entry / "environ").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z" and b"writer" in argv and b"audit" in argv and wanted in environ:
            found.append(int(entry.name))
    return found


def test_processes_alike_share_one_writer_and_restart_exactly_one(audit_settings) -> None:
    sock = audit_settings.data_dir
    first = Recorder(audit_settings)
    try:
        assert first.record_sync(event(1)).seq == 1
        owner = first.writer.process.pid
        assert owner is not None and live_writers(sock) == [owner]

        # Another process (a second worker) appends through the same writer and starts none.
        code = (
            "from audit.recorder import Recorder\n"
            "from audit.settings import load_settings\n"
            "from tests.audit.helpers import event\n"
            "rec = Recorder(load_settings())\n"
            "print(rec.record_sync(event(2)).seq, rec.writer.process.pid, flush=True)\n"
        )
        env = {**os.environ, **audit_settings.as_env(), "PYTHONPATH": str(ROOT)}
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout.split() == ["2", "None"]
        assert live_writers(sock) == [owner]

        # The writer dies; two recorders append at once: both succeed, through exactly one new writer.
        second = Recorder(audit_settings)
        try:
            assert second.record_sync(event(3)).seq == 3 and second.writer.process.pid is None
            os.kill(owner, signal.SIGKILL)
            first.writer.process._proc.wait(15)  # reaped, as the owner's next append would
            assert live_writers(sock) == []
            barrier = threading.Barrier(2)
            seqs: list[int] = []

            def append(rec: Recorder, i: int) -> None:
                barrier.wait()
                seqs.append(rec.record_sync(event(i)).seq)

            threads = [threading.Thread(target=append, args=(r, i)) for r, i in ((first, 4), (second, 5))]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            assert sorted(seqs) == [4, 5]
            assert len(live_writers(sock)) == 1
            started = [p for p in (first.writer.process.pid, second.writer.process.pid) if p is not None]
            assert started == live_writers(sock)
        finally:
            second.close()
    finally:
        first.close()
    assert live_writers(sock) == []  # the owner's close stopped it
