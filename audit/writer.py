"""The audit writer process: the only process that appends to the audit store (R-19; issue 3 item 5).

    python -m audit writer --socket PATH [--mode 0660] [--exit-with-stdin]

It listens on a Unix socket (mode 0600 unless ``--mode``) and commits appends in group-commit
transactions (``store.sqlite_append`` / ``store.pg_append``: chain lock, numbering, counts, hashes, COMMIT).
The portal's recorder (``audit.client``) starts one as its child by default, or connects to one
run as its own service (``AUDIT_WRITER_SOCKET``), which then alone holds the store's write
credentials. The commit work (hashing, SQLite pages and fsync, PostgreSQL round trips) stays off
the portal process and its GIL; here it runs on one thread with no hand-offs: requests that arrive
while a batch commits form the next batch.

The protocol is in ``audit.wire``. A reply is sent only after COMMIT returned. Every event is
validated again here (``prepare``): the writer trusts no client.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import sqlite3
import sys
import time
from collections.abc import Callable

from audit.db import BackgroundLoop
from audit.events import EVENT_FIELDS, AuditUnavailable, QueryEvent, Receipt, prepare
from audit.settings import AuditSettings
from audit.store import _unavailable, open_pg_writer, open_sqlite_writer, pg_append, sqlite_append
from audit.wire import LINE_LIMIT, error_reply, receipt_reply

OUT_LIMIT = 16 << 20  # replies a client does not read; beyond this it is dropped


# Group commit. A commit has a fixed cost (SQLite: the WAL pages of the entries, their eight
# indexes, the counts and the head, written and fsync'd; PostgreSQL: four round trips) that batching
# shares, at the price of latency. Under light load CPU is plentiful and latency matters: commit at
# once. When appends arrive faster than one per _BUSY_GAP_S on average (a busy portal, whose cores
# the writer shares), the writer, idle since the previous commit (>= _IDLE_S: the append comes from
# an independent request, not from a caller that waited for the previous commit), waits for about
# _GATHER_ENOUGH appends' worth of arrivals, at most _GATHER_MAX_S, before committing. A wait that
# found no company (one fast client querying in sequence) is not repeated for the next 8, 16, …
# 256 commits, so such a client almost never waits. Measured in bench/BENCH.md.
_GATHER_MAX_S = 0.020
_GATHER_ENOUGH = 8
_BUSY_GAP_S = 0.008
_IDLE_S = 0.001
_EWMA = 0.1  # weight of the newest gap in the mean
_SKIP_FIRST, _SKIP_MAX = 8, 256


class _Arrivals:
    """The writer's view of load: the mean gap between appends, and whether waiting paid off."""

    def __init__(self) -> None:
        self.mean_gap = 1.0
        self._last = 0.0
        self._skip = 0  # commits left without waiting
        self._backoff = _SKIP_FIRST

    def note(self, now: float) -> None:
        gap = min(now - self._last, 1.0) if self._last else 1.0
        self.mean_gap += _EWMA * (gap - self.mean_gap)
        self._last = now

    def window(self, idle_for: float, pending: int) -> float:
        """How long to wait for company before committing ``pending`` appends (0: commit now)."""
        if self._skip > 0:
            self._skip -= 1
            return 0.0
        if idle_for < _IDLE_S or self.mean_gap >= _BUSY_GAP_S or pending >= _GATHER_ENOUGH:
            return 0.0
        return min(_GATHER_MAX_S, (_GATHER_ENOUGH - pending) * self.mean_gap)

    def waited(self, batch_size: int) -> None:
        """After a wait: alone → back off (doubling), company → wait again next time."""
        if batch_size > 1:
            self._backoff = _SKIP_FIRST
        else:
            self._skip, self._backoff = self._backoff, min(self._backoff * 2, _SKIP_MAX)


class _Client:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.inbox = b""
        self.outbox = bytearray()
        self.pending: dict[int, _Append] = {}
        self.gone = False


class _Append:
    __slots__ = ("client", "rid", "values", "abandoned")

    def __init__(self, client: _Client, rid: int, values: tuple[str, ...]) -> None:
        self.client = client
        self.rid = rid
        self.values = values
        self.abandoned = False


