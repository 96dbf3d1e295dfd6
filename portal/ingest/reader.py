"""批量上传 (R-12): the reading half of an import job, in a process of its own beside the importer.

The job's CPU work is two halves that need not share a core: reading the workbook (the sheet's
XML, then every row into an item, ``items.parse`` and the R-09 checks — pure, no database) and
writing what was read (``bulk``: subjects, records, search index). This process does the reading:

1. the sheet is parsed once; its rows are kept in ``kept`` (0600, beside the upload, removed with
   it) for the rejected rows' workbook, and the row count and record ids (duplicates inside the
   file need the whole file before the first row is judged) go to the importer;
2. then the kept rows, after the ``skip`` rows a resumed job has already committed, are parsed into
   items, chunk by chunk, while the importer writes the chunk before.

Messages on stdout are pickles (the importer is this process's parent, the only reader):
``("counted", total, {duplicated record id: count})``, ``("chunk", [(number, ref, formulas, raw,
parsed), …])``, ``("end",)``, or ``("rejected", code, message)`` for a file refused by
``workbook``. Anything else is a crash: a traceback on stderr and a non-zero exit, and the importer
fails the job.

``python -m portal.ingest.reader UPLOAD RECORD_TYPE MAX_ROWS KEPT SKIP TODAY CHUNK``
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
from collections import Counter
from datetime import date
from itertools import islice
from pathlib import Path

from portal.ingest import workbook
from portal.ingest.columns import COLUMNS, to_item
from portal.ingest.items import parse

__all__ = ["ref_of_row", "main"]


def ref_of_row(values: dict) -> str:
    return str(values.get(1, "")).strip()  # column 1: 记录编号


def _send(out, message) -> None:
    pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)
    out.flush()


def _count(path: Path, record_type: str, max_rows: int, kept: Path, chunk: int) -> tuple[int, Counter]:
    total, refs = 0, Counter()
    fd = os.open(kept, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        read = workbook.read_rows(path, record_type, max_rows)
        while rows := list(islice(read, chunk)):
            pickle.dump(rows, out, protocol=pickle.HIGHEST_PROTOCOL)
            total += len(rows)
            refs.update(ref_of_row(row.values) for row in rows)
    return total, refs


def kept_chunks(kept: Path):
    """The chunks of rows written by the first pass, in order."""
    with kept.open("rb") as source:
        while True:
            try:
                yield pickle.load(source)
            except EOFError:
                return


def _parsed(kept: Path, record_type: str, skip: int, today: date):
    columns = COLUMNS[record_type]
    for rows in kept_chunks(kept):
        if skip >= len(rows):
            skip -= len(rows)
            continue
        rows, skip = rows[skip:], 0
        yield [
            (row.number, ref_of_row(row.values), row.formulas, raw, parse(raw, today))
            for row in rows
            for raw in (to_item(record_type, columns, row.values),)
        ]


def run(path: Path, record_type: str, max_rows: int, kept: Path, skip: int, today: date, chunk: int, out) -> None:
    try:
        total, refs = _count(path, record_type, max_rows, kept, chunk)
    except workbook.WorkbookRejected as exc:
        _send(out, ("rejected", exc.code, exc.message))
        return
    _send(out, ("counted", total, {ref: n for ref, n in refs.items() if n > 1}))  # the importer needs only these
    for parsed in _parsed(kept, record_type, skip, today):
        _send(out, ("chunk", parsed))
    _send(out, ("end",))


def main(argv: list[str]) -> None:
    # The importer ends this process (kill, or a broken pipe when the importer is gone). A shutdown
    # signal sent to the whole group must not end it first: the job would fail instead of staying
    # resumable by housekeeping.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    upload, record_type, max_rows, kept, skip, today, chunk = argv
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but messages on the pipe
    run(Path(upload), record_type, int(max_rows), Path(kept), int(skip), date.fromisoformat(today), int(chunk), out)


if __name__ == "__main__":
    main(sys.argv[1:])
