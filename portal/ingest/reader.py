"""批量上传 (R-12): the reading half of an import job, in a process of its own beside the importer.

The job's CPU work is two halves that need not share a core: reading the workbook (the sheet's
XML, then every row into an item, ``items.parse`` and the R-09 checks — pure, no database) and
writing what was read (``bulk``: subjects, records, search index). This process does the reading:

1. a cheap scan of the record ids (``idscan``, in a forked child) tells which rows' ids cannot
   repeat in the file;
2. meanwhile the sheet is parsed once; its rows are kept in ``kept`` (0600, beside the upload,
   removed with it) for the rejected rows' workbook, and once the scan has answered, the rows
   whose id cannot repeat are parsed into items and sent chunk by chunk (those read before the
   answer first, from ``kept``) while the importer writes the chunk before;
3. then the rows held back (an id that may repeat: every row carrying a repeated id is refused)
   are sent, each with whether its id is really sent more than once.
A resumed job's reader skips the first ``skip`` rows it sends: the order depends on the file alone.

Messages on stdout are pickles (the importer is this process's parent, the only reader):
``("counted", estimated rows)``, ``("chunk", [(number, repeated, formulas, unreadable, raw, parsed), …])``
(for a create, ``raw`` holds only its record id),
``("total", rows)`` after the full pass, ``("end",)``, or ``("rejected", code, message)`` for a
file refused by ``workbook``. Anything else is a crash: a traceback on stderr and a non-zero exit, and the importer
fails the job.

``python -m portal.ingest.reader UPLOAD RECORD_TYPE MAX_ROWS KEPT SKIP TODAY CHUNK``
"""

from __future__ import annotations

import gc
import os
import pickle
import queue
import select
import signal
import sys
import threading
from bisect import bisect_left
from collections import Counter
from datetime import date
from itertools import islice
from pathlib import Path

from portal.ingest import idscan, workbook
from portal.ingest.columns import COLUMNS, to_item
from portal.ingest.items import Item, parse

__all__ = ["ref_of_row", "main"]


def ref_of_row(values: dict) -> str:
    return str(values.get(1, "")).strip()  # column 1: 记录编号


class _Pipe:
    """Messages to the importer, written by a thread of their own: the reader parses the next
    chunks while the importer is still writing the last one, instead of waiting on the full pipe
    (at most ``ahead`` pickled chunks wait here; the thread's blocking write releases the GIL)."""

    def __init__(self, out, ahead: int = 4) -> None:
        self.out, self.queue = out, queue.Queue(ahead)
        self.failed: BaseException | None = None
        self.thread = threading.Thread(target=self._write, daemon=True)
        self.thread.start()

    def _write(self) -> None:
        while (data := self.queue.get()) is not None:
            if self.failed is None:
                try:
                    self.out.write(data)
                    self.out.flush()
                except BaseException as exc:  # the importer is gone: the reader stops at its next send
                    self.failed = exc

    def send(self, message) -> None:
        if self.failed is not None:
            raise self.failed
        self.queue.put(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.failed is not None:
            raise self.failed


def _scan(path: Path, max_rows: int) -> idscan.Scan | None:
    sheet = workbook.open_sheet(path)
    try:
        found = idscan.scan(sheet)
    finally:
        sheet.close()
    # The full pass refuses a file over the row limit: when the scan cannot rule that out, nothing
    # may go out before the full pass ends. Data rows are at most the row elements but the header
    # (row 1, which the full pass requires before it yields a row).
    if found is not None and found.rows - 1 > max_rows:
        return None
    return found


def keep_chunk(keep, rows: list) -> None:
    """One chunk of the full pass's rows onto ``kept``: the lowest and highest row number and the
    size before the rows, so that a reader wanting a few rows skips the chunks without them."""
    data = pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL)
    numbers = [row.number for row in rows]
    pickle.dump((min(numbers), max(numbers), len(data)), keep, protocol=pickle.HIGHEST_PROTOCOL)
    keep.write(data)


def kept_chunks(kept: Path, wanted: set[int] | None = None):
    """The chunks of rows written by the full pass, in order (``wanted``: only the chunks holding
    one of these row numbers — the rejected rows' workbook needs a few rows of a large file)."""
    numbers = sorted(wanted) if wanted is not None else None
    with kept.open("rb") as source:
        while True:
            try:
                low, high, size = pickle.load(source)
            except EOFError:
                return
            if numbers is not None and not ((i := bisect_left(numbers, low)) < len(numbers) and numbers[i] <= high):
                source.seek(size, os.SEEK_CUR)
                continue
            yield pickle.loads(source.read(size))


class _Sender:
    """Parses rows into items and sends them in chunks, after the ``skip`` rows a resumed job has
    already committed (the order rows are sent in depends on the file alone)."""

    def __init__(self, out, record_type: str, skip: int, today: date, chunk: int) -> None:
        self.out, self.record_type, self.skip, self.today, self.chunk = out, record_type, skip, today, chunk
        self.columns, self.waiting = COLUMNS[record_type], []

    def add(self, row: workbook.Row, repeated: bool) -> None:
        if self.skip:
            self.skip -= 1
            return
        self.waiting.append((row, repeated))
        if len(self.waiting) >= self.chunk:
            self.flush()

    def flush(self) -> None:
        if not self.waiting:
            return
        items = []
        for row, repeated in self.waiting:
            raw = to_item(self.record_type, self.columns, row.values)
            parsed = parse(raw, self.today)
            if isinstance(parsed, Item) and parsed.action == "create":
                # A create needs only its record id beside the parsed item (its R-09 check is done
                # here; ``item.raw`` serves corrections): half the bytes to pickle and unpickle.
                raw, parsed.raw = {"record_id": raw.get("record_id")}, {}
            items.append((row.number, repeated, row.formulas, row.unreadable, raw, parsed))
        self.waiting = []
        self.out.send(("chunk", items))


