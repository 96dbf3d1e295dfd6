"""Small shared helpers: scale labels, percentiles, ports, machine facts, logging."""

from __future__ import annotations

import math
import os
import platform
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

_T0 = time.monotonic()


def log(message: str) -> None:
    print(f"[bench {time.monotonic() - _T0:6.1f}s] {message}", file=sys.stderr, flush=True)


def scale_label(n: int) -> str:
    """1700000 -> '1.7m', 20000 -> '20k', 1234567 -> '1234567' (the data-dir naming scheme)."""
    if n >= 1_000_000 and n % 100_000 == 0:
        return f"{n / 1_000_000:g}m"
    if n >= 1_000 and n % 100 == 0:
        return f"{n / 1_000:g}k"
    return str(n)


def percentile(sorted_values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); `sorted_values` ascending."""
    if not sorted_values:
        return float("nan")
    if len(sorted_values) == 1:
        return sorted_values[0]
    pos = (len(sorted_values) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def summarize_ms(samples: list[float]) -> dict:
    """p50/p95/p99/max/mean (milliseconds, 3 decimals) of latency samples given in milliseconds."""
    s = sorted(samples)
    if not s:
        return {"n": 0}
    return {
        "n": len(s),
        "p50": round(percentile(s, 0.50), 3),
        "p95": round(percentile(s, 0.95), 3),
        "p99": round(percentile(s, 0.99), 3),
        "max": round(s[-1], 3),
        "mean": round(sum(s) / len(s), 3),
    }


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _run(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def mem_total_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def machine_info() -> dict:
    import sqlite3

    versions = {}
    for dist in ("litestar", "uvicorn", "piccolo", "jinja2", "asyncpg", "aiosqlite"):
        try:
            from importlib.metadata import version

            versions[dist] = version(dist)
        except Exception:
            versions[dist] = None
    commit = _run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    dirty = bool(_run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"]))
    return {
        "hostname": socket.gethostname(),
        "cores": os.cpu_count(),
        "cpu_model": cpu_model(),
        "mem_total_gb": mem_total_gb(),
        "kernel": platform.release(),
        "os": _os_name(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "packages": versions,
        "wrk": _run(["wrk", "--version"]).splitlines()[0] if _run(["which", "wrk"]) else None,
        "git_commit": commit or None,
        "git_dirty": dirty,
    }


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.platform()


# ------------------------------------------------------------------------------------------------
# Interference: this machine may be shared; measure how much CPU other processes took meanwhile.
# ------------------------------------------------------------------------------------------------

_CLK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_times() -> dict[int, tuple[float, str]]:
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        close = raw.rfind(")")
        comm = raw[raw.find("(") + 1 : close]
        fields = raw[close + 2 :].split()
        # fields[0] is state (stat field 3): utime/stime are stat fields 14/15; cutime/cstime
        # (16/17) those of the children it waited for.
        own, children = int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])
        out[int(entry.name)] = (own / _CLK, comm, children / _CLK)
    return out


def _ppid_map() -> dict[int, int]:
    out = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                raw = (entry / "stat").read_text()
                out[int(entry.name)] = int(raw[raw.rfind(")") + 2 :].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    return out


def tree_cpu_seconds(*roots: int) -> float:
    """CPU seconds so far of `roots` and their living descendants (a server and its audit writer;
    a PostgreSQL postmaster and its backends). Compared before/after a run, it is the work the
    server did for that run, whatever else the machine was doing meanwhile."""
    ppid = _ppid_map()
    tree = {r for r in roots if r}
    changed = True
    while changed:
        changed = False
        for pid, parent in ppid.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                changed = True
    times = _proc_times()
    return sum(times[pid][0] for pid in tree if pid in times)


def _total_busy() -> tuple[float, float]:
    parts = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    vals = [int(x) for x in parts]
    idle = vals[3] + (vals[4] if len(vals) > 4 else 0)
    return (sum(vals) - idle) / _CLK, sum(vals) / _CLK


class CpuWatch:
    """CPU seconds used by processes outside the benchmark between start() and stop().

    "Ours" = this process and its descendants (server, wrk, probe), plus `extra_roots` (the
    PostgreSQL postmaster we benchmark) and their descendants.
    """

    def __init__(self, extra_roots: tuple[int, ...] = ()) -> None:
        self.extra_roots = extra_roots

    def _ours(self) -> set[int]:
        ppid = _ppid_map()
        roots = {os.getpid(), *self.extra_roots}
        ours = set(roots)
        changed = True
        while changed:
            changed = False
            for pid, parent in ppid.items():
                if parent in ours and pid not in ours:
                    ours.add(pid)
                    changed = True
        return ours

    @staticmethod
    def _reaped_children() -> float:
        import resource

        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        return ru.ru_utime + ru.ru_stime

    def start(self) -> CpuWatch:
        self.t0 = time.monotonic()
        self.reaped0 = self._reaped_children()
        self.busy0, self.total0 = _total_busy()
        self.procs0 = _proc_times()
        return self

    def stop(self) -> dict:
        wall = time.monotonic() - self.t0
        busy1, _ = _total_busy()
        procs1 = _proc_times()
        ours = self._ours()
        others: dict[str, float] = {}
        other_total = 0.0
        ours_total = self._reaped_children() - self.reaped0  # wrk, probe: exited and reaped meanwhile
        for pid, (t1, comm, c1) in procs1.items():
            if pid in ours:
                t0, _, c0 = self.procs0.get(pid, (0.0, comm, 0.0))
                # A server's helper process (the upload's reader) may come and go inside the window:
                # counted through its parent's waited-for children; ours through _reaped_children.
                ours_total += t1 - t0 + (c1 - c0 if pid != os.getpid() else 0.0)
                continue
            t0 = self.procs0.get(pid, (0.0, comm, 0.0))[0] if pid in self.procs0 else 0.0
            d = t1 - t0
            if d > 0:
                other_total += d
                others[comm] = others.get(comm, 0.0) + d
        cores = os.cpu_count() or 1
        top = sorted(others.items(), key=lambda kv: -kv[1])[:5]
        return {
            "wall_s": round(wall, 2),
            "machine_busy_pct": round(100 * (busy1 - self.busy0) / (wall * cores), 1) if wall else None,
            "benchmark_cpu_s": round(ours_total, 2),
            "other_processes_cpu_s": round(other_total, 2),
            # Includes processes that came and went inside the window (not seen by name above).
            "other_cpu_s_by_difference": round(max(0.0, (busy1 - self.busy0) - ours_total), 2),
            "other_processes_cores": round(other_total / wall, 2) if wall else None,
            "top_other_processes": {k: round(v, 2) for k, v in top if v >= 0.05},
        }


def wait_until_quiet(
    max_wait_s: float, threshold_cores: float = 0.3, window_s: float = 3.0, extra_roots: tuple[int, ...] = ()
) -> dict:
    """Wait (at most max_wait_s) until other processes use < threshold_cores over a window."""
    start = time.monotonic()
    announced = False
    while True:
        watch = CpuWatch(extra_roots).start()
        time.sleep(window_s)
        seen = watch.stop()
        quiet = (seen["other_processes_cores"] or 0) < threshold_cores
        waited = time.monotonic() - start
        if quiet or waited >= max_wait_s:
            if announced or not quiet:
                log(
                    f"machine {'quiet' if quiet else 'still busy'} after {waited:.0f}s "
                    f"(other processes {seen['other_processes_cores']} cores: {seen['top_other_processes']})"
                )
            return {"waited_s": round(waited, 1), "quiet": quiet, "last_window": seen}
        if not announced:
            log(
                f"other processes busy ({seen['other_processes_cores']} cores: {seen['top_other_processes']}); "
                f"waiting up to {max_wait_s:.0f}s for a quiet machine"
            )
            announced = True
