"""双公示 export as CSV or XLSX, streamed in bounded memory.

Rows come only from ``portal.publication.service.disclosures`` (class A, masked as on the page,
R-15, R-17), read page by page along its keyset. CSV is written batch by batch as it is read; XLSX
is written by openpyxl's write-only mode (rows go to a temporary file, not to memory), then the
file is streamed and removed.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import tempfile
from collections.abc import AsyncIterator
from datetime import date
from urllib.parse import quote

import anyio
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from portal.publication import service as publication
from portal.records.tables import RecordType

__all__ = ["FORMATS", "HEADERS", "rows", "csv_chunks", "xlsx_chunks", "content_disposition"]

BATCH = 500
FORMATS = {
    "csv": "text/csv",  # Litestar adds "; charset=utf-8" to text/* types
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
HEADERS = (
    "类型",
    "行政相对人名称",
    "统一社会信用代码/证件号码",
    "决定书文号",
    "决定内容",
    "许可或处罚类别",
    "许可或处罚内容",
    "违法行为类型",
    "决定机关",
    "决定日期",
    "公示截止期",
    "异议状态",
)
_TYPE_LABELS = {RecordType.LICENSE: "行政许可", RecordType.PENALTY: "行政处罚"}


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def _line(row: dict) -> list[str]:
    detail = row.get("detail") or {}
    return [
        _TYPE_LABELS.get(row["record_type"], row["record_type"]),
        row.get("subject_name") or "",
        row.get("subject_code") or "",
        row.get("doc_number") or "",
        row.get("title") or "",
        detail.get("approval_category") or detail.get("penalty_category") or "",
        detail.get("license_content") or detail.get("penalty_content") or "",
        detail.get("violation_type") or "",
        row.get("provider_name") or "",
        _day(row.get("decision_date")),
        _day(row.get("publicity_end")),
        "异议处理中" if row.get("objection_pending") else "",
    ]


async def rows(filters: dict, cap: int) -> AsyncIterator[list[str]]:
    """At most ``cap`` export lines for the filters (the caller checked the count first)."""
    cursor, sent = None, 0
    while sent < cap:
        page = await publication.disclosures(**filters, cursor=cursor, limit=min(BATCH, cap - sent))
        for row in page.items:
            yield _line(row)
        sent += len(page.items)
        cursor = page.next_cursor
        if not cursor:
            return


def _safe(value: str) -> str:
    # A cell starting with = + - @ is a formula to a spreadsheet (CSV injection); quote it.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


async def csv_chunks(lines: AsyncIterator[list[str]]) -> AsyncIterator[bytes]:
    """UTF-8 with a BOM, so Excel reads the Chinese correctly; one chunk per batch of lines."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    yield codecs.BOM_UTF8 + buffer.getvalue().encode()
    buffer.seek(0), buffer.truncate()
    n = 0
    async for line in lines:
        writer.writerow([_safe(v) for v in line])
        n += 1
        if n % BATCH == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0), buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()


def _append(sheet, lines: list[list[str]]) -> None:
    for line in lines:
        cells = []
        for value in line:
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # text, never a formula, whatever it starts with
            cells.append(cell)
        sheet.append(cells)


async def xlsx_chunks(lines: AsyncIterator[list[str]], chunk: int = 64 * 1024) -> AsyncIterator[bytes]:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("双公示")
    sheet.append(HEADERS)
    batch: list[list[str]] = []
    async for line in lines:  # the cells are built in a thread: ~0.1 s of CPU per batch
        batch.append(line)
        if len(batch) >= BATCH:
            await anyio.to_thread.run_sync(_append, sheet, batch)
            batch = []
    if batch:
        await anyio.to_thread.run_sync(_append, sheet, batch)
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        await anyio.to_thread.run_sync(workbook.save, path)
        async with await anyio.open_file(path, "rb") as file:
            while data := await file.read(chunk):
                yield data
    finally:
        os.unlink(path)


def content_disposition(stem: str, fmt: str) -> str:
    """A Chinese file name per RFC 6266 / RFC 5987 (``filename*``), with an ASCII fallback."""
    today = date.today().isoformat()
    return f"attachment; filename=\"disclosures-{today}.{fmt}\"; filename*=UTF-8''{quote(f'{stem}-{today}.{fmt}')}"