class _SQLiteCommit:
    def __init__(self, settings: AuditSettings) -> None:
        self.settings = settings
        self.conn: sqlite3.Connection | None = None

    def __call__(self, items: Callable[[], list[tuple[str, ...]]]) -> list[Receipt]:
        try:
            if self.conn is None:
                self.conn = open_sqlite_writer(self.settings)
            return sqlite_append(self.conn, items)
        except BaseException:
            if self.conn is not None:
                self.conn.close()
                self.conn = None
            raise

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


class _PgCommit:
    """asyncpg needs a loop: the commit runs on a background loop while this thread waits for it."""

    def __init__(self, settings: AuditSettings) -> None:
        self.settings = settings
        self.bg = BackgroundLoop("audit-writer-pg")
        self.conn = None

    async def _append(self, items: Callable[[], list[tuple[str, ...]]]) -> list[Receipt]:
        try:
            if self.conn is None or self.conn.is_closed():
                self.conn = await open_pg_writer(self.settings)
            return await pg_append(self.conn, items)
        except BaseException:
            if self.conn is not None:
                self.conn.terminate()
                self.conn = None
            raise

    def __call__(self, items: Callable[[], list[tuple[str, ...]]]) -> list[Receipt]:
        future = self.bg.submit(self._append(items))
        try:
            return future.result(self.settings.timeout * 3)
        except TimeoutError:
            future.cancel()  # the coroutine rolls back and drops the connection
            raise

    def close(self) -> None:
        async def cleanup() -> None:
            if self.conn is not None:
                await self.conn.close()

        self.bg.stop(cleanup)


