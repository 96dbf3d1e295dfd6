"""The recorder's side of the audit writer process (``audit.writer``): appends over a Unix socket.

By default the processes of a host share one writer (``python -m audit writer``) on a well-known
socket under the data dir (``shared_socket_path``, in a 0700 directory): the first process that
needs it starts it as its child, the others connect; the child exits when its parent's end of its
stdin closes, so it never outlives the portal by more than the batch it is committing, and the next
append anywhere starts a new one (under a lock: exactly one). With ``AUDIT_WRITER_SOCKET`` the
recorder connects to a writer run as its own service instead.

Each event loop has its own connection, read by the loop itself: a receipt costs the portal one
write and a share of one read, no thread hand-off. A reply arrives only after COMMIT; anything
else (the writer died, the socket broke, no reply within ``AUDIT_TIMEOUT_SECONDS``) is
``AuditUnavailable``, and a timed-out append is withdrawn if the writer has not inserted it yet.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import itertools
import json
import os
import select
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from audit.events import AuditUnavailable, Receipt
from audit.settings import ROOT, AuditSettings
from audit.wire import LINE_LIMIT, abandon_request, append_request, receipt_from

START_TIMEOUT_S = 30.0  # a cold interpreter on a loaded machine; the caller's own timeout still applies
_PROBE_TIMEOUT_S = 1.0
_SOCKET_PATH_MAX = 100  # sun_path holds 107 bytes


def shared_socket_path(settings: AuditSettings) -> Path:
    """The host's well-known writer socket for these settings: ``<data dir>/audit-writer/<key>.sock``.

    The key is a digest of everything the writer is started with (store, schema, timeout, batch…),
    so processes configured alike share one writer and a process configured otherwise (a test, a
    replaced recorder) never appends through a writer of another store. A path too long for a Unix
    socket (107 bytes) moves to a private directory under the system temp dir.
    """
    env = settings.with_(writer_socket=None).as_env()
    key = hashlib.sha256(json.dumps(env, sort_keys=True).encode()).hexdigest()[:16]
    path = settings.data_dir / "audit-writer" / f"{key}.sock"
    if len(os.fsencode(path)) > _SOCKET_PATH_MAX:
        path = Path(tempfile.gettempdir()) / f"audit-writer-{os.getuid()}" / f"{key}.sock"
    return path


def _private_dir(path: Path) -> None:
    """0700 and ours: nobody else may put a socket where we will send events."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise AuditUnavailable(f"{path} is not a directory of this user: refusing to use its writer socket")
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(path, 0o700)


def _answers(path: Path) -> bool:
    """A writer listens on ``path`` (a stale socket of a killed writer refuses the connection)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(_PROBE_TIMEOUT_S)
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


class WriterProcess:
    """The host's shared writer (one per data dir and settings, not one per worker process).

    Every process of the portal (``serve --workers N``: the serve parent starts it, workers connect)
    uses the writer on the well-known socket. If none answers, the next append starts one under an
    exclusive lock on ``<key>.lock``, so processes that find it dead together start exactly one;
    the others wait for the lock and then connect to it. The writer is the child of the process
    that started it and exits when that process ends (its stdin closes); the next append anywhere
    starts a new one. ``pid`` is the writer this process started, if it is alive or was started here.
    """

    def __init__(self, settings: AuditSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._socket = shared_socket_path(settings)
        self._path = str(self._socket)

    def path(self) -> str:
        """The socket of a running writer (blocking: may start one). Raises ``AuditUnavailable``."""
        with self._lock:
            if self._proc is not None:
                if self._proc.poll() is None:
                    return self._path
                self._stop()  # ours died: reap it; maybe another process already replaced it
            try:
                if _answers(self._socket):
                    return self._path
                _private_dir(self._socket.parent)
                with open(self._socket.with_suffix(".lock"), "a+b") as lock:
                    fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
                    if not _answers(self._socket):  # nobody started one while we waited
                        self._start()
            except OSError as exc:
                raise AuditUnavailable(f"audit writer socket unusable: {type(exc).__name__}: {exc}") from exc
            return self._path

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _start(self) -> None:
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
                proc.stdin.close()  # the writer commits what it holds, removes its socket, exits
                proc.wait(15)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait()
            proc.stdout.close()


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
