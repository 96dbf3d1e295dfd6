"""``python -m bench ingest``: how fast agencies' records come in (R-12), per engine (bench/BENCH.md).

(a) push API: batches of 500 new penalty records over HTTP (``POST /api/v1/agency/records``) from a
few concurrent clients; (b) batch upload: a 100,000-row workbook through ``POST /agency/uploads``
as a logged-in officer, timed from the upload to the job being done (polled like the page does),
with the server's peak RSS during the import. Runs on a scratch copy of the data set (the search
benchmarks keep theirs untouched): a copied SQLite directory, a PostgreSQL ``TEMPLATE`` copy.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode

from bench import dataset as ds
from bench.ingest_data import Maker
from bench.server import Server
from bench.util import RESULTS, ROOT, CpuWatch, log, machine_info, scale_label, summarize_ms
from portal.lib.dates import today_cn

PUSH_MIN_RPS = 2_000
UPLOAD_MIN_RPS = 5_000
UPLOAD_MAX_RSS_MB = 300
BATCH = 500
SCRATCH_DB = "portal_ingest_scratch"


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench ingest", description=__doc__)
    p.add_argument("--engines", default="sqlite,postgres")
    p.add_argument("--subjects", type=int, default=None, help="data-set scale (default 1700000; --quick: 20000)")
    p.add_argument("--data-root", type=Path, default=None, help="default /work/benchdata; --quick: /tmp/portal-bench")
    p.add_argument("--quick", action="store_true", help="20k subjects, fewer pushed batches")
    p.add_argument("--push-batches", type=int, default=None, help="timed batches of 500 (default 100; --quick: 20)")
    p.add_argument("--clients", type=int, default=4, help="concurrent push clients")
    p.add_argument("--rows", type=int, default=100_000, help="rows of the uploaded workbook")
    p.add_argument("--sample", type=int, default=2_000, help="existing legal persons the records are about")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--pg-port", type=int, default=55440)
    p.add_argument("--pg-options", default="")
    p.add_argument("--results-dir", type=Path, default=RESULTS)
    a = p.parse_args(argv)
    a.subjects = a.subjects or (20_000 if a.quick else 1_700_000)
    a.data_root = (a.data_root or Path("/tmp/portal-bench" if a.quick else "/work/benchdata")).resolve()
    a.push_batches = a.push_batches or (20 if a.quick else 100)
    a.engines = [e.strip() for e in a.engines.split(",") if e.strip()]
    for e in a.engines:
        if e not in ("sqlite", "postgres"):
            p.error(f"unknown engine {e!r} (sqlite, postgres)")
    return a


# ---------------------------------------------------------------- scratch copy of the data set


class Scratch:
    """The data set copied for writing; removed afterwards."""

    def __init__(self, data: ds.Dataset, root: Path) -> None:
        self.data = data
        if data.engine == "sqlite":
            self.dir = root / f"ingest-scratch-sqlite-{uuid.uuid4().hex[:8]}"
            log(f"copying {data.location} to {self.dir}")
            shutil.copytree(data.location, self.dir, ignore=shutil.ignore_patterns("uploads", "imports", "audit-*"))
            self.env = data.env | {"PORTAL_DATA_DIR": str(self.dir)}
        else:
            c = data.cluster
            ds.pg_query(c.port, c.user, f"DROP DATABASE IF EXISTS {SCRATCH_DB}", database="postgres")
            log(f"CREATE DATABASE {SCRATCH_DB} TEMPLATE {ds.PG_DB}")
            # FILE_COPY copies the files (and checkpoints): ~10 s for the 1.7M set, against ~70 s for
            # PostgreSQL 15's default, which writes every page of the template to the WAL.
            create = f"CREATE DATABASE {SCRATCH_DB} TEMPLATE {ds.PG_DB} STRATEGY FILE_COPY"
            ds.pg_query(c.port, c.user, create, database="postgres")
            self.dir = Path(tempfile.mkdtemp(prefix="portal-ingest-appdata-", dir=root))
            shutil.copy2(Path(data.env["PORTAL_DATA_DIR"]) / "secret_key", self.dir / "secret_key")
            url = c.url.rsplit("/", 1)[0] + "/" + SCRATCH_DB
            self.env = data.env | {"DATABASE_URL": url, "PORTAL_DATA_DIR": str(self.dir)}

    def job(self, job_id: int) -> dict:
        sql = f"SELECT * FROM ingest_import WHERE id = {int(job_id)}"
        if self.data.engine == "sqlite":
            con = sqlite3.connect(f"file:{self.dir / 'portal.sqlite3'}?mode=ro", uri=True, timeout=30)
            con.row_factory = sqlite3.Row
            try:
                return dict(con.execute(sql).fetchone())
            finally:
                con.close()
        c = self.data.cluster
        return dict(ds.pg_query(c.port, c.user, sql, database=SCRATCH_DB)[0])

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
        if self.data.engine == "postgres":
            c = self.data.cluster
            ds.pg_query(c.port, c.user, f"DROP DATABASE IF EXISTS {SCRATCH_DB}", database="postgres")


def _child(env: dict, *args: str, timeout: int = 1800) -> None:
    r = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise SystemExit(f"bench: {' '.join(args)} failed:\n{r.stdout[-2000:]}\n{r.stderr[-4000:]}")


# ---------------------------------------------------------------- memory of the server


def _tree(root: int) -> list[int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parents[int(entry)] = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    pids, changed = {root}, True
    while changed:
        new = {p for p, parent in parents.items() if parent in pids} - pids
        pids |= new
        changed = bool(new)
    return sorted(pids)


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class RssWatch:
    """Peak RSS of the server's process tree: VmHWM (reset at start) and VmRSS sampled every 0.2 s."""

    def __init__(self, root: int) -> None:
        self.root, self.peak_sum_kb, self.stop_flag = root, 0, threading.Event()
        self.reset = True
        self.before_kb = sum(_status_kb(p, "VmRSS") for p in _tree(root))
        for pid in _tree(root):
            try:
                Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS
            except OSError:
                self.reset = False
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        while not self.stop_flag.wait(0.2):
            self.peak_sum_kb = max(self.peak_sum_kb, sum(_status_kb(p, "VmRSS") for p in _tree(self.root)))

    def stop(self) -> dict:
        self.stop_flag.set()
        self.thread.join()
        hwm = {p: _status_kb(p, "VmHWM") for p in _tree(self.root)}
        return {
            "peak_rss_mb": round(max(self.peak_sum_kb, sum(hwm.values())) / 1024, 1),
            "sampled_peak_sum_mb": round(self.peak_sum_kb / 1024, 1),
            "rss_before_upload_mb": round(self.before_kb / 1024, 1),
            "vmhwm_mb_by_pid": {str(p): round(v / 1024, 1) for p, v in hwm.items()},
            "vmhwm_reset_at_start": self.reset,
            "processes": len(hwm),
        }


