"""HTTP side of the audit benchmarks: the two self-query servers, logging in, wrk rounds.

Both servers run the same uvicorn command (one worker, as ``python -m portal serve`` configures it)
on the same portal database; only the ASGI factory differs (``bench.audit_app``).
"""

from __future__ import annotations

import http.client
import sys
from pathlib import Path
from urllib.parse import urlencode

from bench.server import Server
from bench.throughput import run_wrk
from bench.util import CpuWatch, log
from bench.web import Client, cookies_from, decoded


class AppServer(Server):
    """``uvicorn bench.audit_app:<factory> --factory`` with the settings ``portal serve`` uses."""

    def __init__(self, env: dict[str, str], logfile: Path, factory: str) -> None:
        super().__init__(env, logfile)
        self.factory = factory
        self.name = f"{factory} server"

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "uvicorn",
            f"bench.audit_app:{self.factory}",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            "1",
            "--proxy-headers",
            "--no-access-log",
            "--log-level",
            "warning",
        ]


def login(port: int, username: str, password: str) -> str:
    """Log in through the real form (CSRF cookie first, as a browser would); the Cookie header."""
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    con.request("GET", "/login", headers={"Host": f"127.0.0.1:{port}"})
    resp = con.getresponse()
    resp.read()
    jar = dict(p.split("=", 1) for p in cookies_from(resp.headers).split("; ") if "=" in p)
    token = jar.get("csrftoken", "")
    body = urlencode({"username": username, "password": password, "next": "/account", "_csrf_token": token})
    con.request(
        "POST",
        "/login",
        body=body,
        headers={
            "Host": f"127.0.0.1:{port}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": "; ".join(f"{k}={v}" for k, v in jar.items()),
        },
    )
    resp = con.getresponse()
    resp.read()
    con.close()
    if resp.status != 303:
        raise SystemExit(f"bench: login as {username} failed: HTTP {resp.status}")
    jar |= dict(p.split("=", 1) for p in cookies_from(resp.headers).split("; ") if "=" in p)
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def check_page(port: int, path: str, cookie: str, must_contain: str = "", headers: dict | None = None) -> dict:
    client = Client(port, {"Cookie": cookie, "Accept": "text/html"} | (headers or {}))
    status, hdrs, body, ms = client.get(path)
    client.close()
    text = decoded(hdrs, body).decode("utf-8", errors="replace")
    return {
        "status": status,
        "wire_bytes": len(body),
        "decoded_bytes": len(text.encode()),
        "ok": status == 200 and (must_contain in text if must_contain else True),
        "ms": round(ms, 3),
        "text": text,
    }


def query_flow_lua(cookie: str) -> str:
    """A self-query as a browser makes it (DESIGN rule 7): the POST that records the query (answered
    303 with the receipt's address), then the GET of that result page; repeated. wrk counts both."""
    jar = dict(p.split("=", 1) for p in cookie.split("; ") if "=" in p)
    body = urlencode({"_csrf_token": jar.get("csrftoken", "")})
    return (
        f'local body = "{body}"\n'
        "local location = nil\n"
        "local n = 0\n"
        "local post = {}\n"
        "function init(args)\n"
        "  for k, v in pairs(wrk.headers) do post[k] = v end\n"  # -H headers (the cookie) stay
        '  post["Content-Type"] = "application/x-www-form-urlencoded"\n'
        "end\n"
        "function request()\n"
        "  n = n + 1\n"
        "  if location == nil or n % 2 == 1 then\n"
        '    return wrk.format("POST", "/me/records", post, body)\n'
        "  end\n"
        '  return wrk.format("GET", location)\n'
        "end\n"
        "function response(status, headers, body)\n"
        '  local found = headers["location"] or headers["Location"]\n'
        "  if found then location = found end\n"
        "end\n"
    )


