"""Requests per second with wrk against the running server (loopback only, bounded duration)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from bench.util import CpuWatch, log
from bench.web import search_path

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    log("wrk not found: apt-get install -y wrk")
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, capture_output=True, timeout=600)
    path = shutil.which("wrk")
    if not path:
        raise SystemExit("bench: wrk is required (apt-get install -y wrk)")
    return path


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    return round(float(m.group(1)) * _UNITS[m.group(2)], 3) if m else float("nan")


def parse(out: str) -> dict:
    res: dict = {}
    if m := re.search(r"Requests/sec:\s*([\d.]+)", out):
        res["rps"] = float(m.group(1))
    if m := re.search(r"(\d+) requests in ([\d.]+)(\w+),\s*([\d.]+\w+) read", out):
        res["requests"] = int(m.group(1))
        res["read"] = m.group(4)
    if m := re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", out):
        res["latency_avg_ms"], res["latency_stdev_ms"], res["latency_max_ms"] = (_ms(m.group(i)) for i in (1, 2, 3))
    for pct in ("50", "75", "90", "99"):
        if m := re.search(rf"^\s*{pct}(?:\.000)?%\s+(\S+)", out, re.M):
            res[f"latency_p{pct}_ms"] = _ms(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    res["non_2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    return res


def run_wrk(
    port: int,
    path: str | None,
    script_paths: list[str] | None,
    duration: int,
    connections: int,
    threads: int,
    headers: dict[str, str],
    lua: str | None = None,
) -> dict:
    """``lua``: a whole wrk script (e.g. a POST then GET flow) instead of a rotation of paths."""
    cmd = [ensure_wrk(), f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "--latency"]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    script = None
    if lua:
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="bench-wrk-", delete=False)
        script.write(lua)
        script.close()
        cmd += ["-s", script.name]
    elif script_paths:
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="bench-wrk-", delete=False)
        lines = ",\n".join(f'  "{p}"' for p in script_paths)
        # Each wrk thread rotates through the whole list, starting at a different offset.
        script.write(
            "local paths = {\n" + lines + "\n}\n"
            "local i = 0\n"
            "local threads = 0\n"
            "function setup(thread) thread:set('offset', threads * 97); threads = threads + 1 end\n"
            "function init(args) i = tonumber(offset) or 0 end\n"
            "function request()\n  i = i % #paths + 1\n  return wrk.format('GET', paths[i])\nend\n"
        )
        script.close()
        cmd += ["-s", script.name]
    cmd.append(f"http://127.0.0.1:{port}{path or '/'}")
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60).stdout
    finally:
        if script:
            Path(script.name).unlink(missing_ok=True)
    res = parse(out)
    res["duration_s"] = duration
    res["what"] = path if path else f"rotation of {len(script_paths or [])} search paths"
    if "rps" not in res:
        raise SystemExit(f"bench: could not parse wrk output:\n{out}")
    return res


PAGES = ("healthz", "home", "profile", "search")
RATIO_MIN = {"healthz": 0.7, "home": 0.15, "profile": 0.10, "search": 0.15}


def throughput(
    port: int,
    bare_port: int,
    queries: dict[str, list[dict]],
    profiles: list[str],
    duration: int,
    connections: int,
    threads: int,
    cookie: str,
    per_class_duration: int = 0,
    roots: tuple[int, ...] = (),
    max_drift_pct: float = 20.0,
) -> dict:
    """The bare app, then the portal's /healthz, home page, profiles and search mix, then the bare app
    again; every ratio is against the mean of the two bare runs (drift cancels); then, optionally,
    each search class alone."""
    headers = {"Accept-Encoding": "gzip"} | ({"Cookie": cookie} if cookie else {})
    page_headers = headers | {"Accept": "text/html"}
    search_headers = headers | {"HX-Request": "true"}
    mix = []
    # Interleave the classes so that any stretch of the rotation has the same mixture.
    classes = list(queries)
    for i in range(max(len(v) for v in queries.values())):
        for cls in classes:
            if i < len(queries[cls]):
                mix.append(search_path(queries[cls][i]["q"]))
    profile_paths = [f"/subjects/{u}" for u in profiles]

    def timed(*a) -> dict:
        watch = CpuWatch(roots).start()
        res = run_wrk(*a)
        res["interference"] = watch.stop()
        return res

    def measured(name: str) -> dict:
        log(f"wrk: {name} {duration}s")
        if name == "healthz":
            return timed(port, "/healthz", None, duration, connections, threads, headers)
        if name == "home":
            return timed(port, "/", None, duration, connections, threads, page_headers)
        if name == "profile":
            return timed(port, None, profile_paths, duration, connections, threads, page_headers)
        return timed(port, None, mix, duration, connections, threads, search_headers)

    def run_all() -> dict:
        runs = {}
        log(f"wrk: bare app {duration}s")
        runs["bare_1"] = timed(bare_port, "/", None, duration, connections, threads, headers)
        for name in PAGES:
            runs[name] = measured(name)
        log(f"wrk: bare app again {duration}s")
        runs["bare_2"] = timed(bare_port, "/", None, duration, connections, threads, headers)
        bare = (runs["bare_1"]["rps"] + runs["bare_2"]["rps"]) / 2
        return {
            "bare_rps": round(bare, 1),
            "bare_drift_pct": round(100 * (runs["bare_2"]["rps"] - runs["bare_1"]["rps"]) / runs["bare_1"]["rps"], 1),
            "rps": {n: runs[n]["rps"] for n in PAGES},
            "ratios": {n: round(runs[n]["rps"] / bare, 4) if bare else None for n in PAGES},
            "search_rps": runs["search"]["rps"],
            "ratio": round(runs["search"]["rps"] / bare, 4) if bare else None,
            "runs": runs,
        }

    # Warm both servers and the wrk path (connection setup, first concurrent requests): not recorded.
    run_wrk(bare_port, "/", None, 1, connections, threads, headers)
    run_wrk(port, None, mix, 2, connections, threads, search_headers)
    run_wrk(port, None, profile_paths, 1, connections, threads, page_headers)
    attempts = [run_all()]
    if abs(attempts[0]["bare_drift_pct"]) > max_drift_pct:
        log(f"wrk: bare runs differ by {attempts[0]['bare_drift_pct']}% (> {max_drift_pct}%): repeating once")
        attempts.append(run_all())
    best = min(attempts, key=lambda a: abs(a["bare_drift_pct"]))
    result = {
        "connections": connections,
        "threads": threads,
        "duration_s": duration,
        "yardstick": "bench/bare_app.py: bare Litestar, one text handler, no middleware, same uvicorn options",
        "profiles": len(profile_paths),
    } | best
    if len(attempts) > 1:
        result["discarded_attempts"] = [a for a in attempts if a is not best]
    if per_class_duration:
        per_class = {}
        for cls in classes:
            log(f"wrk: search {cls} only {per_class_duration}s")
            per_class[cls] = timed(
                port,
                None,
                [search_path(i["q"]) for i in queries[cls]],
                per_class_duration,
                connections,
                threads,
                search_headers,
            )
        result["per_class"] = {
            c: {
                "rps": r["rps"],
                "ratio": round(r["rps"] / result["bare_rps"], 4),
                "latency_p50_ms": r.get("latency_p50_ms"),
                "latency_p99_ms": r.get("latency_p99_ms"),
                "non_2xx": r["non_2xx"],
                "interference": r["interference"],
            }
            for c, r in per_class.items()
        }
    return result
