"""Fault test (issue 3 "Done when"): the portal killed with SIGKILL, repeatedly, during concurrent
queries. Every query the portal answered with the records (its acknowledgement that the audit entry
was committed, R-19 / §6) must be in the log afterwards, and the chain must verify.

The real server (``python -m portal serve --workers 2``: two processes appending to one chain) runs on
the suite's engine and audit store; eight clients keep querying (POST /me/records, then the result
page) with their own request ids while the whole process group is killed mid-run, three times.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from audit import recorder
from audit import service as audit_service
from audit.service import BrowseFilters
from tests import factories as f
from tests.integration.test_queries import _subject_with_markers
from tests.queryflow import verified_account as _verified_account

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 3
CLIENTS = 8


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _start(port: int, log: Path) -> subprocess.Popen:
    env = dict(os.environ)
    env["PORTAL_ALLOWED_HOSTS"] = f"127.0.0.1,127.0.0.1:{port}"
    command = [sys.executable, "-m", "portal", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient() as probe:
        while True:
            assert process.poll() is None, log.read_text()[-2000:]
            try:
                if (await probe.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    return process
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the portal did not start"
            await asyncio.sleep(0.1)


async def _all_entries(username: str) -> list[dict]:
    items, key = [], None
    while True:
        page = await audit_service.browse(BrowseFilters(requester_account=username), key, 500)
        items += page.items
        if not page.next_key:
            return items
        key = page.next_key


async def _explain_count(subject_ref: str, entries: list[dict], count: int) -> str:
    """What the cumulative count holds that this user's distinct allowed queries do not."""
    mine = Counter(e["request_id"] for e in entries if e["outcome"] == "allowed")
    twice = {rid: n for rid, n in mine.items() if n > 1}
    others, key = [], None
    while True:
        page = await audit_service.browse(BrowseFilters(subject_ref=subject_ref, outcome="allowed"), key, 500)
        others += [(e["seq"], e["requester_account"], e["method"], e["request_id"]) for e in page.items]
        if not page.next_key:
            break
        key = page.next_key
    others = [o for o in others if o[3] not in mine]
    return f"count {count}, distinct allowed ids {len(mine)}; ids recorded twice {twice}; others {others[:10]}"


async def test_portal_killed_mid_query_loses_no_acknowledged_entry(tmp_path):
    s = await _subject_with_markers("natural")
    user = await _verified_account("citizen", s["id"])
    marker = s["markers"]["C"]
    rng = random.Random(9)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    acknowledged: set[str] = set()
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        for round_no in range(ROUNDS):
            server = await _start(port, tmp_path / "server.log")
            if round_no == 0:
                assert (await f.login(client, user["username"])).status_code == 303
            stop = asyncio.Event()

            async def query(worker: int, round_no: int = round_no, stop: asyncio.Event = stop) -> None:
                i = 0
                while not stop.is_set():
                    request_id = f"kill-{round_no}-{worker}-{i:06d}"
                    i += 1
                    try:
                        posted = await client.post(
                            "/me/records",
                            data={"_csrf_token": client.cookies.get("csrftoken")},
                            headers={"x-request-id": request_id},
                        )
                        if posted.status_code != 303:
                            continue
                        answer = await client.get(posted.headers["location"])
                    except httpx.TransportError:
                        return  # the server is gone: this one was not acknowledged
                    if answer.status_code == 200 and marker in answer.text:
                        acknowledged.add(request_id)

            before = len(acknowledged)
            tasks = [asyncio.create_task(query(w)) for w in range(CLIENTS)]
            deadline = time.monotonic() + 60
            while len(acknowledged) < before + 40 and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            await asyncio.sleep(rng.uniform(0.05, 0.3))  # mid-run, while both workers append
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(10)
            stop.set()
            await asyncio.gather(*tasks)
            assert len(acknowledged) >= before + 40, "the portal answered too few queries to test anything"

    # The audit writer may outlive the portal (this test process can own it) and commit an entry a
    # killed worker handed over a moment after the kill: read the entries between two equal counts,
    # so both describe the same moment (an entry and its count change in one transaction, R-19).
    deadline = time.monotonic() + 30
    while True:
        before = (await recorder.subject_count(s["ref"])).allowed
        entries = await _all_entries(user["username"])
        count = (await recorder.subject_count(s["ref"])).allowed
        if count == before or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    allowed = {e["request_id"] for e in entries if e["outcome"] == "allowed"}
    missing = acknowledged - allowed
    assert not missing, f"answered with records but not in the query log: {sorted(missing)[:5]}"
    assert count == len(allowed), await _explain_count(s["ref"], entries, count)  # same transaction
    verify = subprocess.run(
        [sys.executable, "-m", "audit", "verify", "--full"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
