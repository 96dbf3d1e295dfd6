"""``python -m bench``: search latency, throughput ratio and page weight, per engine (bench/BENCH.md).

``python -m bench audit …``: the query-audit benchmarks (bench/audit_bench.py).
``python -m bench ingest …``: the collection benchmarks (bench/ingest_bench.py).
``python -m bench checks …``: the 逢办必查 check API, audited vs unaudited (bench/checks_bench.py).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from bench import dataset as ds
from bench.server import BareServer, Server
from bench.throughput import PAGES, RATIO_MIN, ensure_wrk, throughput
from bench.util import RESULTS, ROOT, CpuWatch, log, machine_info, scale_label, summarize_ms, wait_until_quiet
from bench.web import first_visit, latency, page_latency

CLASSES = {"2char": "2 chars (bigram)", "3plus": "3-6 chars (trigram)", "uscc": "USCC (exact)"}
RATIO_LABELS = {
    "healthz": "/healthz",
    "home": "home page /",
    "profile": "subject profiles",
    "search": "search fragment mix",
}
P95_LIMITS_MS = {"2char": 30.0, "3plus": 10.0, "uscc": 10.0}
PAGE_MAX_BYTES = 40_000
FRAGMENT_MAX_BYTES = 8_000


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--engines", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    p.add_argument("--subjects", type=int, default=None, help="data-set scale (default 1700000; --quick: 20000)")
    p.add_argument(
        "--data-root",
        type=Path,
        default=None,
        help="where data sets live (default /work/benchdata; --quick: /tmp/portal-bench)",
    )
    p.add_argument("--quick", action="store_true", help="small smoke run: 20k subjects, fewer queries, short wrk")
    p.add_argument("--per-class", type=int, default=None, help="queries per class (default 200; --quick: 50)")
    p.add_argument("--rounds", type=int, default=None, help="timed passes over the query set (default 3; --quick: 1)")
    p.add_argument("--sample", type=int, default=None, help="legal persons sampled to draw queries from")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--wrk-duration", type=int, default=None, help="seconds per wrk run (default 10; --quick: 3)")
    p.add_argument("--wrk-connections", type=int, default=16)
    p.add_argument("--wrk-threads", type=int, default=1)
    p.add_argument(
        "--per-class-duration",
        type=int,
        default=None,
        help="seconds of wrk per query class, informational (default 5; --quick: 0 = skip)",
    )
    p.add_argument("--pg-port", type=int, default=55440)
    p.add_argument(
        "--pg-options",
        default="",
        help="extra postgres -o options when we start the cluster, e.g. '-c shared_buffers=1GB'",
    )
    p.add_argument("--results-dir", type=Path, default=RESULTS)
    p.add_argument(
        "--explain",
        type=int,
        default=5,
        help="for each class over its p95 target, explain this many of its slowest queries",
    )
    p.add_argument(
        "--quiet-wait",
        type=int,
        default=None,
        help="seconds to wait for other processes to go quiet before measuring "
        "(default 300; --quick: 0). The CPU they use meanwhile is recorded either way.",
    )
    a = p.parse_args(argv)
    q = a.quick
    a.subjects = a.subjects or (20_000 if q else 1_700_000)
    a.data_root = (a.data_root or Path("/tmp/portal-bench" if q else "/work/benchdata")).resolve()
    a.per_class = a.per_class or (50 if q else 200)
    a.rounds = a.rounds or (1 if q else 3)
    a.sample = a.sample or (5_000 if q else 20_000)
    a.wrk_duration = a.wrk_duration or (3 if q else 10)
    a.quiet_wait = (0 if q else 300) if a.quiet_wait is None else a.quiet_wait
    a.per_class_duration = (0 if q else 5) if a.per_class_duration is None else a.per_class_duration
    a.engines = [e.strip() for e in a.engines.split(",") if e.strip()]
    for e in a.engines:
        if e not in ("sqlite", "postgres"):
            p.error(f"unknown engine {e!r} (sqlite, postgres)")
    return a


def run_probe(env: dict, args, workdir: Path) -> dict:
    out = workdir / "probe.json"
    cmd = [
        sys.executable,
        "-m",
        "bench.probe",
        "--out",
        str(out),
        "--per-class",
        str(args.per_class),
        "--seed",
        str(args.seed),
        "--rounds",
        str(args.rounds),
        "--sample",
        str(args.sample),
    ]
    log("probe: scale, query sets, in-process search_subjects latency")
    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    if r.returncode != 0:
        raise SystemExit(f"bench: probe failed:\n{r.stdout[-3000:]}\n{r.stderr[-5000:]}")
    return json.loads(out.read_text())


def run_explain(env: dict, queries: list[str], workdir: Path) -> list[dict]:
    infile, out = workdir / "explain-in.json", workdir / "explain.json"
    infile.write_text(json.dumps(queries, ensure_ascii=False))
    log(f"explain: {len(queries)} slow queries")
    r = subprocess.run(
        [sys.executable, "-m", "bench.explain", "--out", str(out), "--in", str(infile)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if r.returncode != 0:
        log(f"explain failed: {r.stderr[-2000:]}")
        return [{"error": r.stderr[-2000:]}]
    return json.loads(out.read_text())


def slow_queries(queries: dict, samples: dict, n: int) -> list[str]:
    """The n slowest queries (by their worst HTTP time) of every class whose p95 misses its target."""
    picked = []
    for cls, limit in P95_LIMITS_MS.items():
        s = summarize_ms(samples.get(cls, []))
        if s.get("p95", 0) <= limit:
            continue
        ranked = sorted(queries[cls], key=lambda i: -max(i.get("http_ms") or [0]))
        picked += [i["q"] for i in ranked[:n]]
    return picked


def _by_sub(queries: list[dict], key: str) -> dict:
    groups: dict[str, list[float]] = {}
    for item in queries:
        groups.setdefault(item["sub"], []).extend(item.get(key, []))
    return {sub: summarize_ms(v) for sub, v in sorted(groups.items())}


def _median(values: list[int]) -> float | None:
    s = sorted(values)
    if not s:
        return None
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def bench_engine(engine: str, args, machine: dict, stamp: str) -> dict:
    started = time.monotonic()
    log(f"=== {engine}: {args.subjects} subjects under {args.data_root}")
    if engine == "sqlite":
        data = ds.ensure_sqlite(args.data_root, args.subjects)
    else:
        data = ds.ensure_postgres(args.data_root, args.subjects, args.pg_port, args.pg_options)
    prepared = time.monotonic()
    interference = {}
    try:
        roots = data.roots()
        interference["before_start"] = wait_until_quiet(args.quiet_wait, extra_roots=roots)
        with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp:
            watch = CpuWatch(roots).start()
            probe = run_probe(data.env, args, Path(tmp))
            interference["probe"] = watch.stop()
        queries = probe["queries"]
        logfile = Path(tempfile.gettempdir()) / f"portal-bench-server-{engine}-{stamp}.log"
        barelog = Path(tempfile.gettempdir()) / f"portal-bench-bare-{engine}-{stamp}.log"
        profiles = [i["q"] for i in queries["uscc"] if i.get("hits")]
        with BareServer(dict(os.environ), barelog) as bare, Server(data.env, logfile) as server:
            log("bytes: first visit of / and its assets")
            visit = first_visit(server.port)
            cookie = visit.pop("cookie")
            log(f"latency: {sum(len(v) for v in queries.values())} queries, warm-up + {args.rounds} round(s)")
            watch = CpuWatch(roots).start()
            lat = latency(server.port, queries, args.rounds, args.seed, cookie)
            interference["http_latency"] = watch.stop()
            home = page_latency(server.port, "/", 20, cookie)
            profile_lat = page_latency(server.port, f"/subjects/{profiles[0]}", 20, cookie) if profiles else {}
            tput = throughput(
                server.port,
                bare.port,
                queries,
                profiles,
                args.wrk_duration,
                args.wrk_connections,
                args.wrk_threads,
                cookie,
                args.per_class_duration,
                roots,
            )
            rss = server.rss_mb()
        explained = []
        if args.explain and (slow := slow_queries(queries, lat["samples"], args.explain)):
            with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp:
                explained = run_explain(data.env, slow, Path(tmp))
    finally:
        data.close()
    return build_report(
        engine,
        args,
        machine,
        data,
        probe,
        queries,
        visit,
        lat,
        home,
        profile_lat,
        tput,
        rss,
        {"prepare_s": round(prepared - started, 1), "total_s": round(time.monotonic() - started, 1)},
        interference,
        explained,
    )


def build_report(
    engine,
    args,
    machine,
    data,
    probe,
    queries,
    visit,
    lat,
    home,
    profile_lat,
    tput,
    rss,
    timing,
    interference,
    explained,
) -> dict:
    http_lat = {c: summarize_ms(v) for c, v in lat["samples"].items()}
    svc_lat = {c: summarize_ms(v) for c, v in probe["service_samples_ms"].items()}
    for c in queries:
        http_lat[c]["by_sub"] = _by_sub(queries[c], "http_ms")
        svc_lat[c]["by_sub"] = _by_sub(queries[c], "service_ms")
    hits = {
        c: {
            "zero": sum(1 for i in v if i.get("hits") == 0),
            "1_to_20": sum(1 for i in v if i.get("hits", 0) > 0 and not i.get("more")),
            "more_than_20": sum(1 for i in v if i.get("more")),
        }
        for c, v in queries.items()
    }
    with_rows = [i for i in queries["3plus"] if i.get("hits")]
    frag_wire = [i["wire_bytes"] for i in with_rows]
    frag_raw = [i["decoded_bytes"] for i in with_rows]
    fragment = {
        "what": "GET /search?q=<3-6 chars> with HX-Request: true, Accept-Encoding: gzip; queries with >= 1 row",
        "n": len(with_rows),
        "median_wire_bytes": _median(frag_wire),
        "median_decoded_bytes": _median(frag_raw),
        "max_wire_bytes": max(frag_wire) if frag_wire else None,
        "full_page_of_20_median_wire_bytes": _median([i["wire_bytes"] for i in with_rows if i.get("more")]),
        "content_encodings": sorted({i["content_encoding"] for i in with_rows}),
    }
    slowest = sorted(
        ((max(i.get("http_ms") or [0]), c, i) for c, v in queries.items() for i in v), key=lambda t: -t[0]
    )[:15]
    targets = {}
    for c, limit in P95_LIMITS_MS.items():
        v = http_lat[c].get("p95")
        targets[f"http_p95_{c}_ms"] = {"value": v, "limit": f"<= {limit}", "pass": v is not None and v <= limit}
    for name in PAGES:
        ratio = tput["ratios"][name]
        targets[f"ratio_{name}"] = {
            "value": ratio,
            "limit": f">= {RATIO_MIN[name]}",
            "pass": ratio is not None and ratio >= RATIO_MIN[name],
            "note": "requests/s against the bare Litestar app's, same run",
        }
    page = visit["total_wire_bytes"]
    targets["first_page_bytes"] = {
        "value": page,
        "limit": f"<= {PAGE_MAX_BYTES}",
        "pass": page <= PAGE_MAX_BYTES,
        "note": "as served (gzip where the server applies it); 1 KB = 1000 bytes",
    }
    fm = fragment["median_wire_bytes"]
    targets["fragment_median_bytes"] = {
        "value": fm,
        "limit": f"<= {FRAGMENT_MAX_BYTES}",
        "pass": fm is not None and fm <= FRAGMENT_MAX_BYTES,
    }
    problems = list(lat["problems"])
    if lat["errors"]:
        problems.append(f"{lat['errors']} non-200 responses during timed latency rounds")
    for name, run in tput["runs"].items():
        if run["non_2xx"] or run["socket_errors"]:
            problems.append(f"wrk {name}: {run['non_2xx']} non-2xx, {run['socket_errors']} socket errors")
    phases = {"probe (service latency)": interference["probe"], "HTTP latency": interference["http_latency"]}
    phases |= {f"wrk {k}": v["interference"] for k, v in tput["runs"].items()}
    busy = {k: v["other_processes_cores"] for k, v in phases.items() if (v["other_processes_cores"] or 0) >= 0.2}
    if busy:
        problems.append(
            "other processes were using CPU during: "
            + ", ".join(f"{k} ({v:.1f} cores)" for k, v in busy.items())
            + " — figures are pessimistic"
        )
    if visit["uncompressed_static_not_gzipped"]:
        problems.append("served without compression: " + ", ".join(visit["uncompressed_static_not_gzipped"]))
    for r in visit["resources"]:
        if r["status"] != 200:
            problems.append(f"first visit: {r['path']} returned HTTP {r['status']}")
    return {
        "benchmark": "credit-portal search & page weight",
        "format": 1,
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "engine": engine,
        "quick": args.quick,
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "machine": machine,
        "dataset": {
            "location": str(data.location),
            "label": scale_label(args.subjects),
            "requested_subjects": args.subjects,
            "generated_by_this_run": data.generated,
            "notes": data.notes,
        },
        "scale": probe["scale"],
        "engine_info": probe["engine"],
        "query_set": probe["query_info"] | {"classes": {c: len(v) for c, v in queries.items()}, "hits": hits},
        "latency_http_ms": http_lat,
        "latency_service_ms": svc_lat,
        "http_overhead_p50_ms": {c: round(http_lat[c]["p50"] - svc_lat[c]["p50"], 3) for c in queries},
        "home_page_latency_ms": home,
        "profile_page_latency_ms": profile_lat,
        "throughput": tput,
        "bytes": {"first_visit": visit, "fragment": fragment},
        "server_rss_mb": rss,
        "interference": interference | {"wrk": {k: v["interference"] for k, v in tput["runs"].items()}},
        "targets": targets,
        "all_targets_pass": all(t["pass"] for t in targets.values()),
        "problems": problems,
        "slowest_http_queries": [
            {
                "class": c,
                "q": i["q"],
                "sub": i["sub"],
                "hits": i.get("hits"),
                "more": i.get("more"),
                "http_ms": i.get("http_ms"),
                "service_ms": i.get("service_ms"),
            }
            for _, c, i in slowest
        ],
        "explain_slow_queries": explained,
        "timing_s": timing | {"probe": probe["timings_s"]},
        "queries": queries,
    }


def _kb(n) -> str:
    return "-" if n is None else f"{n / 1000:.1f} KB"


def _resource_label(x: dict) -> str:
    name = x["path"].split("?", 1)[0].rsplit("/", 1)[-1] or "/"
    label = f"{name} {_kb(x['wire_bytes'])}"
    if x["content_encoding"] == "identity":
        label += f" (not compressed; gzip would be {_kb(x['gzip6_bytes'])})"
    return label


def summary(reports: list[dict]) -> str:
    lines = []
    for r in reports:
        s = r["scale"]
        legal = s["subjects_by_kind"].get("legal", 0)
        eng = r["engine_info"]
        ver = eng.get("server_version") or eng.get("sqlite_version")
        lines.append("")
        lines.append(
            f"{r['engine']} {ver} — {s['subjects']:,} subjects ({legal:,} legal), "
            f"{s['credit_records']:,} credit records, {s['list_entries']:,} list entries; "
            f"{r['machine']['cores']} cores {r['machine']['cpu_model']}"
        )
        lines.append(
            f"  {'class':<22}{'n':>6}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}   "
            f"{'svc p50':>8}{'svc p95':>8}   target p95"
        )
        for c, label in CLASSES.items():
            h, v = r["latency_http_ms"][c], r["latency_service_ms"][c]
            t = r["targets"][f"http_p95_{c}_ms"]
            lines.append(
                f"  {label:<22}{h['n']:>6}{h['p50']:>9.2f}{h['p95']:>9.2f}{h['p99']:>9.2f}{h['max']:>9.2f}   "
                f"{v['p50']:>8.2f}{v['p95']:>8.2f}   {t['limit']:<8} {'PASS' if t['pass'] else 'FAIL'}"
            )
        tp = r["throughput"]
        lines.append(
            f"  throughput (wrk -t{tp['threads']} -c{tp['connections']} -d{tp['duration_s']}s): "
            f"bare Litestar app {tp['bare_rps']:.0f} rps (drift {tp['bare_drift_pct']:+.1f}%)"
        )
        for name, label in RATIO_LABELS.items():
            t = r["targets"][f"ratio_{name}"]
            lines.append(
                f"    {label:<30}{tp['rps'][name]:>8.0f} rps  ratio {t['value']:.3f}  "
                f"{t['limit']} {'PASS' if t['pass'] else 'FAIL'}"
            )
        if "per_class" in tp:
            lines.append(
                "    per class: "
                + ", ".join(f"{c} {v['rps']:.0f} rps ({v['ratio']:.3f})" for c, v in tp["per_class"].items())
            )
        fv = r["bytes"]["first_visit"]
        parts = " + ".join(_resource_label(x) for x in fv["resources"])
        t = r["targets"]["first_page_bytes"]
        verdict = "PASS" if t["pass"] else "FAIL"
        lines.append(f"  first visit: {_kb(fv['total_wire_bytes'])} = {parts}   <= 40 KB {verdict}")
        if fv["total_if_all_gzipped_bytes"] < 0.97 * fv["total_wire_bytes"]:
            lines.append(f"    (if every asset were gzipped: {_kb(fv['total_if_all_gzipped_bytes'])})")
        fr = r["bytes"]["fragment"]
        t = r["targets"]["fragment_median_bytes"]
        lines.append(
            f"  search fragment (3+ chars, median of {fr['n']}): {_kb(fr['median_wire_bytes'])} as served "
            f"({_kb(fr['median_decoded_bytes'])} decoded)   <= 8 KB {'PASS' if t['pass'] else 'FAIL'}; "
            f"a full 20-row page: {_kb(fr['full_page_of_20_median_wire_bytes'])}"
        )
        lines.append(
            f"  home page / latency p50 {r['home_page_latency_ms']['p50']:.1f} ms, "
            f"p95 {r['home_page_latency_ms']['p95']:.1f} ms; profile p50 "
            f"{r['profile_page_latency_ms'].get('p50', float('nan')):.1f} ms; server RSS {r['server_rss_mb']} MB; "
            f"run took {r['timing_s']['total_s']:.0f}s"
        )
        for prob in r["problems"][:10]:
            lines.append(f"  ! {prob}")
        failed = [k for k, v in r["targets"].items() if not v["pass"]]
        lines.append("  => " + ("ALL TARGETS PASS" if not failed else "SOME TARGETS FAIL: " + ", ".join(failed)))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["audit"]:  # `python -m bench audit …`: the query-audit benchmarks (bench/audit_bench.py)
        from bench.audit_bench import main as audit_main

        audit_main(argv[1:])
        return
    if argv[:1] == ["ingest"]:  # `python -m bench ingest …`: collection speed (bench/ingest_bench.py)
        from bench.ingest_bench import main as ingest_main

        ingest_main(argv[1:])
        return
    if argv[:1] == ["checks"]:  # `python -m bench checks …`: the 逢办必查 check API (bench/checks_bench.py)
        from bench.checks_bench import main as checks_main

        checks_main(argv[1:])
        return
    args = parse_args(argv)
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    ensure_wrk()
    args.results_dir.mkdir(parents=True, exist_ok=True)
    machine = machine_info()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    reports, files = [], []
    for engine in args.engines:
        report = bench_engine(engine, args, machine, stamp)
        if engine == "postgres":
            machine["postgresql"] = report["engine_info"].get("server_version")
        path = args.results_dir / f"{stamp}-{engine}.json"
        path.write_text(json.dumps(report, ensure_ascii=False, indent=1))
        files.append(str(path))
        reports.append(report)
        log(f"wrote {path}")
    combined = {
        "timestamp": reports[0]["timestamp"] if reports else None,
        "machine": machine,
        "files": files,
        "engines": {r["engine"]: r for r in reports},
        "all_targets_pass": all(r["all_targets_pass"] for r in reports),
    }
    latest = args.results_dir / "latest.json"
    latest.write_text(json.dumps(combined, ensure_ascii=False, indent=1))
    log(f"wrote {latest}")
    print(summary(reports))
