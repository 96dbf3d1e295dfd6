"""The audit writer process (``python -m audit writer``): killed, run as a service, fed garbage.

The recorder appends through it (issue 3 item 5); these tests hold it to the same promises as the
appenders: nothing acknowledged is lost, a dead writer means 503 (``AuditUnavailable``) and never a
disclosure without an entry, and the writer trusts no client.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from audit.db import connect
from audit.recorder import AuditUnavailable, Recorder
from audit.writer import _Arrivals
from tests.audit.helpers import ROOT, cli, event, run_async

KILLS = 4


@pytest.mark.anyio
async def test_kill_9_of_the_writer_loses_no_acknowledged_entry(recorder: Recorder, audit_settings) -> None:
    rng = random.Random(11)
    acked: dict[int, str] = {}
    refused = 0
    stop = asyncio.Event()

    async def worker(w: int) -> None:
        nonlocal refused
        i = 0
        while not stop.is_set():
            request_id = f"w{w}-{i}"
            try:
                receipt = await recorder.record(event(i, subject=f"subj-{(w + i) % 5}", request_id=request_id))
            except AuditUnavailable:
                refused += 1  # in flight when the writer died: the caller answers 503
                await asyncio.sleep(0.005)
            else:
                acked[receipt.seq] = request_id
            i += 1

    await recorder.record(event(0, request_id="first"))
    pids = [recorder.writer.process.pid]
    tasks = [asyncio.create_task(worker(w)) for w in range(16)]

    async def acknowledged_again(more: int) -> None:
        before, deadline = len(acked), time.monotonic() + 30
        while len(acked) < before + more:
            assert time.monotonic() < deadline, "appends are not acknowledged (any more)"
            await asyncio.sleep(0.02)

    for _ in range(KILLS):
        await acknowledged_again(30)
        await asyncio.sleep(rng.uniform(0.05, 0.3))  # mid-run, while appends are in flight
        os.kill(pids[-1], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while recorder.writer.process.pid in (None, *pids):
            assert time.monotonic() < deadline, "no new writer after the kill"
            await asyncio.sleep(0.02)  # the next append starts a new writer
        pids.append(recorder.writer.process.pid)
    await acknowledged_again(30)  # and appends are acknowledged again after the last kill
    stop.set()
    await asyncio.gather(*tasks)
    assert len(set(pids)) == KILLS + 1

    async def stored() -> dict[int, str]:
        async with connect(audit_settings, "admin") as conn:
            return {int(s): r for s, r in await conn.fetch("SELECT seq, request_id FROM entries")}

    entries = run_async(stored)
    missing = {seq: rid for seq, rid in acked.items() if entries.get(seq) != rid}
    assert not missing, f"acknowledged but not stored: {list(missing.items())[:5]}"
    assert sorted(entries) == list(range(1, len(entries) + 1))
    result = cli(audit_settings, "verify", "--full")
    assert result.returncode == 0, result.stdout + result.stderr


def _start_service(settings, path: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, **settings.as_env(), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "audit", "writer", "--socket", str(path), *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout.readline().strip() == b"ready", proc.stderr.read().decode()
    return proc


def _exchange(path: Path, *lines: bytes) -> list[dict]:
    """Send raw lines on a fresh connection; the replies until the writer closes it or goes quiet."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(str(path))
        sock.sendall(b"".join(lines))
        buf = b""
        try:
            while buf.count(b"\n") < len(lines):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                buf += chunk
        except TimeoutError:
            pass
    return [json.loads(line) for line in buf.splitlines() if line]


def test_writer_run_as_a_service(audit_settings, tmp_path: Path) -> None:
    path = tmp_path / "writer.sock"
    proc = _start_service(audit_settings, path)
    rec = Recorder(audit_settings.with_(writer_socket=str(path), timeout=3.0))
    try:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600  # only the portal's user may append
        assert rec.writer.process is None  # no child of our own: the service writes
        first = run_async(lambda: rec.record(event(1)))
        second = rec.record_sync(event(2))
        assert (first.seq, second.seq) == (1, 2)
        assert second.subject_query_count == 2

        # The writer trusts no client: the same checks as the recorder's, and garbage ends the session.
        bad = list(event(3).__dict__.values())
        bad[EVENT_SUBJECT] = "410105199001011234"  # a raw ID number as the subject key
        replies = _exchange(path, json.dumps({"id": 1, "v": bad}).encode() + b"\n")
        assert replies and replies[0]["id"] == 1 and "bad event" in replies[0]["error"]
        assert _exchange(path, b"this is not json\n", json.dumps({"id": 2, "v": bad}).encode() + b"\n") == []
        assert rec.record_sync(event(4)).seq == 3  # nothing was written for them; others carry on

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        assert not path.exists()
        with pytest.raises(AuditUnavailable):  # fail closed: no writer, no receipt
            run_async(lambda: rec.record(event(5)))
        with pytest.raises(AuditUnavailable):
            rec.record_sync(event(6))
    finally:
        rec.close()
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def test_a_service_socket_can_be_shared_with_the_portal_group(audit_settings, tmp_path: Path) -> None:
    path = tmp_path / "writer.sock"
    proc = _start_service(audit_settings, path, "--mode", "0660")
    try:
        assert stat.S_IMODE(path.stat().st_mode) == 0o660
    finally:
        proc.terminate()
        assert proc.wait(10) == 0


def test_the_child_writer_exits_with_its_parent(audit_settings) -> None:
    """A portal killed with SIGKILL leaves no writer behind (it sees its stdin close)."""
    code = (
        "import sys\n"
        "from audit.recorder import Recorder\n"
        "from audit.settings import load_settings\n"
        "from tests.audit.helpers import event\n"
        "rec = Recorder(load_settings())\n"
        "print(rec.record_sync(event(1)).seq, rec.writer.process.pid, flush=True)\n"
        "sys.stdin.read()\n"
    )
    env = {**os.environ, **audit_settings.as_env(), "PYTHONPATH": str(ROOT)}
    parent = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        seq, child = (int(x) for x in parent.stdout.readline().split())
        assert seq == 1
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 15
        while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
            if Path(f"/proc/{child}/stat").read_text().split()[2] == "Z":
                break  # exited; only its zombie entry remains until reaped
            time.sleep(0.05)
        assert not Path(f"/proc/{child}").exists() or Path(f"/proc/{child}/stat").read_text().split()[2] == "Z"
    finally:
        if parent.poll() is None:
            parent.kill()


def test_group_commit_waits_for_company_only_under_load() -> None:
    quiet = _Arrivals()
    for i in range(20):
        quiet.note(i * 0.5)  # an append every half second
    assert quiet.window(idle_for=0.4, pending=1) == 0.0  # latency first: commit at once

    busy = _Arrivals()
    for i in range(200):
        busy.note(100 + i * 0.004)  # 250 appends/s from independent requests
    assert 0.0 < busy.window(idle_for=0.002, pending=1) <= 0.020
    assert busy.window(idle_for=0.002, pending=8) == 0.0  # enough company already
    assert busy.window(idle_for=0.0005, pending=1) == 0.0  # a caller that waited for the last commit

    busy.waited(5)  # the wait found company: wait again
    assert busy.window(0.002, 1) > 0.0
    for skipped in (8, 16):  # a wait that found none (one fast sequential client): back off, doubling
        busy.waited(1)
        assert [busy.window(0.002, 1) for _ in range(skipped)] == [0.0] * skipped
        assert busy.window(0.002, 1) > 0.0


EVENT_SUBJECT = list(event().__dict__).index("subject_ref")
