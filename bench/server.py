"""The real server (``python -m portal serve --workers 1``) as a child process."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench.util import ROOT, free_port, log


class Server:
    def __init__(self, env: dict[str, str], logfile: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.env = env
        self.logfile = logfile
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    name = "server"
    health_path = "/healthz"
    health_marker = b'"ok"'

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "portal",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            "1",
        ]

    def start(self, timeout: float = 180.0) -> None:
        self._fh = self.logfile.open("wb")
        # Own session: stop() signals exactly this server (and the migrate child it may have).
        self.proc = subprocess.Popen(
            self.command(), cwd=ROOT, env=self.env, stdout=self._fh, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(
                    f"bench: {self.name} exited with {self.proc.returncode}; log:\n"
                    + self.logfile.read_text(errors="replace")[-3000:]
                )
            if self._healthy():
                log(f"{self.name} up on {self.base} (pid {self.proc.pid}, log {self.logfile})")
                return
            time.sleep(0.2)
        self.stop()
        raise SystemExit(f"bench: {self.name} not healthy after {timeout:.0f}s; log: {self.logfile}")

    def _healthy(self) -> bool:
        try:
            con = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            con.request("GET", self.health_path)
            resp = con.getresponse()
            ok = resp.status == 200 and self.health_marker in resp.read()
            con.close()
            return ok
        except OSError:
            return False

    def rss_mb(self) -> float | None:
        if not self.proc:
            return None
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
        except OSError:
            return None
        return None

    def stop(self) -> None:
        if not self.proc or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        except ProcessLookupError:
            pass
        self._fh.close()
        log(f"{self.name} stopped (pid {self.proc.pid})")

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class BareServer(Server):
    """The bare Litestar app of bench/bare_app.py, the yardstick of every throughput ratio."""

    name = "bare app"
    health_path = "/"
    health_marker = b"ok"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "bench.bare_app", "--host", "127.0.0.1", "--port", str(self.port)]