class _ScanAside:
    """The id scan in a forked child while this process starts the full parse: on two cores the
    scan (a few seconds for 100,000 rows, while the importer has nothing to write yet) no longer
    delays the first chunk by its whole length. Its answer comes back through a pipe; no row is
    sent before it has come, so a file the scan finds damaged is still refused before any row is
    written. A child that ends without an answer counts as a scan that declined (every row held)."""

    def __init__(self, path: Path, max_rows: int) -> None:
        source, sink = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the child: scan, hand the answer over, end without any clean-up
            try:
                os.close(source)
                with os.fdopen(sink, "wb") as answer:
                    pickle.dump(_scan(path, max_rows), answer, protocol=pickle.HIGHEST_PROTOCOL)
            finally:
                os._exit(0)
        os.close(sink)
        self.source = source

    def ready(self) -> bool:
        return bool(select.select([self.source], [], [], 0)[0])

    def result(self) -> idscan.Scan | None:
        """The answer, waiting for it if need be."""
        source, self.source = self.source, None  # the pipe is this method's now (``stop``)
        with os.fdopen(source, "rb") as answer:
            data = answer.read()
        os.waitpid(self.pid, 0)
        try:
            return pickle.loads(data) if data else None
        except (pickle.UnpicklingError, EOFError):  # cut short: the child died while writing
            return None

    def stop(self) -> None:
        if self.source is not None:  # the full pass ended first (a refused file): no answer wanted
            os.kill(self.pid, signal.SIGKILL)
            os.close(self.source)
            os.waitpid(self.pid, 0)


_WAITING = object()
"""The scan's answer has not come yet."""


def run(path: Path, record_type: str, max_rows: int, kept: Path, skip: int, today: date, chunk: int, out) -> None:
    # Every row whose record id repeats in the file is refused, the first one included. A row goes
    # out during the full pass only when the scan proves its id is not sent again (``idscan.early``);
    # the others are held back (in ``kept``) and sent after the full pass, with the file's real
    # repeated ids known. So a repeated id is always refused, a single one never.
    scan = _ScanAside(path, max_rows)
    try:
        _run(scan, path, record_type, max_rows, kept, skip, today, chunk, out)
    finally:
        scan.stop()


def _run(
    scan: _ScanAside, path: Path, record_type: str, max_rows: int, kept: Path, skip: int, today: date, chunk: int, out
) -> None:
    found = _WAITING
    sender = _Sender(out, record_type, skip, today, chunk)
    total, refs, held = 0, Counter(), set()

    def route(rows: list) -> None:
        for row in rows:
            if idscan.early(found, ref_of_row(row.values)):
                sender.add(row, False)
            else:
                held.add(row.number)

    def answered(keep) -> None:
        nonlocal found
        found = scan.result()
        out.send(("counted", max(found.rows - 1, 0) if found else 0))  # progress: at least the data rows
        keep.flush()
        for rows in kept_chunks(kept):  # the rows read while the scan ran, in file order
            route(rows)

    try:
        fd = os.open(kept, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as keep:
            read = workbook.read_rows(path, record_type, max_rows)
            while rows := list(islice(read, chunk)):
                keep_chunk(keep, rows)
                total += len(rows)
                for row in rows:
                    refs[ref_of_row(row.values)] += 1
                if found is not _WAITING:
                    route(rows)
                elif scan.ready():
                    answered(keep)
            if found is _WAITING:  # the full pass ended first
                answered(keep)
    except workbook.WorkbookRejected as exc:
        out.send(("rejected", exc.code, exc.message))
        return
    sender.flush()
    out.send(("total", total))
    for rows in kept_chunks(kept, held) if held else ():  # only the chunks holding rows held back
        for row in rows:
            if row.number in held:
                sender.add(row, refs[ref_of_row(row.values)] > 1)
    sender.flush()
    out.send(("end",))


def main(argv: list[str]) -> None:
    # The importer ends this process (kill, or a broken pipe when the importer is gone). A shutdown
    # signal sent to the whole group must not end it first: the job would fail instead of staying
    # resumable by housekeeping.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # Parsing makes millions of short-lived, acyclic objects (elements, cells, items): the cyclic
    # collector's frequent passes over them cost ~10 % of the reader's time and free nothing.
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    upload, record_type, max_rows, kept, skip, today, chunk = argv
    out = _Pipe(sys.stdout.buffer)
    sys.stdout = sys.stderr  # nothing but messages on the pipe
    try:
        run(Path(upload), record_type, int(max_rows), Path(kept), int(skip), date.fromisoformat(today), int(chunk), out)
    finally:
        out.close()


if __name__ == "__main__":
    main(sys.argv[1:])
