"""``python -m bench checks``: the 逢办必查 check API (R-P5) at scale, per engine (bench/BENCH.md).

One server (``bench.checks_app``: the portal's app plus a bench-only route running the same
handler without its audit append) on a scratch copy of the data set; an agency and an API key made
through the code. wrk posts checks of existing legal persons, each with a new 办件编号, alternately
to ``/api/v1/checks`` (audited) and ``/bench/checks-unaudited`` in the same run: throughput of the
audited route ≥ 0.9 × the unaudited one, both at saturation (``--connections``). The p95 target
(≤ 15 ms) is the latency an approval system sees when the server is not saturated: one client
sending checks back to back (``--latency-connections``, default 1), as the search bench measures
its latency one query at a time; the p95 under saturation is reported beside it (it is queueing).
The run's writes are audit entries, checks and product-use rows, all in the scratch copy.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import uuid
from datetime import datetime, timezone
from pathlib import Path

from bench import dataset as ds
from bench.ingest_bench import Scratch, _child
from bench.server import Server
from bench.throughput import ensure_wrk
from bench.util import RESULTS, CpuWatch, log, machine_info, scale_label, tree_cpu_seconds

P95_MAX_MS = 15.0
RATIO_MIN = 0.9
AUDITED, UNAUDITED = "/api/v1/checks", "/bench/checks-unaudited"


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench checks", description=__doc__)
    p.add_argument("--engines", default="sqlite,postgres")
    p.add_argument("--subjects", type=int, default=None, help="data-set scale (default 1700000; --quick: 20000)")
    p.add_argument("--data-root", type=Path, default=None, help="default /work/benchdata; --quick: /tmp/portal-bench")
    p.add_argument("--quick", action="store_true", help="20k subjects, short wrk runs")
    p.add_argument("--duration", type=int, default=None, help="seconds per wrk run (default 10; --quick: 4)")
    p.add_argument("--rounds", type=int, default=None, help="audited/unaudited alternations (default 3; --quick: 2)")
    p.add_argument("--connections", type=int, default=8, help="wrk connections for the throughput runs")
    p.add_argument("--latency-connections", type=int, default=1, help="wrk connections for the p95 run")
    p.add_argument("--sample", type=int, default=1_000, help="existing legal persons checked")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--pg-port", type=int, default=55440)
    p.add_argument("--pg-options", default="")
    p.add_argument("--results-dir", type=Path, default=RESULTS)
    a = p.parse_args(argv)
    a.subjects = a.subjects or (20_000 if a.quick else 1_700_000)
    a.data_root = (a.data_root or Path("/tmp/portal-bench" if a.quick else "/work/benchdata")).resolve()
    a.duration = a.duration or (4 if a.quick else 10)
    a.rounds = a.rounds or (2 if a.quick else 3)
    a.engines = [e.strip() for e in a.engines.split(",") if e.strip()]
    for e in a.engines:
        if e not in ("sqlite", "postgres"):
            p.error(f"unknown engine {e!r} (sqlite, postgres)")
    return a


class BenchServer(Server):
    name = "bench checks server"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "bench.checks_app", str(self.port)]


def lua(usccs: list[str], tag: str) -> str:
    """Each request: the next subject, a new 办件编号; done() prints the p95 wrk measured."""
    subjects = ",".join(f'"{u}"' for u in usccs)
    return (
        f"local s = {{{subjects}}}\n"
        "local i, n, t = 0, 0, 0\n"
        "local threads = 0\n"
        "function setup(thread) thread:set('id', threads); threads = threads + 1 end\n"
        "function init(args) t = tonumber(id) or 0; i = t * 131 end\n"
        "wrk.method = 'POST'\n"
        "wrk.headers['content-type'] = 'application/json'\n"
        "function request()\n"
        "  i = i % #s + 1; n = n + 1\n"
        '  local body = \'{"subject":{"kind":"legal","uscc":"\' .. s[i] .. \'"},"matter_name":"食品经营许可",'
        f'"case_no":"{tag}-\' .. t .. \'-\' .. n .. \'","domain":"supervision_approval"}}\'\n'
        "  return wrk.format(nil, nil, nil, body)\n"
        "end\n"
        "function done(summary, latency, requests)\n"
        "  io.write(string.format('P95_US %d\\nP50_US %d\\n', latency:percentile(95), latency:percentile(50)))\n"
        "end\n"
    )


def _p(out_res: dict, raw: str) -> None:
    import re

    for key in ("P95", "P50"):
        if m := re.search(rf"{key}_US (\d+)", raw):
            out_res[f"latency_{key.lower()}_ms"] = round(int(m.group(1)) / 1000, 3)


def measure(
    port: int, path: str, key: str, usccs: list[str], duration: int, connections: int, roots, server_pid: int = 0
) -> dict:
    import subprocess

    script = tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="bench-checks-", delete=False)
    script.write(lua(usccs, uuid.uuid4().hex[:8]))
    script.close()
    cmd = [
        ensure_wrk(),
        "-t1",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "--latency",
        "-H",
        f"authorization: Bearer {key}",
        "-s",
        script.name,
        f"http://127.0.0.1:{port}{path}",
    ]
    watch = CpuWatch(roots).start()
    cpu0 = tree_cpu_seconds(server_pid, *roots)
    try:
        raw = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60).stdout
    finally:
        Path(script.name).unlink(missing_ok=True)
    server_cpu = tree_cpu_seconds(server_pid, *roots) - cpu0
    from bench.throughput import parse

    res = parse(raw) | {"path": path, "duration_s": duration, "interference": watch.stop()}
    # The server's (and its audit writer's, and PostgreSQL's) CPU per answered request: the cost
    # the throughput ratio stands for, measurable on a busy machine too.
    res["server_cpu_ms_per_request"] = round(1000 * server_cpu / max(res.get("requests") or 1, 1), 3)
    _p(res, raw)
    if "rps" not in res or "latency_p95_ms" not in res:
        raise SystemExit(f"bench: could not parse wrk output:\n{raw}")
    if res["non_2xx"]:
        raise SystemExit(f"bench: {res['non_2xx']} non-2xx answers on {path}")
    return res


def bench_engine(engine: str, args, machine: dict, workdir: Path) -> dict:
    log(f"=== checks {engine}: {args.subjects} subjects under {args.data_root}")
    if engine == "sqlite":
        data = ds.ensure_sqlite(args.data_root, args.subjects)
    else:
        data = ds.ensure_postgres(args.data_root, args.subjects, args.pg_port, args.pg_options)
    scratch = None
    try:
        # The scratch copy goes under /tmp: the data sets' own directory is read-only to us.
        scratch = Scratch(data, Path(tempfile.gettempdir()))
        _child(scratch.env, "-m", "portal", "migrate")
        out = workdir / f"setup-{engine}.json"
        _child(scratch.env, "-m", "bench.checks_setup", str(out), str(args.sample), str(args.seed))
        setup = json.loads(out.read_text())
        usccs = [u for u, _ in setup["existing"]]
        logfile = Path(tempfile.gettempdir()) / f"portal-bench-checks-{engine}-{uuid.uuid4().hex[:6]}.log"
        rounds = []
        with BenchServer(scratch.env, logfile) as server:
            log("warm-up (untimed)")
            for path in (AUDITED, UNAUDITED):
                measure(server.port, path, setup["key"], usccs, 2, args.connections, data.roots(), server.proc.pid)
            for r in range(args.rounds):
                pair = {}
                for path in (AUDITED, UNAUDITED) if r % 2 == 0 else (UNAUDITED, AUDITED):
                    log(f"round {r + 1}: wrk {path} {args.duration}s")
                    pair["audited" if path == AUDITED else "unaudited"] = measure(
                        server.port,
                        path,
                        setup["key"],
                        usccs,
                        args.duration,
                        args.connections,
                        data.roots(),
                        server.proc.pid,
                    )
                rounds.append(pair)
            log(f"latency: wrk {AUDITED} {args.duration}s, {args.latency_connections} connection(s)")
            latency = measure(
                server.port,
                AUDITED,
                setup["key"],
                usccs,
                args.duration,
                args.latency_connections,
                data.roots(),
                server.proc.pid,
            )
    finally:
        if scratch is not None:
            scratch.close()
        data.close()
    return report(engine, args, machine, data, rounds, latency)


def _mean(rounds, side, key) -> float:
    return round(sum(r[side][key] for r in rounds) / len(rounds), 3)


def report(engine, args, machine, data, rounds, latency) -> dict:
    a_rps, u_rps = _mean(rounds, "audited", "rps"), _mean(rounds, "unaudited", "rps")
    p95 = latency["latency_p95_ms"]
    ratio = round(a_rps / u_rps, 4) if u_rps else None
    targets = {
        "check_p95_ms": {"value": p95, "limit": f"<= {P95_MAX_MS}", "pass": p95 <= P95_MAX_MS},
        "audited_over_unaudited": {
            "value": ratio,
            "limit": f">= {RATIO_MIN}",
            "pass": bool(ratio and ratio >= RATIO_MIN),
        },
    }
    problems = [
        f"other processes used {x['interference']['other_processes_cores']} cores during {x['path']}"
        for x in [*(x for r in rounds for x in r.values()), latency]
        if (x["interference"].get("other_processes_cores") or 0) >= 0.2
    ]
    return {
        "benchmark": "credit-portal 逢办必查 check API (audited vs the same handler unaudited)",
        "format": 1,
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "engine": engine,
        "quick": args.quick,
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "machine": machine,
        "dataset": {"location": str(data.location), "label": scale_label(args.subjects), "notes": data.notes},
        "audited_rps": a_rps,
        "unaudited_rps": u_rps,
        "audited_p95_ms": p95,
        "audited_p50_ms": latency.get("latency_p50_ms"),
        "latency_run": latency,
        "server_cpu_ms_per_request": {
            "audited": _mean(rounds, "audited", "server_cpu_ms_per_request"),
            "unaudited": _mean(rounds, "unaudited", "server_cpu_ms_per_request"),
        },
        "audited_p95_ms_saturated_worst_round": max(r["audited"]["latency_p95_ms"] for r in rounds),
        "unaudited_p95_ms_saturated_worst_round": max(r["unaudited"]["latency_p95_ms"] for r in rounds),
        "rounds": rounds,
        "targets": targets,
        "all_targets_pass": all(t["pass"] for t in targets.values()),
        "problems": problems,
    }


def summary(reports: list[dict]) -> str:
    lines = []
    for r in reports:
        t = r["targets"]
        cpu = r["server_cpu_ms_per_request"]
        lines += [
            "",
            f"{r['engine']} — data set {r['dataset']['label']}; "
            f"{r['machine']['cores']} cores {r['machine']['cpu_model']}",
            f"  check p95 {r['audited_p95_ms']} ms (p50 {r['audited_p50_ms']} ms, one client)"
            f" {t['check_p95_ms']['limit']} {'PASS' if t['check_p95_ms']['pass'] else 'FAIL'};"
            f" saturated: audited {r['audited_rps']:.0f} req/s, unaudited {r['unaudited_rps']:.0f} req/s;"
            f" ratio {t['audited_over_unaudited']['value']} {t['audited_over_unaudited']['limit']}"
            f" {'PASS' if t['audited_over_unaudited']['pass'] else 'FAIL'}",
            f"  server CPU per check (server, audit writer, PostgreSQL): audited"
            f" {cpu['audited']} ms, unaudited {cpu['unaudited']} ms",
        ]
        lines += [f"  ! {x}" for x in r["problems"]]
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    ensure_wrk()
    args.results_dir.mkdir(parents=True, exist_ok=True)
    machine = machine_info()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    reports, files = [], []
    with tempfile.TemporaryDirectory(prefix="portal-bench-checks-") as tmp:
        for engine in args.engines:
            r = bench_engine(engine, args, machine, Path(tmp))
            path = args.results_dir / f"{stamp}-checks-{engine}.json"
            path.write_text(json.dumps(r, ensure_ascii=False, indent=1))
            files.append(str(path))
            reports.append(r)
            log(f"wrote {path}")
    latest = args.results_dir / "checks-latest.json"
    combined = {"machine": machine, "files": files, "engines": {r["engine"]: r for r in reports}}
    latest.write_text(
        json.dumps(combined | {"all_targets_pass": all(r["all_targets_pass"] for r in reports)}, ensure_ascii=False)
    )
    log(f"wrote {latest}")
    print(summary(reports))