class WriterServer:
    """Single-threaded: a selector for the sockets, the commit inline."""

    def __init__(self, settings: AuditSettings, path: str, exit_with_stdin: bool = False, mode: int = 0o600) -> None:
        self.settings = settings
        self.path = path
        self.commit = _PgCommit(settings) if settings.is_postgres else _SQLiteCommit(settings)
        self.queue: list[_Append] = []  # received, not yet in a batch
        self.arrivals = _Arrivals()
        self.stopping = False
        self.sel = selectors.DefaultSelector()
        if os.path.exists(path):
            os.unlink(path)  # a stale socket of a previous run
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o777 & ~mode)  # 0600 by default: only this user may append
        try:
            self.listener.bind(path)
        finally:
            os.umask(old)
        self.listener.listen(128)
        self.listener.setblocking(False)
        self.sel.register(self.listener, selectors.EVENT_READ, "listener")
        self._wake_r, self._wake_w = socket.socketpair()  # SIGTERM/SIGINT wake the selector
        for s in (self._wake_r, self._wake_w):
            s.setblocking(False)
        signal.set_wakeup_fd(self._wake_w.fileno())
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        self.sel.register(self._wake_r, selectors.EVENT_READ, "wake")
        if exit_with_stdin:
            self.sel.register(sys.stdin.buffer.raw, selectors.EVENT_READ, "stdin")

    def _on_signal(self, signum, frame) -> None:
        self.stopping = True

    # -- input ---------------------------------------------------------------------------------

    def poll(self, timeout: float | None) -> None:
        for key, mask in self.sel.select(timeout):
            if key.data == "listener":
                self._accept()
            elif key.data == "wake":
                self._wake_r.recv(4096)
            elif key.data == "stdin":
                if not os.read(sys.stdin.fileno(), 4096):  # EOF: the parent closed the pipe or died
                    self.sel.unregister(key.fileobj)
                    self.stopping = True
            else:
                if mask & selectors.EVENT_WRITE:
                    self._send(key.data)
                if mask & selectors.EVENT_READ:
                    self._receive(key.data)

    def _accept(self) -> None:
        try:
            sock, _ = self.listener.accept()
        except BlockingIOError:
            return
        sock.setblocking(False)
        self.sel.register(sock, selectors.EVENT_READ, _Client(sock))

    def _receive(self, client: _Client) -> None:
        try:
            chunk = client.sock.recv(1 << 18)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._drop(client)  # its queued appends still commit; nobody hears about them
            return
        *lines, client.inbox = (client.inbox + chunk).split(b"\n")
        if len(client.inbox) > LINE_LIMIT:
            self._drop(client, "request line too long")
            return
        for line in lines:
            if line and not client.gone:
                self._handle(client, line)

    def _handle(self, client: _Client, line: bytes) -> None:
        try:
            msg = json.loads(line)
            rid = msg["id"]
            if not isinstance(rid, int):
                raise ValueError("id must be an integer")
        except (ValueError, KeyError, TypeError) as exc:
            self._drop(client, f"malformed request: {exc}")
            return
        if "abandon" in msg:
            append = client.pending.get(rid)
            if append is not None:
                append.abandoned = True
            return
        try:
            values = msg["v"]
            if not isinstance(values, list) or len(values) != len(EVENT_FIELDS):
                raise ValueError(f"v must list the {len(EVENT_FIELDS)} event values")
            prepared = prepare(QueryEvent(*values))
        except (ValueError, TypeError, KeyError) as exc:
            self._reply(client, rid, error_reply(rid, f"bad event: {exc}"))
            self._send(client)
            return
        append = _Append(client, rid, prepared)
        client.pending[rid] = append
        self.queue.append(append)
        self.arrivals.note(time.monotonic())

    def _drop(self, client: _Client, why: str = "") -> None:
        if why:
            print(f"audit writer: dropping a client: {why}", file=sys.stderr)
        client.gone = True
        try:
            self.sel.unregister(client.sock)
        except (KeyError, ValueError):
            pass
        client.sock.close()

    # -- output --------------------------------------------------------------------------------

    def _reply(self, client: _Client, rid: int, line: bytes) -> None:
        client.pending.pop(rid, None)
        if not client.gone:
            client.outbox += line

    def _flush(self, clients: set[_Client]) -> None:
        for client in clients:
            if not client.gone and client.outbox:
                self._send(client)

    def _send(self, client: _Client) -> None:
        try:
            sent = client.sock.send(client.outbox)
        except BlockingIOError:
            sent = 0
        except OSError:
            self._drop(client)
            return
        del client.outbox[:sent]
        if len(client.outbox) > OUT_LIMIT:
            self._drop(client, "client does not read its replies")
            return
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if client.outbox else 0)
        self.sel.modify(client.sock, events, client)

    # -- commits -------------------------------------------------------------------------------

    def _commit(self, batch: list[_Append]) -> None:
        kept: list[_Append] = []
        limit = self.settings.max_batch

        def items() -> list[tuple[str, ...]]:
            # Called once the chain lock is held: take what arrived meanwhile (a bigger group
            # commit) and drop appends whose callers gave up (they were told 503).
            self.poll(0)
            extra = self.queue[: max(0, limit - len(batch))]
            del self.queue[: len(extra)]
            batch.extend(extra)
            kept[:] = [a for a in batch if not a.abandoned]
            return [a.values for a in kept]

        try:
            receipts = self.commit(items)
        except Exception as exc:
            error = exc if isinstance(exc, AuditUnavailable) else _unavailable(exc)
            for a in batch:
                self._reply(a.client, a.rid, error_reply(a.rid, str(error)))
        else:
            for a, r in zip(kept, receipts):
                self._reply(a.client, a.rid, receipt_reply(a.rid, r))
            done = {id(a) for a in kept}
            for a in batch:
                if id(a) not in done:
                    self._reply(a.client, a.rid, error_reply(a.rid, "append withdrawn: the caller timed out"))
        self._flush({a.client for a in batch})

    def serve(self) -> None:
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        try:
            while not (self.stopping and not self.queue):
                idle_since = time.monotonic()
                self.poll(0 if self.queue else None)
                if not self.queue:
                    continue
                idle_for = time.monotonic() - idle_since
                window = 0.0 if self.stopping else self.arrivals.window(idle_for, len(self.queue))
                if window:
                    deadline = time.monotonic() + window
                    while len(self.queue) < _GATHER_ENOUGH and (left := deadline - time.monotonic()) > 0:
                        self.poll(left)
                    self.arrivals.waited(len(self.queue))
                batch = self.queue[: self.settings.max_batch]
                del self.queue[: len(batch)]
                self._commit(batch)
        finally:
            self.close()

    def close(self) -> None:
        self.commit.close()
        self.sel.close()
        self.listener.close()
        try:
            os.unlink(self.path)
        except OSError:
            pass


def serve(settings: AuditSettings, path: str, exit_with_stdin: bool = False, mode: int = 0o600) -> None:
    """Serve until SIGTERM/SIGINT, or (``exit_with_stdin``) until the parent closes our stdin;
    appends already received are committed first. ``mode``: the socket's permissions (0660 lets a
    portal running under another account of the socket's group append)."""
    WriterServer(settings, path, exit_with_stdin, mode).serve()