def check_query(port: int, cookie: str) -> dict:
    """One self-query by hand: the POST (303 to the receipt), then its result page."""
    jar = dict(p.split("=", 1) for p in cookie.split("; ") if "=" in p)
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    con.request(
        "POST",
        "/me/records",
        body=urlencode({"_csrf_token": jar.get("csrftoken", "")}),
        headers={"Host": f"127.0.0.1:{port}", "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    resp = con.getresponse()
    resp.read()
    con.close()
    if resp.status != 303:
        return {"status": resp.status, "text": "", "decoded_bytes": 0}
    return check_page(port, resp.headers["location"], cookie)


def _cpu_s(pid: int | None) -> float:
    """CPU seconds (user + system, all threads) used so far by process ``pid``."""
    if not pid:
        return 0.0
    import os

    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = raw[raw.rfind(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _thread_cpu_s(pid: int | None) -> dict[str, float]:
    """CPU seconds so far per thread of process ``pid`` (``main`` runs the event loop)."""
    out: dict[str, float] = {}
    if not pid:
        return out
    import os

    tick = os.sysconf("SC_CLK_TCK")
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            raw = (task / "stat").read_text()
        except OSError:
            continue
        name = "main" if task.name == str(pid) else f"thread-{task.name}"
        fields = raw[raw.rfind(")") + 2 :].split()
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


def _descendants(pid: int | None) -> list[int]:
    """Child processes of ``pid``, recursively (the portal's audit writer)."""
    out: list[int] = []
    todo = [pid] if pid else []
    while todo:
        p = todo.pop()
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                kids = [int(k) for k in (task / "children").read_text().split()]
            except OSError:
                continue
            out += kids
            todo += kids
    return out


def alternate_wrk(
    ports: dict[str, int],
    path: str,
    cookie: str,
    rounds: int,
    duration: int,
    connections: int,
    threads: int,
    roots: tuple[int, ...] = (),
    pids: dict[str, int | None] | None = None,
    lua: str | None = None,
) -> dict:
    """wrk against each server in turn, ABBA order per pair of rounds so linear drift cancels.

    For each run also the server process's CPU time per request (``server_cpu_ms_per_request``) and
    how busy its core was (``server_cpu_util``): below ~0.95 the server waited rather than worked.
    """
    pids = pids or {}
    headers = {"Cookie": cookie, "Accept-Encoding": "gzip", "Accept": "text/html"}
    names = list(ports)
    for name in names:  # warm-up, unrecorded
        run_wrk(ports[name], path, None, 2, connections, threads, headers, lua)
    runs: dict[str, list[dict]] = {n: [] for n in names}
    for r in range(rounds):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            watch = CpuWatch(roots).start()
            kids = _descendants(pids.get(name))
            cpu0, threads0 = _cpu_s(pids.get(name)), _thread_cpu_s(pids.get(name))
            kids0 = sum(_cpu_s(k) for k in kids)
            res = run_wrk(ports[name], path, None, duration, connections, threads, headers, lua)
            cpu = _cpu_s(pids.get(name)) - cpu0
            kids_cpu = sum(_cpu_s(k) for k in kids) - kids0
            per_thread = {k: v - threads0.get(k, 0.0) for k, v in _thread_cpu_s(pids.get(name)).items()}
            res["interference"] = watch.stop()
            if res.get("requests"):
                res["server_cpu_ms_per_request"] = round(1000 * cpu / res["requests"], 3)
                res["server_cpu_util"] = round(cpu / duration, 3)
                res["server_cpu_ms_per_request_by_thread"] = {
                    k: round(1000 * v / res["requests"], 3) for k, v in sorted(per_thread.items()) if v > 0
                }
                # The audit writer is the portal's child process: its CPU is part of the audited cost.
                res["child_processes_cpu_ms_per_request"] = round(1000 * kids_cpu / res["requests"], 3)
            res["round"] = r
            runs[name].append(res)
            log(
                f"wrk {name} {path} round {r + 1}/{rounds}: {res['rps']:.0f} rps, p50 {res.get('latency_p50_ms')} ms, "
                f"p99 {res.get('latency_p99_ms')} ms, non-2xx {res['non_2xx']}, server CPU "
                f"{res.get('server_cpu_ms_per_request')} ms/request {res.get('server_cpu_ms_per_request_by_thread')}, "
                f"child processes {res.get('child_processes_cpu_ms_per_request')} ms/request, "
                f"util {res.get('server_cpu_util')}"
            )
    return runs
