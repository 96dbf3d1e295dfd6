"""批量上传 (R-12): an uploaded workbook becomes an import job that runs server-side.

``accept`` stores the file (private imports directory, 0600, byte count never trusted from the
client), checks it by content (``workbook.inspect``, the header row) and queues a job; ``run``
claims the job by a conditional UPDATE and imports it chunk by chunk through ``service.apply_many``
(the rules every path shares; one transaction per chunk, each row whole or not at all), committing its
progress with each chunk. The reading half (the sheet parsed once, rows into items, ``items.parse``
with the R-09 checks) runs in a child process, ``reader``, which sends the parsed chunks while
this process writes the chunk before (on two cores the two halves run side by side): first the
rows whose record id cannot repeat in the file, then the rows held back until the whole file's
repeated ids were known (every row carrying one is refused). A job whose worker died is
claimed again by the housekeeping job (``resume_stale``) and continues after the last committed
chunk: the rows are idempotent by (agency, record_id), and rejections are kept in a side file by
row number, so a row applied twice is counted ``unchanged`` at worst.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import pickle
import secrets
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path

import anyio.to_thread

from portal.accounts.tables import Account
from portal.ingest import reader, service, workbook
from portal.ingest.columns import COLUMNS
from portal.ingest.items import FieldError, Item
from portal.ingest.service import Reporter
from portal.ingest.tables import Channel, ImportJob, ImportStatus, IngestBatch
from portal.lib.dates import today_cn
from portal.settings import get_settings
from portal.subjects.identity import id_number_digest
from portal.subjects.tables import Subject

__all__ = ["ImportRejected", "accept", "run", "resume_stale", "job_for", "rejected_path", "imports_dir"]

log = logging.getLogger("portal.ingest")
J = ImportJob
CHUNK = 500
"""Rows per transaction (and per progress step): a few statements each, within both engines' limits
on bound parameters (500 records × 20 columns)."""
STALE = timedelta(minutes=5)
"""A running job without a heartbeat for this long lost its worker."""
QUEUED_GRACE = timedelta(minutes=1)
_OUTCOMES = ("created", "corrected", "revoked", "unchanged", "rejected")


class ImportRejected(ValueError):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(code)
        self.code, self.message, self.status = code, message, status


def _now() -> datetime:
    return datetime.now(timezone.utc)


REJECTED_KEPT = timedelta(days=30)
"""How long a rejected-rows workbook stays downloadable: it repeats the rows as uploaded (names,
maybe ID numbers), so it is kept for the agency to fix and resend, not for ever (R-17)."""


async def sweep_rejected(now: datetime | None = None) -> str:
    """Housekeeping: delete rejected-rows workbooks of imports finished more than 30 days ago."""
    cutoff = (now or _now()) - REJECTED_KEPT
    rows = await J.select(J.id, J.rejected_name).where((J.rejected_name != "") & (J.finished_at < cutoff))
    for row in rows:
        _path(row["rejected_name"]).unlink(missing_ok=True)
        await J.update({J.rejected_name: ""}).where(J.id == row["id"])
    return f"rejected workbooks removed: {len(rows)}"


def imports_dir() -> Path:
    path = get_settings().data_dir / "imports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _path(name: str) -> Path:
    return imports_dir() / name


def rejected_path(job: dict) -> Path | None:
    return _path(job["rejected_name"]) if job.get("rejected_name") else None


def too_large() -> ImportRejected:
    limit = get_settings().xlsx_max_bytes // (1024 * 1024)
    return ImportRejected("too_large", f"文件超过 {limit} MB，请拆分后分批上传", 413)


async def _save(source, path: Path, limit: int) -> int:
    """Copy the upload to ``path`` (0600), counting bytes as they come."""
    size = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        while chunk := await source.read(64 * 1024):
            size += len(chunk)
            if size > limit:
                break
            await anyio.to_thread.run_sync(out.write, chunk)
    if size > limit:
        path.unlink(missing_ok=True)
        raise too_large()
    return size


def _check(path: Path) -> str:
    settings = get_settings()
    workbook.inspect(path, settings.xlsx_max_unzipped_bytes)
    return workbook.sheet_type(path)


async def accept(source, *, agency_id: int, account_id: int, original_name: str) -> int:
    """Store and check an uploaded workbook; returns the queued job's id. Raises ImportRejected."""
    stored = secrets.token_urlsafe(24) + ".xlsx"
    path = _path(stored)
    size = await _save(source, path, get_settings().xlsx_max_bytes)
    try:
        if size == 0:
            raise ImportRejected("empty", "请选择要上传的 Excel 文件")
        record_type = await anyio.to_thread.run_sync(_check, path)
    except workbook.WorkbookRejected as exc:
        path.unlink(missing_ok=True)
        raise ImportRejected(exc.code, exc.message) from None
    except ImportRejected:
        path.unlink(missing_ok=True)
        raise
    job = J(
        agency=agency_id,
        account=account_id,
        status=ImportStatus.QUEUED,
        record_type=record_type,
        original_name=(original_name or "")[:200],
        stored_name=stored,
        size=size,
        created_at=_now(),
    )
    await job.save()
    return job.id


