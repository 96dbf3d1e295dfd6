"""``python -m bench audit``: the query-audit benchmarks of issue 3, per engine (bench/BENCH.md).

Parts (``--parts``, default all):
  selfquery  throughput of the audited self-query (POST /me/records, then GET of its result page, as
             a browser makes it) vs the same app with the audit append replaced by a no-op
             (bench/audit_app.py), alternating wrk rounds; ratio >= 0.9
  append     durable appends/s, several processes x many tasks calling audit.recorder.record;
             store count == acknowledged receipts, chain verifies; target >= 2,000/s
  browse     filtered browse over the 10M-entry log, page 1 and page 1,000 (keyset), p95 <= 20 ms
             and page 1000 <= 1.5 x page 1; in-process (audit.service.browse) and, when the
             auditor UI route exists, over HTTP (GET /audit/log, htmx fragment) as an auditor
  verify     python -m audit verify --full over the 10M entries; target >= 100,000 entries/s
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from bench import audit_data as ad
from bench import dataset as ds
from bench.util import RESULTS, ROOT, CpuWatch, log, machine_info, summarize_ms, wait_until_quiet

PARTS = ("selfquery", "append", "browse", "verify")
RATIO_MIN = 0.9
APPENDS_MIN = 2000.0
BROWSE_P95_MS = 20.0
DEEP_OVER_FIRST_MAX = 1.5
VERIFY_MIN = 100_000.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench audit", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--engines", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    p.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated: {', '.join(PARTS)}")
    p.add_argument("--quick", action="store_true", help="smoke run: 200k entries, 20k subjects, short runs")
    p.add_argument("--entries", type=int, default=None, help="audit entries for browse/verify (default 10000000)")
    p.add_argument("--subjects", type=int, default=20_000, help="portal data set for the self-query (default 20000)")
    p.add_argument("--data-root", type=Path, default=None, help="default /work/benchdata (--quick: /tmp/portal-bench)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--rounds", type=int, default=None, help="wrk rounds per server (default 4; --quick 2)")
    p.add_argument("--wrk-duration", type=int, default=None, help="seconds per wrk round (default 10; --quick 3)")
    p.add_argument("--wrk-connections", type=int, default=16)
    p.add_argument(
        "--audited-factory",
        default="audited",
        choices=("audited", "waiting"),
        help="A1's first server: the real portal (default), or 'waiting' (diagnostic: sleeps 12 ms, no audit)",
    )
    p.add_argument("--wrk-threads", type=int, default=1)
    p.add_argument(
        "--append-configs",
        default="1x128,4x32,4x128",
        help="processes x tasks per process, comma-separated (default 1x128,4x32,4x128)",
    )
    p.add_argument("--append-duration", type=float, default=None, help="seconds per append run (default 10)")
    p.add_argument("--page-size", type=int, default=50)
    p.add_argument("--deep-page", type=int, default=1000, help="the deep page measured (default 1000)")
    p.add_argument("--samples", type=int, default=200, help="timed requests per page and filter (default 200)")
    p.add_argument("--pg-port", type=int, default=55440, help="port of the portal data set's cluster")
    p.add_argument("--audit-pg-port", type=int, default=55441, help="port of the audit cluster (pg-audit)")
    p.add_argument("--pg-options", default="", help="extra postgres -o options for clusters we start")
    p.add_argument("--results-dir", type=Path, default=RESULTS)
    p.add_argument("--quiet-wait", type=int, default=None, help="seconds to wait for a quiet machine (default 120)")
    a = p.parse_args(argv)
    q = a.quick
    a.entries = a.entries or (200_000 if q else 10_000_000)
    a.data_root = (a.data_root or Path("/tmp/portal-bench" if q else "/work/benchdata")).resolve()
    a.rounds = a.rounds or (2 if q else 4)
    a.wrk_duration = a.wrk_duration or (3 if q else 10)
    a.append_duration = a.append_duration or (3.0 if q else 10.0)
    a.quiet_wait = (0 if q else 120) if a.quiet_wait is None else a.quiet_wait
    if q:
        a.deep_page = min(a.deep_page, max(2, a.entries // 20 // a.page_size))
        a.samples = min(a.samples, 50)
    a.engines = [e.strip() for e in a.engines.split(",") if e.strip()]
    a.parts = [x.strip() for x in a.parts.split(",") if x.strip()]
    for e in a.engines:
        if e not in ("sqlite", "postgres"):
            p.error(f"unknown engine {e!r}")
    for x in a.parts:
        if x not in PARTS:
            p.error(f"unknown part {x!r}")
    a.append_configs = [tuple(int(n) for n in c.split("x")) for c in a.append_configs.split(",") if c]
    return a


# --------------------------------------------------------------------------------------------
# Stores
# --------------------------------------------------------------------------------------------


def _env(settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDIT_")}
    env |= {k: v for k, v in settings.as_env().items() if v}
    env["PYTHONUNBUFFERED"] = "1"
    return env


class Engine:
    """The audit stores of one engine: the big data set and fresh scratch stores."""

    def __init__(self, name: str, args: argparse.Namespace) -> None:
        self.name = name
        self.args = args
        self.cluster: ds.PgCluster | None = None
        self.spec = ad.Spec(args.entries, args.seed)

    def start(self) -> None:
        if self.name != "postgres":
            return
        datadir = self.args.data_root / "pg-audit"
        running = ds.PgCluster.running_port(datadir) if datadir.exists() else None
        if running is not None:
            self.cluster = ds.PgCluster(datadir, running)
            log(f"{datadir}: already running on port {running}; using it")
            return
        if not (datadir / "PG_VERSION").exists():
            ds._initdb(datadir)
        if ds.port_in_use(self.args.audit_pg_port):
            raise SystemExit(f"bench: port {self.args.audit_pg_port} in use; choose --audit-pg-port")
        self.cluster = ds.PgCluster(datadir, self.args.audit_pg_port)
        self.cluster.start(self.args.pg_options)

    def roots(self) -> tuple[int, ...]:
        pid = self.cluster.postmaster_pid() if self.cluster else None
        return (pid,) if pid else ()

    def big(self):
        if self.name == "sqlite":
            return ad.ensure_sqlite(self.args.data_root, self.spec)
        return ad.ensure_postgres(self.cluster, self.args.data_root, self.spec, self.args.pg_options)

    def scratch(self, name: str):
        """A fresh, migrated, empty store (settings) for appends."""
        from audit.settings import load_settings

        base = self.args.data_root / "audit-scratch"
        data_dir = base / f"{self.name}-{name}"
        shutil.rmtree(data_dir, ignore_errors=True)
        data_dir.mkdir(parents=True)
        if self.name == "sqlite":
            settings = load_settings({"AUDIT_DATA_DIR": str(data_dir)})
        else:
            database = f"audit_scratch_{name}"
            asyncio.run(ad.pg_create_database(self.cluster.port, database, drop=True))
            settings = ad.pg_settings(self.cluster.port, database, data_dir)
        asyncio.run(ad._migrate(settings))
        return settings

    def stop(self) -> None:
        if self.cluster is not None:
            self.cluster.stop_if_ours()


# --------------------------------------------------------------------------------------------
# Parts
# --------------------------------------------------------------------------------------------


def part_append(engine: Engine, args) -> dict:
    from bench.audit_append import run_append

    runs = []
    for processes, tasks in args.append_configs:
        settings = engine.scratch("append")
        watch = CpuWatch(engine.roots()).start()
        res = run_append(_env(settings), settings, processes, tasks, args.append_duration, f"{processes}x{tasks}")
        res["interference"] = watch.stop()
        runs.append(res)
    best_multi = [r for r in runs if r["processes"] > 1]
    return {
        "runs": runs,
        "max_multi_process_appends_per_s": max((r["appends_per_s"] for r in best_multi), default=None),
    }


def part_selfquery(engine: Engine, args, stamp: str) -> dict:
    from bench.audit_http import AppServer, alternate_wrk, check_query, login, query_flow_lua

    if engine.name == "sqlite":
        data = ds.ensure_sqlite(args.data_root, args.subjects)
    else:
        data = ds.ensure_postgres(args.data_root, args.subjects, args.pg_port, args.pg_options)
    try:
        settings = engine.scratch("selfquery")
        env = data.env | {k: v for k, v in settings.as_env().items() if v}
        subprocess.run([sys.executable, "-m", "portal", "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
        r = subprocess.run(
            [sys.executable, "-m", "bench.audit_setup", "verify-citizen", "citizen"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if r.returncode != 0:
            raise SystemExit(f"bench: could not verify the demo citizen:\n{r.stderr[-2000:]}")
        logdir = Path(tempfile.gettempdir())
        roots = engine.roots() + data.roots()
        with (
            AppServer(env, logdir / f"bench-audited-{engine.name}-{stamp}.log", args.audited_factory) as a,
            AppServer(env, logdir / f"bench-unaudited-{engine.name}-{stamp}.log", "unaudited") as u,
        ):
            from bench.util import log as _log

            cookie = login(a.port, "citizen", "Demo-citizen-2026")
            before = asyncio.run(_count(settings))
            pages = {name: check_query(port, cookie) for name, port in (("audited", a.port), ("unaudited", u.port))}
            after_check = asyncio.run(_count(settings))
            for name, page in pages.items():
                if page["status"] != 200 or "<html" not in page["text"].lower():
                    raise SystemExit(f"bench: the self-query on the {name} server: HTTP {page['status']}")
            same_html = _strip_dynamic(pages["audited"]["text"]) == _strip_dynamic(pages["unaudited"]["text"])
            _log(
                f"self-query result page: {pages['audited']['decoded_bytes']} bytes; audited appended "
                f"{after_check - before} entry for one query"
            )
            runs = alternate_wrk(
                {"audited": a.port, "unaudited": u.port},
                "/me/records",
                cookie,
                args.rounds,
                args.wrk_duration,
                args.wrk_connections,
                args.wrk_threads,
                roots,
                {"audited": a.proc.pid if a.proc else None, "unaudited": u.proc.pid if u.proc else None},
                query_flow_lua(cookie),
            )
            # One client querying in sequence: what the audit adds to a lone request's latency.
            light = alternate_wrk(
                {"audited": a.port, "unaudited": u.port},
                "/me/records",
                cookie,
                2,
                min(5, args.wrk_duration),
                1,
                1,
                roots,
                {"audited": a.proc.pid if a.proc else None, "unaudited": u.proc.pid if u.proc else None},
                query_flow_lua(cookie),
            )
            rss = {"audited": a.rss_mb(), "unaudited": u.rss_mb()}
        appended = asyncio.run(_count(settings)) - after_check
    finally:
        data.close()
    audited = sum(x["rps"] for x in runs["audited"])
    unaudited = sum(x["rps"] for x in runs["unaudited"])
    requests_audited = sum(x.get("requests", 0) for x in runs["audited"] + light["audited"])
    # Half the requests are the query's POST (one entry each); the warm-up rounds append too.
    warm = appended - requests_audited // 2
    pairs = [round(x["rps"] / y["rps"], 4) for x, y in zip(runs["audited"], runs["unaudited"])]
    return {
        "path": "POST /me/records, then GET /queries/{token} (alternating)",
        "who": "demo account 'citizen' (verified identity), logged in through the form",
        "page_decoded_bytes": pages["audited"]["decoded_bytes"],
        "pages_identical_apart_from_tokens_and_count": same_html,
        "rounds": args.rounds,
        "duration_s": args.wrk_duration,
        "connections": args.wrk_connections,
        "threads": args.wrk_threads,
        "audited_rps_mean": round(audited / len(runs["audited"]), 1),
        "unaudited_rps_mean": round(unaudited / len(runs["unaudited"]), 1),
        "ratio": round(audited / unaudited, 4) if unaudited else None,
        "ratio_per_round": pairs,
        "entries_appended_during_wrk": appended,
        "wrk_requests_audited": requests_audited,
        "appended_minus_requests (warm-up + in flight)": warm,
        "non_2xx": {k: sum(x["non_2xx"] for x in v) for k, v in runs.items()},
        "socket_errors": {k: sum(x["socket_errors"] for x in v) for k, v in runs.items()},
        "server_rss_mb": rss,
        "one_client": {
            name: {
                "rps_mean": round(sum(x["rps"] for x in v) / len(v), 1),
                "latency_p50_ms": max(x.get("latency_p50_ms") or 0 for x in v),
                "latency_p99_ms": max(x.get("latency_p99_ms") or 0 for x in v),
            }
            for name, v in light.items()
        },
        "runs": runs,
    }


_TOKEN = re.compile(r'(csrf[^"]*"\s*(?:content|value)=")[^"]*|("x-csrftoken":\s*")[^"]*|/queries/[^/"]+')
_NUMBERS = re.compile(r"\d+")  # the receipt's seq, count and time (the no-op receipt says 0)


def _strip_dynamic(html: str) -> str:
    return _NUMBERS.sub("", _TOKEN.sub("", html))


async def _count(settings) -> int:
    from audit.db import connect

    async with connect(settings, "admin") as conn:
        return int(await conn.fetchval("SELECT count(*) FROM entries"))


def part_browse_service(settings, manifest: dict, args) -> dict:
    return asyncio.run(_browse_service(settings, manifest, args))


async def _browse_service(settings, manifest: dict, args) -> dict:
    from audit.service import BrowseFilters, browse
    from audit.store import Store

    store = Store(settings, role="reader")
    out = {}
    try:
        for name, value in manifest["filters"].items():
            filters = BrowseFilters(**{name: value})
            t0 = time.perf_counter()
            key, first_keys = None, []
            for page_no in range(1, args.deep_page):
                page = await browse(filters, key, args.page_size, store)
                if page.next_key is None:
                    raise SystemExit(f"bench: filter {name}={value!r} has fewer than {args.deep_page} pages")
                key = page.next_key
                if page_no == 1:
                    first_keys = [i["seq"] for i in page.items[:3]]
            walk_s = time.perf_counter() - t0
            deep = await browse(filters, key, args.page_size, store)
            samples: dict[str, list[float]] = {"page_1": [], f"page_{args.deep_page}": []}
            for _ in range(5):  # warm-up
                await browse(filters, None, args.page_size, store)
                await browse(filters, key, args.page_size, store)
            for _ in range(args.samples):
                for label, k in (("page_1", None), (f"page_{args.deep_page}", key)):
                    t = time.perf_counter()
                    page = await browse(filters, k, args.page_size, store)
                    samples[label].append((time.perf_counter() - t) * 1000)
                    assert len(page.items) == args.page_size
            stats = {k: summarize_ms(v) for k, v in samples.items()}
            out[name] = {
                "value": value,
                "deep_page_key": key,
                "deep_page_first_seq": deep.items[0]["seq"],
                "page_1_first_seqs": first_keys,
                "walk_to_deep_page_s": round(walk_s, 2),
                "latency_ms": stats,
                "deep_over_first_p50": round(stats[f"page_{args.deep_page}"]["p50"] / stats["page_1"]["p50"], 3),
            }
            log(
                f"browse (service) {name}: page 1 p50 {stats['page_1']['p50']:.2f} / "
                f"p95 {stats['page_1']['p95']:.2f} ms, page {args.deep_page} p50 "
                f"{stats[f'page_{args.deep_page}']['p50']:.2f} / "
                f"p95 {stats[f'page_{args.deep_page}']['p95']:.2f} ms (walk {walk_s:.1f}s)"
            )
    finally:
        store.close()
    return out


def audit_route_exists() -> bool:
    """The auditor UI's GET /audit/log, once another change adds it (checked in a child process)."""
    code = (
        "from portal.app import create_app\n"
        "app = create_app()\n"
        "print(any(r.path == '/audit/log' and 'GET' in getattr(r, 'methods', ()) for r in app.routes))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    return r.stdout.strip().endswith("True")


def part_verify(settings, args, roots) -> dict:
    watch = CpuWatch(roots).start()
    t0 = time.monotonic()
    r = subprocess.run(
        [sys.executable, "-m", "audit", "verify", "--full", "--no-record"],
        cwd=ROOT,
        env=_env(settings),
        capture_output=True,
        text=True,
        timeout=3600,
    )
    wall = time.monotonic() - t0
    interference = watch.stop()
    m = re.search(r"(\d+) entries .* in ([\d.]+)s \(([\d,]+) entries/s\)", r.stdout)
    entries = int(m.group(1)) if m else None
    rate = float(m.group(3).replace(",", "")) if m else None
    log(f"verify --full: exit {r.returncode}: {r.stdout.strip()[:200]} (wall {wall:.1f}s)")
    return {
        "command": "python -m audit verify --full --no-record",
        "exit_code": r.returncode,
        "output": (r.stdout + r.stderr).strip()[-1000:],
        "entries": entries,
        "entries_per_s": rate,
        "verifier_elapsed_s": float(m.group(2)) if m else None,
        "process_wall_s": round(wall, 1),
        "entries_per_s_including_startup": round(entries / wall, 0) if entries else None,
        "interference": interference,
    }


# --------------------------------------------------------------------------------------------
# Orchestration
# --------------------------------------------------------------------------------------------


def bench_engine(name: str, args, stamp: str) -> dict:
    engine = Engine(name, args)
    report: dict = {"engine": name, "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    started = time.monotonic()
    engine.start()
    try:
        if "browse" in args.parts or "verify" in args.parts:
            t = time.monotonic()
            settings, manifest = engine.big()
            report["dataset"] = manifest | {"prepare_s": round(time.monotonic() - t, 1)}
        report["quiet_wait"] = wait_until_quiet(args.quiet_wait, extra_roots=engine.roots())
        if "verify" in args.parts:
            report["verify"] = part_verify(settings, args, engine.roots())
        if "browse" in args.parts:
            watch = CpuWatch(engine.roots()).start()
            report["browse_service"] = part_browse_service(settings, manifest, args)
            report["browse_service_interference"] = watch.stop()
            if audit_route_exists():
                from bench.audit_browse_http import part_browse_http

                watch = CpuWatch(engine.roots()).start()
                report["browse_http"] = part_browse_http(engine, settings, manifest, args, stamp)
                report["browse_http_interference"] = watch.stop()
                for name, b in report["browse_http"].items():
                    if isinstance(b, dict) and "deep_page_key" in b:
                        b["deep_page_key_matches_service_walk"] = (
                            b["deep_page_key"] == report["browse_service"][name]["deep_page_key"]
                        )
            else:
                report["browse_http"] = {"skipped": "GET /audit/log does not exist in portal.app yet"}
                log("browse over HTTP skipped: no GET /audit/log route yet")
        if "append" in args.parts:
            report["append"] = part_append(engine, args)
        if "selfquery" in args.parts:
            report["selfquery"] = part_selfquery(engine, args, stamp)
    finally:
        engine.stop()
    report["total_s"] = round(time.monotonic() - started, 1)
    report["targets"] = targets(report, args)
    return report


def targets(r: dict, args) -> dict:
    t: dict = {}
    if "selfquery" in r:
        v = r["selfquery"]["ratio"]
        errors = sum(r["selfquery"]["non_2xx"].values()) + sum(r["selfquery"]["socket_errors"].values())
        t["selfquery_ratio"] = {
            "value": v,
            "limit": f">= {RATIO_MIN}, no error answers",
            "pass": v is not None and v >= RATIO_MIN and errors == 0,
        }
    if "append" in r:
        for run in r["append"]["runs"]:
            v = run["appends_per_s"]
            t[f"appends_per_s_{run['processes']}x{run['tasks_per_process']}"] = {
                "value": v,
                "limit": f">= {APPENDS_MIN:.0f}, store == acknowledged, chain verifies",
                "pass": v >= APPENDS_MIN and run["ok"],
            }
    deep = f"page_{args.deep_page}"
    for source in ("browse_http",):  # rendered, as the issue asks; browse_service is informational
        for name, b in (r.get(source) or {}).items():
            if not isinstance(b, dict) or "latency_ms" not in b:
                continue
            lat = b["latency_ms"]
            for page in ("page_1", deep):
                v = lat[page]["p95"]
                t[f"{source}_{name}_{page}_p95_ms"] = {
                    "value": v,
                    "limit": f"<= {BROWSE_P95_MS}",
                    "pass": v <= BROWSE_P95_MS,
                }
            v = round(lat[deep]["p95"] / lat["page_1"]["p95"], 3)
            t[f"{source}_{name}_{deep}_over_page_1_p95"] = {
                "value": v,
                "limit": f"<= {DEEP_OVER_FIRST_MAX}",
                "pass": v <= DEEP_OVER_FIRST_MAX,
            }
    if "verify" in r:
        v = r["verify"]["entries_per_s"]
        t["verify_entries_per_s"] = {
            "value": v,
            "limit": f">= {VERIFY_MIN:.0f}, exit 0",
            "pass": v is not None and v >= VERIFY_MIN and r["verify"]["exit_code"] == 0,
        }
    return t


def summary(reports: list[dict]) -> str:
    lines = []
    for r in reports:
        lines.append(f"\n{r['engine']}: ({r['total_s']:.0f}s)")
        for name, t in r["targets"].items():
            lines.append(f"  {name:<58} {t['value']!s:>12}  {t['limit']:<12} {'PASS' if t['pass'] else 'FAIL'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    if "selfquery" in args.parts:
        from bench.throughput import ensure_wrk

        ensure_wrk()
    args.data_root.mkdir(parents=True, exist_ok=True)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    machine = machine_info()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    reports, files = [], []
    for name in args.engines:
        report = bench_engine(name, args, stamp)
        report["machine"] = machine
        report["config"] = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
        path = args.results_dir / f"{stamp}-audit-{name}.json"
        path.write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str))
        files.append(str(path))
        reports.append(report)
        log(f"wrote {path}")
    latest = args.results_dir / "audit-latest.json"
    latest.write_text(
        json.dumps(
            {"files": files, "engines": {r["engine"]: r for r in reports}, "machine": machine},
            ensure_ascii=False,
            indent=1,
            default=str,
        )
    )
    log(f"wrote {latest}")
    print(summary(reports))
