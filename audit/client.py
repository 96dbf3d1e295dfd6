"""The recorder's side of the audit writer process (``audit.writer``): appends over a Unix socket.

By default each portal process starts its own writer as a child (``python -m audit writer``, a
private 0700 directory holds the socket); the child exits when our end of its stdin closes, so it
never outlives the portal by more than the batch it is committing. With ``AUDIT_WRITER_SOCKET``
the recorder connects to a writer run as its own service instead.

Each event loop has its own connection, read by the loop itself: a receipt costs the portal one
write and a share of one read, no thread hand-off. A reply arrives only after COMMIT; anything
else (the writer died, the socket broke, no reply within ``AUDIT_TIMEOUT_SECONDS``) is
``AuditUnavailable``, and a timed-out append is withdrawn if the writer has not inserted it yet.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

from audit.events import AuditUnavailable, Receipt
from audit.settings import ROOT, AuditSettings
from audit.wire import LINE_LIMIT, abandon_request, append_request, receipt_from

START_TIMEOUT_S = 30.0  # a cold interpreter on a loaded machine; the caller's own timeout still applies


class WriterProcess:
    """The writer started as this process's child: started on first use, restarted if it died."""

    def __init__(self, settings: AuditSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._dir: str | None = None
        self._path = ""

    def path(self) -> str:
        """The socket of a running writer (blocking: may start one). Raises ``AuditUnavailable``."""
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._stop()
                self._start()
            return self._path

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _start(self) -> None:
        self._dir = tempfile.mkdtemp(prefix="audit-writer-")  # 0700: only this user reaches the socket
        self._path = os.path.join(self._dir, "writer.sock")
        env = os.environ | self.settings.with_(writer_socket=None).as_env()
        proc = subprocess.Popen(
            [sys.executable, "-m", "audit", "writer", "--socket", self._path, "--exit-with-stdin"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=ROOT,
            env=env,
        )
        self._proc = proc
        ready, _, _ = select.select([proc.stdout], [], [], START_TIMEOUT_S)
        line = proc.stdout.readline() if ready else b""
        if line.strip() != b"ready":
            self._stop()
            raise AuditUnavailable(f"audit writer did not start (exit code {proc.poll()})")

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            try:
                proc.stdin.close()  # the writer commits what it holds, then exits
                proc.wait(15)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait()
            proc.stdout.close()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None


class _Connection:
    """One event loop's connection to the writer; its reader task settles the waiting appends."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, forget) -> None:
        self.reader = reader
        self.writer = writer
        self.pending: dict[int, asyncio.Future[Receipt]] = {}
        self.closed = False
        self._forget = forget
        self.loop = asyncio.get_running_loop()
        self.task = self.loop.create_task(self._read())

    def send(self, rid: int, values: tuple[str, ...]) -> asyncio.Future[Receipt]:
        if self.closed or self.writer.is_closing():
            raise ConnectionError("audit writer connection closed")
        waiter = self.loop.create_future()
        self.pending[rid] = waiter
        self.writer.write(append_request(rid, values))
        return waiter

    def abandon(self, rid: int) -> None:
        self.pending.pop(rid, None)
        if not self.closed and not self.writer.is_closing():
            self.writer.write(abandon_request(rid))

    async def _read(self) -> None:
        error = "audit writer closed the connection"
        try:
            while line := await self.reader.readline():
                msg = json.loads(line)
                waiter = self.pending.pop(msg["id"], None)
                if waiter is None or waiter.done():
                    continue  # withdrawn by a caller that timed out
                try:
                    waiter.set_result(receipt_from(msg))
                except AuditUnavailable as exc:  # an error reply: this append only
                    waiter.set_exception(exc)
        except (OSError, ValueError, KeyError) as exc:
            error = f"audit writer connection broken: {type(exc).__name__}: {exc}"
        finally:
            self.closed = True
            self._forget(self)
            for waiter in self.pending.values():
                if not waiter.done():
                    waiter.set_exception(AuditUnavailable(error))
            self.pending.clear()
            self.writer.close()


class WriterClient:
    """Appends for one process, from any event loop (one connection each) or thread (``record_sync``)."""

    def __init__(self, settings: AuditSettings) -> None:
        self.settings = settings
        self.process = None if settings.writer_socket else WriterProcess(settings)
        self._ids = itertools.count(1)
        self._conns: dict[asyncio.AbstractEventLoop, _Connection] = {}
        self._opening: dict[asyncio.AbstractEventLoop, asyncio.Task[_Connection]] = {}

    def socket_path(self) -> str:
        """Blocking (may start the child writer)."""
        return self.settings.writer_socket or self.process.path()

    async def record(self, values: tuple[str, ...]) -> Receipt:
        conn: _Connection | None = None
        rid = next(self._ids)
        try:
            async with asyncio.timeout(self.settings.timeout):
                conn = await self._connection()
                return await conn.send(rid, values)
        except TimeoutError as exc:
            if conn is not None:
                conn.abandon(rid)  # withdrawn unless the writer already inserted it
            raise AuditUnavailable(f"audit append not committed within {self.settings.timeout}s") from exc
        except OSError as exc:
            raise AuditUnavailable(f"audit writer unreachable: {type(exc).__name__}: {exc}") from exc

    def record_sync(self, values: tuple[str, ...]) -> Receipt:
        """For synchronous callers (threads, scripts); never call it on a running event loop."""
        rid = next(self._ids)
        deadline = time.monotonic() + self.settings.timeout
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(self.settings.timeout)
                sock.connect(self.socket_path())
                sock.sendall(append_request(rid, values))
                buf = b""
                try:
                    while b"\n" not in buf:
                        sock.settimeout(max(0.001, deadline - time.monotonic()))
                        chunk = sock.recv(65536)
                        if not chunk:
                            raise ConnectionError("audit writer closed the connection")
                        buf += chunk
                except TimeoutError:
                    sock.sendall(abandon_request(rid))
                    raise
        except TimeoutError as exc:
            raise AuditUnavailable(f"audit append not committed within {self.settings.timeout}s") from exc
        except OSError as exc:
            raise AuditUnavailable(f"audit writer unreachable: {type(exc).__name__}: {exc}") from exc
        try:
            msg = json.loads(buf.split(b"\n", 1)[0])
        except ValueError as exc:
            raise AuditUnavailable(f"malformed reply from the audit writer: {exc}") from exc
        return receipt_from(msg)

    async def _connection(self) -> _Connection:
        loop = asyncio.get_running_loop()
        conn = self._conns.get(loop)
        if conn is not None and not conn.closed:
            return conn
        opening = self._opening.get(loop)
        if opening is None:
            opening = loop.create_task(self._open())
            self._opening[loop] = opening
            opening.add_done_callback(lambda _: self._opening.pop(loop, None))
        return await asyncio.shield(opening)  # a caller timing out does not abort the connect

    async def _open(self) -> _Connection:
        path = self.settings.writer_socket or await asyncio.to_thread(self.process.path)
        reader, writer = await asyncio.open_unix_connection(path, limit=LINE_LIMIT)
        conn = _Connection(reader, writer, self._forget)
        self._conns[conn.loop] = conn
        return conn

    def _forget(self, conn: _Connection) -> None:
        if self._conns.get(conn.loop) is conn:
            del self._conns[conn.loop]

    def close(self) -> None:
        """Stop the child writer (it commits what it holds first); loops' connections then close."""
        if self.process is not None:
            self.process.close()