async def job_for(job_id: int, agency_id: int | None) -> dict | None:
    """The job, only for an officer of the agency that uploaded it."""
    if agency_id is None:
        return None
    return await J.select().where((J.id == job_id) & (J.agency == agency_id)).first()


async def _claim(job_id: int) -> dict | None:
    now = _now()
    claimable = (J.status == ImportStatus.QUEUED) | (
        (J.status == ImportStatus.RUNNING) & (J.heartbeat_at < now - STALE)
    )
    claimed = await (
        J.update({J.status: ImportStatus.RUNNING, J.heartbeat_at: now, J.started_at: now})
        .where((J.id == job_id) & claimable)
        .returning(J.id)
    )
    if not claimed:
        return None  # another worker has it, or it is finished
    return await J.select().where(J.id == job_id).first()


def _scratch(path: Path) -> tuple[Path, Path]:
    """The rejections' side file and the rows read from the workbook."""
    return path.with_suffix(".rejected.jsonl"), path.with_suffix(".rows")


def _reason(errors, headers: dict[str, str]) -> str:
    parts = []
    for e in errors:
        # These messages name their columns themselves.
        names_itself = e.code == "not_correctable" or e.code.startswith(("forbidden_", "consent_invalid"))
        label = None if names_itself else headers.get(e.field)
        parts.append(f"{label}：{e.message}" if label else e.message)
    return "；".join(parts)


def _start_reader(path: Path, record_type: str, kept: Path, skip: int, today) -> subprocess.Popen:
    """The reading half of the job in a process of its own (``reader``): on two cores the
    workbook is parsed while the chunk before is written."""
    root = str(Path(__file__).resolve().parents[2])
    env = os.environ | {"PYTHONPATH": os.pathsep.join(filter(None, (root, os.environ.get("PYTHONPATH"))))}
    args = (path, record_type, get_settings().xlsx_max_rows, kept, skip, today.isoformat(), CHUNK)
    return subprocess.Popen(
        [sys.executable, "-m", "portal.ingest.reader", *map(str, args)],
        stdout=subprocess.PIPE,
        env=env,
        cwd=root,
        start_new_session=True,  # a Ctrl-C at the server's terminal is for the server
    )


def _receive(proc: subprocess.Popen) -> tuple:
    try:
        # From our own child process, about the upload this job stored.
        return pickle.load(proc.stdout)
    except EOFError:
        raise RuntimeError(f"the reader process ended early (exit code {proc.wait()})") from None


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    proc.stdout.close()


async def _process(job: dict) -> None:
    path, record_type = _path(job["stored_name"]), job["record_type"]
    columns = COLUMNS[record_type]
    headers = {c.path: c.header for c in columns if c.path}
    index_of = {c.path: i for i, c in enumerate(columns) if c.path}
    side, kept = _scratch(path)
    today, done = today_cn(), job["rows_done"]
    proc = await anyio.to_thread.run_sync(_start_reader, path, record_type, kept, done, today)
    try:
        await _import(job, proc, today, done, headers, index_of, columns, side)
    finally:
        _stop(proc)  # not awaited: also runs when the task is cancelled; a killed child ends at once
    rejected_name = ""
    if job["counts"]["rejected"]:
        rejected_name = secrets.token_urlsafe(24) + ".rejected.xlsx"
        await anyio.to_thread.run_sync(_write_rejected, kept, record_type, side, _path(rejected_name))
    await IngestBatch.insert(
        IngestBatch(
            agency=job["agency"],
            channel=Channel.XLSX,
            account=job["account"],
            received_at=_now(),
            items=job["done"],
            **job["counts"],
        )
    )
    await J.update(
        {J.status: ImportStatus.DONE, J.finished_at: _now(), J.rejected_name: rejected_name, J.stored_name: ""}
    ).where(J.id == job["id"])
    for name in (path, side, kept):  # the original holds ID numbers: kept no longer than the import
        name.unlink(missing_ok=True)


