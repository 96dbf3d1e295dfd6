"""Durable appends per second with concurrent writer processes (issue 3; bench/BENCH.md).

The parent starts ``--processes`` children (``python -m bench.audit_append --child``), each with
``--tasks`` asyncio tasks calling ``audit.recorder.record(...)`` (the portal's one entry point, the
process-wide recorder built from the AUDIT_* environment) in a loop. Every child appends once to
warm up, waits for the common start time, appends for ``--duration`` seconds, then lets its pending
appends finish. A receipt counts only when ``record`` returned it (= after COMMIT); failures
(``AuditUnavailable``) are counted apart. Afterwards the parent checks on the store: number of
entries == acknowledged receipts (warm-up included), contiguous seq, per-subject counts consistent,
and ``python -m audit verify --full`` exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time

from bench.util import ROOT, log, summarize_ms

SUBJECTS = 5000


def _event(w: int, i: int, tag: str):
    from audit.recorder import QueryEvent

    s = (w * 7919 + i * 104729) % SUBJECTS
    return QueryEvent(
        requester_account=f"tp{w % 40}-{w % 3}",
        requester_role="third_party",
        requester_org=f"郑州某信用管理有限公司{w % 40}",
        method="third_party",
        reason_code="business_cooperation",
        reason_text="签订合同前了解交易对方信用状况",
        subject_ref=f"l:bench-{s:06d}",
        subject_label=f"郑州宏达建设工程{s}有限公司（91410100MA{s:08d}）",
        scope="A,B",
        authority_ref=f"authorization:{w}",
        authority_sha256="a" * 64,
        outcome="allowed" if i % 50 else "refused:authorization_not_effective",
        request_id=f"{tag}-{w}-{i}",
    )


async def _child(tasks: int, duration: float, start_at: float, tag: str) -> dict:
    from audit.recorder import AuditUnavailable, get_recorder, record

    await record(_event(0, 0, f"{tag}-warm"))  # connect, migrate check, first commit: not timed
    acked = acked_in_window = errors = 0
    latencies: list[float] = []
    end_at = start_at + duration
    await asyncio.sleep(max(0.0, start_at - time.time()))

    async def worker(w: int) -> None:
        nonlocal acked, acked_in_window, errors
        i = 0
        while time.time() < end_at:
            i += 1
            t0 = time.perf_counter()
            try:
                await record(_event(w, i, tag))
            except AuditUnavailable:
                errors += 1
                continue
            t1 = time.perf_counter()
            acked += 1
            if time.time() <= end_at:
                acked_in_window += 1
                if len(latencies) < 200_000:
                    latencies.append((t1 - t0) * 1000)

    await asyncio.gather(*(worker(w) for w in range(tasks)))
    get_recorder().close()
    return {
        "acked": acked + 1,  # + the warm-up
        "acked_in_window": acked_in_window,
        "errors": errors,
        "latency_ms": summarize_ms(latencies),
    }


def child_main(argv: list[str]) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--child", action="store_true")
    p.add_argument("--tasks", type=int)
    p.add_argument("--duration", type=float)
    p.add_argument("--start-at", type=float)
    p.add_argument("--tag")
    a = p.parse_args(argv)
    result = asyncio.run(_child(a.tasks, a.duration, a.start_at, a.tag))
    print(json.dumps(result))


async def _store_facts(settings) -> dict:
    from audit.db import connect

    async with connect(settings, "admin") as conn:
        n, lo, hi = await conn.fetchrow("SELECT count(*), min(seq), max(seq) FROM entries")
        allowed = await conn.fetchval("SELECT count(*) FROM entries WHERE outcome = 'allowed'")
        sums = await conn.fetchrow("SELECT sum(allowed_count), sum(refused_count) FROM subject_counts")
        bad_counts = await conn.fetchval(
            "SELECT count(*) FROM subject_counts c LEFT JOIN (SELECT subject_ref, "
            "sum(CASE WHEN outcome = 'allowed' THEN 1 ELSE 0 END) AS a, count(*) AS n FROM entries "
            "GROUP BY subject_ref) e ON e.subject_ref = c.subject_ref "
            "WHERE coalesce(e.a, 0) <> c.allowed_count OR coalesce(e.n, 0) <> c.allowed_count + c.refused_count"
        )
        head = await conn.fetchval("SELECT last_seq FROM chain_head WHERE id = 1")
        max_batch_time = await conn.fetchval(
            "SELECT max(c) FROM (SELECT count(*) AS c FROM entries GROUP BY created_at) t"
        )
    return {
        "entries": int(n),
        "min_seq": lo,
        "max_seq": hi,
        "head_seq": head,
        "allowed": int(allowed),
        "subject_counts_allowed": int(sums[0] or 0),
        "subject_counts_refused": int(sums[1] or 0),
        "subjects_with_wrong_count": int(bad_counts),
        "largest_group_commit": max_batch_time,  # entries sharing one created_at = one transaction (lower bound)
    }


def run_append(env: dict[str, str], settings, processes: int, tasks: int, duration: float, label: str) -> dict:
    """One measurement on a fresh, migrated store described by ``env``/``settings``."""
    start_at = time.time() + 3.0 + 0.3 * processes  # time for every child to import, connect and warm up
    procs = []
    for k in range(processes):
        cmd = [
            sys.executable,
            "-m",
            "bench.audit_append",
            "--child",
            "--tasks",
            str(tasks),
            "--duration",
            str(duration),
            "--start-at",
            str(start_at),
            "--tag",
            f"{label}-p{k}",
        ]
        procs.append(
            subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        )
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=duration + 120)
        if proc.returncode != 0:
            raise SystemExit(f"bench: append child failed ({proc.returncode}):\n{err[-3000:]}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    late = time.time() - (start_at + duration)
    facts = asyncio.run(_store_facts(settings))
    verify = subprocess.run(
        [sys.executable, "-m", "audit", "verify", "--full", "--no-record"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    acked = sum(r["acked"] for r in results)
    in_window = sum(r["acked_in_window"] for r in results)
    lat = [r["latency_ms"] for r in results]
    rate = in_window / duration
    checks = {
        "entries_equal_acknowledged": facts["entries"] == acked,
        "seq_contiguous": facts["entries"] == (facts["max_seq"] or 0) and facts["min_seq"] in (1, None),
        "head_matches": facts["head_seq"] == facts["max_seq"],
        "subject_counts_match": facts["subjects_with_wrong_count"] == 0
        and facts["subject_counts_allowed"] == facts["allowed"]
        and facts["subject_counts_allowed"] + facts["subject_counts_refused"] == facts["entries"],
        "verify_full_exit_0": verify.returncode == 0,
    }
    log(
        f"append {label}: {processes} proc x {tasks} tasks, {duration:.0f}s: {rate:,.0f} acked/s "
        f"(errors {sum(r['errors'] for r in results)}), store {facts['entries']:,} = acked {acked:,}: "
        f"{'ok' if all(checks.values()) else 'MISMATCH'}; verify: {verify.stdout.strip()[:160]}"
    )
    return {
        "processes": processes,
        "tasks_per_process": tasks,
        "duration_s": duration,
        "acked_in_window": in_window,
        "appends_per_s": round(rate, 1),
        "acked_total": acked,
        "errors": sum(r["errors"] for r in results),
        "children_finished_late_s": round(late, 2),
        "latency_ms_per_process": lat,
        "store": facts,
        "checks": checks,
        "ok": all(checks.values()),
        "verify_output": verify.stdout.strip()[-500:] + verify.stderr.strip()[-500:],
    }


if __name__ == "__main__":
    if "--child" in sys.argv:
        child_main(sys.argv[1:])
    else:
        raise SystemExit("run through `python -m bench audit` (bench/BENCH.md)")
    os._exit(0)