# ---------------------------------------------------------------- (a) push API


def push(port: int, key: str, maker: Maker, batches: int, clients: int, roots: tuple[int, ...] = ()) -> dict:
    bodies = [json.dumps({"items": maker.items(b * BATCH, BATCH)}).encode() for b in range(batches + 1)]
    headers = {"authorization": f"Bearer {key}", "content-type": "application/json"}

    def send(con: http.client.HTTPConnection, body: bytes) -> tuple[float, dict]:
        t = time.perf_counter()
        con.request("POST", "/api/v1/agency/records", body=body, headers=headers)
        resp = con.getresponse()
        data = resp.read()
        if resp.status != 200:
            raise SystemExit(f"bench: push answered {resp.status}: {data[:500]!r}")
        return (time.perf_counter() - t) * 1000, json.loads(data)

    warm = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    send(warm, bodies[0])  # warm-up, untimed
    warm.close()
    todo = list(range(1, batches + 1))
    lock, latencies, outcomes = threading.Lock(), [], {}

    def client() -> None:
        con = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        while True:
            with lock:
                if not todo:
                    break
                b = todo.pop(0)
            ms, body = send(con, bodies[b])
            with lock:
                latencies.append(ms)
                for k in ("created", "corrected", "revoked", "unchanged", "rejected"):
                    outcomes[k] = outcomes.get(k, 0) + body.get(k, 0)
        con.close()

    watch = CpuWatch(roots).start()
    t0 = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    items = batches * BATCH
    return {
        "batches": batches,
        "batch_size": BATCH,
        "clients": clients,
        "items": items,
        "outcomes": outcomes,
        "wall_s": round(wall, 2),
        "records_per_s": round(outcomes.get("created", 0) / wall, 1),
        "batch_latency_ms": summarize_ms(latencies),
        "interference": watch.stop(),
    }


# ---------------------------------------------------------------- (b) batch upload


def _login(port: int, username: str, password: str) -> tuple[dict, str]:
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    con.request("GET", "/login")
    resp = con.getresponse()
    resp.read()
    cookies = _cookies(resp, {})
    form = {"username": username, "password": password, "next": "/agency", "_csrf_token": cookies["csrftoken"]}
    con.request(
        "POST",
        "/login",
        body=urlencode(form),
        headers={"content-type": "application/x-www-form-urlencoded", "cookie": _cookie_header(cookies)},
    )
    resp = con.getresponse()
    resp.read()
    if resp.status != 303:
        raise SystemExit(f"bench: officer login answered {resp.status}")
    con.close()
    cookies = _cookies(resp, cookies)
    return cookies, cookies["csrftoken"]