async def _import(job: dict, proc: subprocess.Popen, today, done: int, headers, index_of, columns, side: Path) -> None:
    message = await anyio.to_thread.run_sync(_receive, proc)
    if message[0] == "rejected":
        raise workbook.WorkbookRejected(message[1], message[2])
    await J.update({J.rows_total: message[1]}).where(J.id == job["id"])  # an estimate until "total"
    account = await Account.select(Account.username).where(Account.id == job["account"]).first()
    reporter = Reporter(
        agency_id=job["agency"],
        channel=Channel.XLSX,
        actor=f"{account['username'] if account else ''}（批量上传）",
        account_id=job["account"],
    )
    counts = job["counts"] = {k: job[k] for k in _OUTCOMES}

    def checked(repeated: bool, formulas: set[int], unreadable: set[int], parsed) -> list[FieldError]:
        errors = []
        if formulas:
            names = "、".join(columns[i].header for i in sorted(formulas))
            errors.append(FieldError("", "formula", f"含公式的单元格不读取，请填写数值：{names}"))
        if unreadable:
            names = "、".join(columns[i].header for i in sorted(unreadable))
            errors.append(FieldError("", "unreadable_cell", f"单元格内容无法读取（可能已损坏），请重新填写：{names}"))
        if repeated:  # sent more than once in the file (the reader knows the whole file by then)
            errors.append(FieldError("record_id", "duplicate_in_file", "记录编号在本文件中重复出现，请只保留一行"))
        if errors and isinstance(parsed, list):
            errors += parsed
        return errors

    async def import_chunk(chunk, transaction) -> tuple[list[str], Counter]:
        seen = [
            (number, raw, parsed, checked(repeated, formulas, unreadable, parsed))
            for number, repeated, formulas, unreadable, raw, parsed in chunk
        ]
        applied = await service.apply_many(
            reporter,
            [(number, raw) for number, raw, _, errors in seen if not errors],
            today,
            transaction,
            parsed={number: parsed for number, _, parsed, errors in seen if not errors},
        )
        outcome = {r.index: r for r in applied}
        lines, outcomes = [], Counter()
        for number, _, _, errors in seen:
            status = "rejected"
            if not errors:
                status, errors = outcome[number].status, outcome[number].errors
            outcomes[status] += 1
            if status != "rejected":
                continue
            # a field refused as not to be collected is never copied back.
            refused = sorted(
                {index_of[e.field] for e in errors if e.code.startswith("forbidden") and e.field in index_of}
            )
            lines.append(json.dumps({"row": number, "reason": _reason(errors, headers), "refused": refused}))
        return lines, outcomes

    async def write(chunk, before: asyncio.Future | None) -> None:
        nonlocal done
        # Chunks commit in file order, each followed by the job's progress: a resumed job continues
        # after the last chunk counted (one committed but not yet counted is applied again:
        # "unchanged"). The rejected rows' reasons are on disk before the commit (a chunk run again
        # writes its lines again; the last word counts). The progress stays out of the chunk's
        # transaction: on SQLite it made the server's peak memory ~70 MB larger (measured).
        async with service.batch() as transaction:
            lines, outcomes = await import_chunk(chunk, transaction)
            if before is not None:
                await before
            if lines:
                await anyio.to_thread.run_sync(_append, side, lines)
            done += len(chunk)
            for status, n in outcomes.items():
                counts[status] += n
        await J.update(
            {J.rows_done: done, J.heartbeat_at: _now(), **{getattr(J, k): v for k, v in counts.items()}}
        ).where(J.id == job["id"])

    inbox, writes = _Inbox(proc), _Writes(service.batches_may_overlap())
    try:
        while (message := await inbox.get())[0] in ("chunk", "total"):
            if message[0] == "total":
                await J.update({J.rows_total: message[1]}).where(J.id == job["id"])
                continue
            await writes.add(message[1], partial(write, message[1]))
        await writes.finish()
    finally:
        await writes.cancel()
    # The reader writes rows early only for a sheet its scan proved readable to the end
    # (``idscan.scan``), so a damaged file is refused before any row is committed; this is the
    # file refused all the same (a reader bug, or a file that changed under it).
    if message[0] == "rejected":
        raise workbook.WorkbookRejected(message[1], message[2])
    if message[0] != "end":
        raise RuntimeError(f"unexpected message from the reader: {message[0]}")
    job["done"] = done


