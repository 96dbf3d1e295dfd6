"""A fresh install started as in production (``python -m portal serve --workers 2``):

* one audit writer for the host, shared by both workers (not one per worker);
* the data dir is 0700 and every file in it 0600 — SQLite files (+ -wal/-shm), secret key, audit
  store, keys, exports — including files an older version left world-readable (SPEC §5, R-28).
"""

from __future__ import annotations

import asyncio
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.audit.test_shared_writer import live_writers
from tests.integration.test_portal_kill9 import _free_port

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[2]
STARTED = "Application startup complete."


def _env(data_dir: Path, port: int) -> dict[str, str]:
    env = dict(os.environ)
    env["PORTAL_DATA_DIR"] = str(data_dir)
    env["PORTAL_ALLOWED_HOSTS"] = f"127.0.0.1,127.0.0.1:{port}"
    for name in ("AUDIT_DATA_DIR", "AUDIT_KEY_DIR", "AUDIT_EXPORT_DIR"):
        env.pop(name, None)  # the embedded defaults: everything under the data dir
    return env


async def _serve_until_workers_started(env: dict, port: int, log: Path, workers: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "portal", "serve", "--port", str(port), "--workers", str(workers)]
    with log.open("ab") as out:
        server = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 90
    async with httpx.AsyncClient() as probe:
        while True:
            assert server.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "the portal did not start: " + log.read_text()[-3000:]
            if log.read_text().count(STARTED) >= workers:
                try:
                    if (await probe.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                        return server
                except httpx.TransportError:
                    pass
            await asyncio.sleep(0.1)


def _modes(root: Path) -> dict[str, int]:
    out = {}
    for top, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = Path(top, name)
            info = path.lstat()
            if stat.S_ISDIR(info.st_mode) or stat.S_ISREG(info.st_mode):
                out[str(path.relative_to(root))] = stat.S_IMODE(info.st_mode)
    return out


async def test_fresh_install_one_writer_and_private_files(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    (data / "uploads").mkdir()
    os.chmod(data / "uploads", 0o755)
    old = data / "uploads" / "left-by-an-older-version.pdf"
    old.write_bytes(b"%PDF-1.4")
    os.chmod(old, 0o644)
    port = _free_port()
    env = _env(data, port)
    server = await _serve_until_workers_started(env, port, tmp_path / "server.log", workers=2)
    try:
        # One writer for the host, whichever worker appends (both are up: two startup lines).
        assert len(live_writers(data)) == 1, (tmp_path / "server.log").read_text()[-3000:]
        # The audit signing key and the exported public key, as the first checkpoint creates them.
        done = subprocess.run(
            [sys.executable, "-m", "audit", "keygen"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stdout + done.stderr
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    modes = _modes(data)
    assert {"secret_key", "audit-keys", "audit-export"} <= set(modes), sorted(modes)
    if not os.environ.get("DATABASE_URL"):
        assert "portal.sqlite3" in modes and "audit.sqlite3" in modes
    loose = {name: oct(mode) for name, mode in modes.items() if mode not in (0o600, 0o700)}
    assert not loose, f"readable by others: {loose}"
    dirs = {name for name in modes if (data / name).is_dir()}
    assert all(modes[d] == 0o700 for d in dirs) and all(modes[f] == 0o600 for f in set(modes) - dirs)