def _cookies(resp, jar: dict) -> dict:
    jar = dict(jar)
    for header in resp.headers.get_all("set-cookie") or []:
        name, _, value = header.split(";", 1)[0].partition("=")
        jar[name.strip()] = value.strip()
    return jar


def _cookie_header(jar: dict) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def upload(port: int, server_pid: int, scratch: Scratch, setup: dict, path: Path, roots: tuple[int, ...] = ()) -> dict:
    cookies, token = _login(port, setup["username"], setup["password"])
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="_csrf_token"\r\n\r\n{token}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench.xlsx"\r\n'
        "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n"
    ).encode()
    body = head + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    headers = {"content-type": f"multipart/form-data; boundary={boundary}", "cookie": _cookie_header(cookies)}
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    rss = RssWatch(server_pid)
    watch = CpuWatch(roots).start()
    t0 = time.perf_counter()
    con.request("POST", "/agency/uploads", body=body, headers=headers)
    resp = con.getresponse()
    page = resp.read()
    accepted = time.perf_counter() - t0
    if resp.status != 303:
        rss.stop()
        raise SystemExit(f"bench: upload answered {resp.status}: {page[:800]!r}")
    job_id = int(resp.headers["location"].rsplit("/", 1)[1])
    polls = 0
    while True:  # as the progress fragment does (hx-trigger every 1s), a little more often
        time.sleep(0.25)
        polls += 1
        con.request("GET", f"/agency/uploads/{job_id}", headers={"hx-request": "true", "cookie": headers["cookie"]})
        resp = con.getresponse()
        fragment = resp.read().decode()
        if resp.status != 200:
            raise SystemExit(f"bench: job page answered {resp.status}")
        if "hx-trigger" not in fragment:
            break
    wall = time.perf_counter() - t0
    memory, cpu = rss.stop(), watch.stop()
    con.close()
    job = scratch.job(job_id)
    if job["status"] != "done":
        raise SystemExit(f"bench: import job ended {job['status']}: {job.get('error')}")
    done = job["rows_done"]
    return {
        "rows": done,
        "file_bytes": path.stat().st_size,
        "outcomes": {k: job[k] for k in ("created", "corrected", "revoked", "unchanged", "rejected")},
        "upload_accepted_s": round(accepted, 2),
        "wall_s": round(wall, 2),
        "rows_per_s": round(done / wall, 1),
        "polls": polls,
        "memory": memory,
        "interference": cpu,
    }


# ---------------------------------------------------------------- one engine, the report


def bench_engine(engine: str, args, machine: dict, workdir: Path) -> dict:
    log(f"=== ingest {engine}: {args.subjects} subjects under {args.data_root}")
    if engine == "sqlite":
        data = ds.ensure_sqlite(args.data_root, args.subjects)
    else:
        data = ds.ensure_postgres(args.data_root, args.subjects, args.pg_port, args.pg_options)
    scratch = None
    try:
        scratch = Scratch(data, args.data_root)
        _child(scratch.env, "-m", "portal", "migrate")
        out = workdir / f"setup-{engine}.json"
        _child(scratch.env, "-m", "bench.ingest_setup", str(out), str(args.sample), str(args.seed))
        setup = json.loads(out.read_text())
        tag = uuid.uuid4().hex[:6]
        maker = Maker([tuple(s) for s in setup["existing"]], args.seed, tag, today_cn())
        book = workdir / f"upload-{engine}.xlsx"
        t = time.perf_counter()
        _child(
            scratch.env, "-m", "bench.ingest_data", str(book), str(out), str(args.seed + 1), tag + "x", str(args.rows)
        )
        log(f"workbook: {args.rows} rows, {book.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - t:.0f}s")
        logfile = Path(tempfile.gettempdir()) / f"portal-bench-ingest-{engine}-{tag}.log"
        with Server(scratch.env, logfile) as server:
            log(f"push: {args.push_batches} batches of {BATCH}, {args.clients} clients")
            pushed = push(server.port, setup["key"], maker, args.push_batches, args.clients, data.roots())
            log(f"push: {pushed['records_per_s']:.0f} records/s")
        # A fresh server for the upload: its peak RSS is the import's, not what the pushes left behind.
        with Server(scratch.env, logfile.with_suffix(".upload.log")) as server:
            log(f"upload: {args.rows} rows")
            uploaded = upload(server.port, server.proc.pid, scratch, setup, book, data.roots())
            log(f"upload: {uploaded['rows_per_s']:.0f} rows/s, peak RSS {uploaded['memory']['peak_rss_mb']} MB")
    finally:
        if scratch is not None:
            scratch.close()
        data.close()
    return report(engine, args, machine, data, pushed, uploaded)