class _Writes:
    """The chunks being written. On PostgreSQL a chunk's rows are settled and sent on a second
    connection while the chunk before is still being written, so the importer's own work and the
    database's overlap; each waits for the one before to commit first (file order). A chunk naming a
    subject the chunk before may register waits for it instead: two uncommitted inserts of the same
    code would wait on each other. SQLite has one writer: one chunk at a time."""

    def __init__(self, overlap: bool) -> None:
        self.overlap = overlap
        self.older: asyncio.Future | None = None
        self.last: asyncio.Future | None = None
        self.last_keys: set[tuple[str, str]] = set()

    async def add(self, chunk: list, write) -> None:
        if not self.overlap:
            await write(None)  # one chunk at a time, written before the next is taken
            return
        if self.older is not None:
            await self.older  # at most two chunks in flight
        last, keys = self.last, _subject_keys(chunk)
        if last is not None and not await _registered(keys & self.last_keys):
            await last
            last = None
        self.older, self.last, self.last_keys = last, asyncio.ensure_future(write(last)), keys

    async def finish(self) -> None:
        if self.last is not None:
            await self.last

    async def cancel(self) -> None:
        """After a failure: the chunks still in flight roll back."""
        pending = [t for t in (self.older, self.last) if t is not None and not t.done()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


def _subject_keys(chunk) -> set[tuple[str, str]]:
    """The subjects a chunk's items name, as the writes look them up (``bulk._run``)."""
    keys = set()
    for *_, parsed in chunk:
        if isinstance(parsed, Item) and parsed.uscc:
            keys.add(("uscc", parsed.uscc))
        elif isinstance(parsed, Item) and parsed.id_number:
            keys.add(("digest", id_number_digest(parsed.id_number)))
    return keys


async def _registered(keys: set[tuple[str, str]]) -> bool:
    """Whether every one of these subjects is stored (committed): none is for a chunk to create."""
    for kind, column in (("uscc", Subject.uscc), ("digest", Subject.id_number_digest)):
        values = [v for k, v in keys if k == kind]
        if values and await Subject.count().where(column.is_in(values)) < len(values):
            return False
    return True


class _Inbox:
    """The reader's messages, the next one read and unpickled in a worker thread while the current
    chunk is written (the event loop mostly waits on the database then)."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc, self.next = proc, None

    def _start(self) -> asyncio.Future:
        future = asyncio.ensure_future(anyio.to_thread.run_sync(_receive, self.proc))
        # Left unawaited when the job fails: the reader is then killed (``_stop``) and the read ends.
        future.add_done_callback(lambda f: f.cancelled() or f.exception())
        return future

    async def get(self) -> tuple:
        pending, self.next = self.next or self._start(), None
        message = await pending
        if message[0] in ("chunk", "total"):
            self.next = self._start()
        return message


def _append(side: Path, lines: list[str]) -> None:
    fd = os.open(side, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
        out.flush()
        os.fsync(out.fileno())


def _write_rejected(kept: Path, record_type: str, side: Path, target: Path) -> None:
    found: dict[int, tuple[str, set[int]]] = {}
    with side.open(encoding="utf-8") as lines:
        for line in lines:
            entry = json.loads(line)
            found[entry["row"]] = (entry["reason"], set(entry["refused"]))  # a re-run row: the last word

    def rows() -> Iterator:
        for rows in reader.kept_chunks(kept, set(found)):
            for row in rows:
                if row.number in found:
                    yield (row, *found[row.number])

    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    workbook.write_rejected(target, record_type, rows())


async def run(job_id: int) -> None:
    """Import one job if nobody else is; never raises (a failed job says so on its page)."""
    job = None
    try:
        job = await _claim(job_id)
        if job is None:
            return
        await _process(job)
    except Exception as exc:
        message = (
            exc.message
            if isinstance(exc, workbook.WorkbookRejected)
            else "导入过程中出错，请重新上传；如仍失败请联系管理员"
        )
        if not isinstance(exc, workbook.WorkbookRejected):
            log.exception("import job %s failed", job_id)
        await J.update({J.status: ImportStatus.FAILED, J.finished_at: _now(), J.error: message}).where(J.id == job_id)
        if job is not None and job["stored_name"]:  # the original holds ID numbers: not kept after a failure
            path = _path(job["stored_name"])
            for name in (path, *_scratch(path)):
                name.unlink(missing_ok=True)


async def resume_stale() -> str:
    """Housekeeping: run queued jobs nobody started and running jobs whose worker died."""
    now = _now()
    rows = await J.select(J.id).where(
        ((J.status == ImportStatus.QUEUED) & (J.created_at < now - QUEUED_GRACE))
        | ((J.status == ImportStatus.RUNNING) & (J.heartbeat_at < now - STALE))
    )
    for row in rows:
        await run(row["id"])
    return f"imports resumed: {len(rows)}"
