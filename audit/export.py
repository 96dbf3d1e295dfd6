"""Auditor exports of a filtered query log: CSV and XLSX (issue 3 item 10; R-19).

Both walk the keyset pages of ``service.browse`` (never OFFSET) and stop at
``AuditSettings.export_max_rows`` (``AUDIT_EXPORT_MAX_ROWS``, default 1,000,000 — an XLSX sheet holds
1,048,576 rows); a capped export says so in its last row (CSV) or on its 说明 sheet (XLSX).

* CSV: UTF-8 with a BOM (Excel then reads the Chinese correctly), CRLF lines, streamed page by page.
* XLSX: an openpyxl ``write_only`` workbook filled page by page in a worker thread and saved to a
  temporary file, which is then streamed and deleted.

Columns have Chinese headers; times are China time (Asia/Shanghai); the subject appears only as its
masked label (never a raw ID number; any 18-digit number in free text is masked again here, defence
in depth for DESIGN rule 4). Cells that a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import tempfile
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone

from audit.events import mask_id_numbers
from audit.filters import to_china
from audit.service import BrowseFilters, browse
from audit.store import Store

__all__ = ["COLUMNS", "VIEW_SCOPE", "Labels", "Export", "csv_chunks", "xlsx_file", "stream_file"]

PAGE = 500
BOM = "\ufeff"
COLUMNS = (
    ("seq", "序号"),
    ("created_at", "查询时间（北京时间）"),
    ("requester_account", "查询账号"),
    ("requester_role", "账号角色"),
    ("requester_org", "查询机构"),
    ("method", "查询方式"),
    ("reason_code", "查询事由"),
    ("reason_text", "事由说明"),
    ("subject_label", "信用主体（已脱敏）"),
    ("scope", "查询范围"),
    ("authority_ref", "查询依据"),
    ("case_ref", "案件编号"),
    ("outcome", "查询结果"),
    ("subject_query_count", "累计查询次数"),
    ("request_id", "请求编号"),
    ("entry_hash", "条目哈希"),
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
VIEW_SCOPE = "audit_log"  # the scope of the auditors' own access entries


@dataclass(frozen=True)
class Labels:
    """Chinese labels for codes (the caller knows them; the audit service stores only codes)."""

    methods: Mapping[str, str] = field(default_factory=dict)
    reasons: Mapping[str, str] = field(default_factory=dict)
    outcomes: Mapping[str, str] = field(default_factory=dict)
    roles: Mapping[str, str] = field(default_factory=dict)
    describe_scope: Callable[[str], str] | None = None
    """The caller's words for a scope it recorded (its format is the caller's)."""

    def scope(self, text: str) -> str:
        if not text:
            return "—"
        if text == VIEW_SCOPE:
            return "查询记录（审计日志）"
        return self.describe_scope(text) if self.describe_scope else text

    def outcome(self, code: str) -> str:
        if code in self.outcomes:
            return self.outcomes[code]
        if code == "allowed":
            return "已查询"
        return f"已拒绝（{code.split(':', 1)[-1]}）" if code.startswith("refused:") else code

    def row(self, item: dict) -> list:
        values = {
            **item,
            "created_at": to_china(item["created_at"]).strftime("%Y-%m-%d %H:%M:%S"),
            "requester_role": self.roles.get(item["requester_role"], item["requester_role"]),
            "method": self.methods.get(item["method"], item["method"]),
            "reason_code": self.reasons.get(item["reason_code"], item["reason_code"]),
            "scope": self.scope(item["scope"]) if item["scope"] else "",
            "outcome": self.outcome(item["outcome"]),
        }
        out: list = []
        for name, _ in COLUMNS:
            value = values.get(name)
            out.append(int(value) if name in ("seq", "subject_query_count") else mask_id_numbers(str(value or "")))
        return out


@dataclass
class Export:
    """One export run: walks the pages, counts rows, knows whether the cap cut it short."""

    filters: BrowseFilters
    max_rows: int
    store: Store | None = None
    rows: int = 0
    truncated: bool = False

    async def pages(self) -> AsyncIterator[list[dict]]:
        key = None
        while self.rows < self.max_rows:
            page = await browse(self.filters, key, min(PAGE, self.max_rows - self.rows), store=self.store)
            self.rows += len(page.items)
            if page.items:
                yield page.items
            if page.next_key is None:
                return
            key = page.next_key
        self.truncated = True

    def notice(self) -> str:
        return (
            f"已达导出上限 {self.max_rows:,} 行（AUDIT_EXPORT_MAX_ROWS），更早的记录未导出；请缩小时间范围后分批导出。"
        )


def _csv_safe(value):
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value  # a spreadsheet must show it, not run it
    return value


async def csv_chunks(export: Export, labels: Labels) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([title for _, title in COLUMNS])
    yield (BOM + buffer.getvalue()).encode("utf-8")
    async for items in export.pages():
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([_csv_safe(v) for v in labels.row(item)] for item in items)
        yield buffer.getvalue().encode("utf-8")
    if export.truncated:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([export.notice()])
        yield buffer.getvalue().encode("utf-8")


async def xlsx_file(export: Export, labels: Labels, description: list[tuple[str, str]]) -> str:
    """Write the workbook to a temporary file and return its path (the caller deletes it)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("查询记录")

    def cell(value):
        if not isinstance(value, str):
            return value
        value = ILLEGAL_CHARACTERS_RE.sub(" ", value)
        if value.startswith("="):  # a string cell, never a formula
            text = WriteOnlyCell(sheet, value=value)
            text.data_type = "s"
            return text
        return value

    def append(rows: list[list]) -> None:
        for row in rows:
            sheet.append([cell(v) for v in row])

    append([[title for _, title in COLUMNS]])
    async for items in export.pages():
        rows = [labels.row(item) for item in items]
        await asyncio.to_thread(append, rows)
    about = workbook.create_sheet("说明")
    now = to_china(datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M:%S")
    lines = [("导出时间（北京时间）", now), ("导出条数", export.rows), *description]
    if export.truncated:
        lines.append(("注意", export.notice()))
    for name, value in lines:
        about.append([name, cell(mask_id_numbers(value)) if isinstance(value, str) else value])
    fd, path = tempfile.mkstemp(prefix="audit-export-", suffix=".xlsx")
    os.close(fd)
    try:
        await asyncio.to_thread(workbook.save, path)
    except BaseException:
        os.unlink(path)
        raise
    return path


async def stream_file(path: str, chunk: int = 256 * 1024) -> AsyncIterator[bytes]:
    """Stream a temporary file, then delete it (also when the client goes away)."""
    try:
        with open(path, "rb") as fh:
            while data := await asyncio.to_thread(fh.read, chunk):
                yield data
    finally:
        os.unlink(path)