def report(engine, args, machine, data, pushed, uploaded) -> dict:
    targets = {
        "push_records_per_s": {
            "value": pushed["records_per_s"],
            "limit": f">= {PUSH_MIN_RPS}",
            "ratio": round(pushed["records_per_s"] / PUSH_MIN_RPS, 3),
            "pass": pushed["records_per_s"] >= PUSH_MIN_RPS,
        },
        "upload_rows_per_s": {
            "value": uploaded["rows_per_s"],
            "limit": f">= {UPLOAD_MIN_RPS}",
            "ratio": round(uploaded["rows_per_s"] / UPLOAD_MIN_RPS, 3),
            "pass": uploaded["rows_per_s"] >= UPLOAD_MIN_RPS,
        },
        "upload_peak_rss_mb": {
            "value": uploaded["memory"]["peak_rss_mb"],
            "limit": f"<= {UPLOAD_MAX_RSS_MB}",
            "ratio": round(uploaded["memory"]["peak_rss_mb"] / UPLOAD_MAX_RSS_MB, 3),
            "pass": uploaded["memory"]["peak_rss_mb"] <= UPLOAD_MAX_RSS_MB,
        },
    }
    problems = []
    if pushed["outcomes"].get("created") != pushed["items"]:
        problems.append(f"push: {pushed['outcomes']} for {pushed['items']} new items")
    if uploaded["outcomes"]["created"] != args.rows:
        problems.append(f"upload: {uploaded['outcomes']} for {args.rows} new rows")
    for what, r in (("push", pushed), ("upload", uploaded)):
        if (r["interference"]["other_processes_cores"] or 0) >= 0.2:
            problems.append(
                f"other processes used {r['interference']['other_processes_cores']} cores during {what}"
                " — figures are pessimistic"
            )
    return {
        "benchmark": "credit-portal collection (push API, batch upload)",
        "format": 1,
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "engine": engine,
        "quick": args.quick,
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "machine": machine,
        "dataset": {"location": str(data.location), "label": scale_label(args.subjects), "notes": data.notes},
        "push": pushed,
        "upload": uploaded,
        "targets": targets,
        "all_targets_pass": all(t["pass"] for t in targets.values()),
        "problems": problems,
    }


def summary(reports: list[dict]) -> str:
    lines = []
    for r in reports:
        p, u, t = r["push"], r["upload"], r["targets"]

        def verdict(name: str, t: dict = t) -> str:
            return f"{t[name]['limit']} {'PASS' if t[name]['pass'] else 'FAIL'} (x{t[name]['ratio']})"

        lines += [
            "",
            f"{r['engine']} — data set {r['dataset']['label']}; "
            f"{r['machine']['cores']} cores {r['machine']['cpu_model']}",
            f"  push API: {p['items']:,} records in {p['batches']} batches of {p['batch_size']},"
            f" {p['clients']} clients, {p['wall_s']}s: {p['records_per_s']:.0f} records/s"
            f"  {verdict('push_records_per_s')};"
            f" batch p50 {p['batch_latency_ms']['p50']:.0f} ms, p95 {p['batch_latency_ms']['p95']:.0f} ms",
            f"  upload: {u['rows']:,} rows ({u['file_bytes'] / 1e6:.1f} MB) in {u['wall_s']}s:"
            f" {u['rows_per_s']:.0f} rows/s  {verdict('upload_rows_per_s')};"
            f" peak RSS {u['memory']['peak_rss_mb']} MB  {verdict('upload_peak_rss_mb')}",
        ]
        lines += [f"  ! {x}" for x in r["problems"]]
        failed = [k for k, v in t.items() if not v["pass"]]
        lines.append("  => " + ("ALL TARGETS PASS" if not failed else "SOME TARGETS FAIL: " + ", ".join(failed)))
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    args.results_dir.mkdir(parents=True, exist_ok=True)
    machine = machine_info()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    reports, files = [], []
    with tempfile.TemporaryDirectory(prefix="portal-bench-ingest-") as tmp:
        for engine in args.engines:
            r = bench_engine(engine, args, machine, Path(tmp))
            path = args.results_dir / f"{stamp}-ingest-{engine}.json"
            path.write_text(json.dumps(r, ensure_ascii=False, indent=1))
            files.append(str(path))
            reports.append(r)
            log(f"wrote {path}")
    latest = args.results_dir / "ingest-latest.json"
    combined = {"machine": machine, "files": files, "engines": {r["engine"]: r for r in reports}}
    latest.write_text(json.dumps(combined | {"all_targets_pass": all(r["all_targets_pass"] for r in reports)}))
    log(f"wrote {latest}")
    print(summary(reports))
