"""批量上传 (R-12): the template workbook, the checks an uploaded file passes before anything opens
it, reading its rows streaming, and the workbook of rejected rows. Pure file work: no database.

An upload is judged by its content, never its name: a real xlsx zip (``xl/workbook.xml``), no
macros, not encrypted, and — read from the zip directory before openpyxl opens it — not a zip bomb.
Python's zip reader stops each member at its declared size, so the directory's sizes bound what
decompression can produce.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from portal.ingest import forbidden
from portal.ingest.columns import COLUMNS, EXAMPLE_ACTION, SHEET_TITLES, Column, example_date
from portal.ingest.sheet import Damaged, Sheet
from portal.lib import uscc as uscc_rules
from portal.records.categories import CATEGORIES

__all__ = [
    "XLSX",
    "WorkbookRejected",
    "Row",
    "template_bytes",
    "inspect",
    "read_rows",
    "open_sheet",
    "sheet_type",
    "write_rejected",
    "REFUSED_PLACEHOLDER",
    "FORMULA_PLACEHOLDER",
    "EXTRA_HEADERS",
]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REFUSED_PLACEHOLDER = "（已拒收，未保存）"
FORMULA_PLACEHOLDER = "（公式，未读取）"
EXTRA_HEADERS = ("原文件行号", "错误原因")
"""Appended to the rejected rows' workbook; allowed on re-upload, so it can be fixed and sent back."""
MAX_MEMBERS = 2000
MAX_RATIO = 200
"""Largest compression ratio of one member (spreadsheet XML is typically 5–30)."""
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an encrypted Office file (or a legacy .xls)
_MACRO_TYPES = ("macroenabled", "vbaproject", "application/vnd.ms-office.activex")
_HEAD_FILL = PatternFill("solid", fgColor="DDE7F3")


class WorkbookRejected(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(code)
        self.code, self.message = code, message


@dataclass
class Row:
    number: int
    """The row number in the sheet (the header is row 1)."""
    values: dict[int, object]
    formulas: set[int]
    """Columns holding a formula: never evaluated, the row is refused."""
    unreadable: set[int] = field(default_factory=set)
    """Columns whose text their cell type cannot hold (a damaged cell): the row is refused."""


# ---------------------------------------------------------------- the template


def template_bytes(record_type: str, today: date) -> bytes:
    columns = COLUMNS[record_type]
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLES[record_type]
    ws.append([c.header for c in columns])
    for cell in ws[1]:
        cell.font, cell.fill = Font(bold=True), _HEAD_FILL
    ws.append([_example(c, record_type, today) for c in columns])
    ws.freeze_panes = "A2"
    codes = wb.create_sheet("代码表")
    codes.append(["信息类别代码", "类别名称"])
    allowed = columns[0].categories(record_type)
    for code in allowed:
        codes.append([code, CATEGORIES[code].label])
    notes = wb.create_sheet("填写说明")
    notes.append(["列", "填写说明"])
    for c in columns:
        notes.append([c.header, c.note])
    notes.append(["", "第 2 行为示例（操作为“示例”），不会导入；请从第 3 行起填写，或删除示例行。"])
    notes.column_dimensions["B"].width = 80
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = column.width
        target = f"{letter}2:{letter}10001"
        validation = _validation(column, len(allowed))
        if validation is not None:
            validation.add(target)
            ws.add_data_validation(validation)
        if column.kind == "date":
            for row in ws.iter_rows(min_row=2, max_row=2, min_col=index, max_col=index):
                row[0].number_format = "yyyy-mm-dd"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _example(column: Column, record_type: str, today: date) -> object:
    if column.path == "action":
        return EXAMPLE_ACTION
    if column.path == "subject.uscc":
        return uscc_rules.make("91410100MA0000000")
    if column.path == "category":
        return column.categories(record_type)[0]
    return example_date(column, today) or column.example


def _validation(column: Column, n_codes: int) -> DataValidation | None:
    error = {"showErrorMessage": True, "errorTitle": column.header}
    if column.kind == "choice":
        choices = column.choices + ((EXAMPLE_ACTION,) if column.path == "action" else ())
        formula = '"' + ",".join(choices) + '"'
        return DataValidation(type="list", formula1=formula, error=f"请从下拉列表中选择{column.header}", **error)
    if column.kind == "category":
        return DataValidation(
            type="list", formula1=f"'代码表'!$A$2:$A${n_codes + 1}", error="请按代码表填写信息类别代码", **error
        )
    if column.kind == "date":
        # Excel serial days: 1990-01-01 … 2099-12-31.
        return DataValidation(
            type="date",
            operator="between",
            formula1="32874",
            formula2="73415",
            error="请填写日期，如 2026-12-01",
            **error,
        )
    if column.kind == "money":
        return DataValidation(
            type="decimal",
            operator="between",
            formula1="0",
            formula2="999999999",
            error="请填写不小于 0 的数字（万元）",
            **error,
        )
    return None


# ---------------------------------------------------------------- checking an upload


def inspect(path: Path, max_unzipped: int) -> None:
    """Raise WorkbookRejected unless the file is a plain xlsx that is safe to open."""
    with path.open("rb") as fh:
        head = fh.read(8)
    if head == _OLE_MAGIC:
        raise WorkbookRejected("encrypted", "文件已加密或为旧版 .xls 格式，请取消密码并另存为 .xlsx 后上传")
    if not zipfile.is_zipfile(path):
        raise WorkbookRejected("not_xlsx", "文件不是 Excel 工作簿（.xlsx），请使用本系统发布的模板")
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            names = {i.filename.lower() for i in infos}
            if "xl/workbook.xml" not in names or "[content_types].xml" not in names:
                raise WorkbookRejected("not_xlsx", "文件不是 Excel 工作簿（.xlsx），请使用本系统发布的模板")
            if len(infos) > MAX_MEMBERS:
                raise WorkbookRejected("zip_bomb", "文件结构异常（压缩内容过多），已拒收")
            total = 0
            for info in infos:
                total += info.file_size
                if info.flag_bits & 0x1:
                    raise WorkbookRejected("encrypted", "文件已加密，请取消密码后上传")
                ratio = info.file_size / max(info.compress_size, 1)
                if total > max_unzipped or (info.file_size > 1024 * 1024 and ratio > MAX_RATIO):
                    raise WorkbookRejected("zip_bomb", "文件解压后过大或压缩比异常，已拒收；请拆分后上传")
            if any(n.endswith("vbaproject.bin") for n in names):
                raise WorkbookRejected("macro", "不接受含宏的工作簿（.xlsm），请另存为 .xlsx 后上传")
            types = archive.read(next(i for i in infos if i.filename.lower() == "[content_types].xml"))
            if any(t.encode() in types.lower() for t in _MACRO_TYPES):
                raise WorkbookRejected("macro", "不接受含宏的工作簿（.xlsm），请另存为 .xlsx 后上传")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError):
        raise WorkbookRejected("not_xlsx", "文件已损坏或不是 Excel 工作簿（.xlsx）") from None


def _header_type(header: list[object]) -> str:
    cells = [str(v).strip() if v is not None else "" for v in header]
    while cells and not cells[-1]:
        cells.pop()
    for record_type, columns in COLUMNS.items():
        n = len(columns)
        if cells[:n] == [c.header for c in columns] and all(c in EXTRA_HEADERS for c in cells[n:]):
            return record_type
    # a column the platform must never collect is named as such (its cells are never read).
    known = {c.header for columns in COLUMNS.values() for c in columns} | set(EXTRA_HEADERS)
    unknown = {c: "" for c in cells if c and c not in known}
    if problems := forbidden.check(unknown, subject_kind="natural"):
        raise WorkbookRejected("forbidden_field", "；".join(dict.fromkeys(p.message for p in problems)))
    raise WorkbookRejected(
        "wrong_header", "表头与本系统发布的模板不一致，请下载最新模板后按模板填写（不要增删或改动列）"
    )


def open_sheet(path: Path) -> Sheet:
    try:
        return Sheet(path)
    except Damaged:
        raise WorkbookRejected("not_xlsx", "文件已损坏或不是 Excel 工作簿（.xlsx）") from None


def _header(sheet: Sheet) -> list[object] | None:
    """Row 1's values (None: no worksheet or no rows at all)."""
    try:
        for number, values, _, _ in sheet.rows():
            if number != 1 or not values:
                return []
            out: list[object] = [None] * (max(values) + 1)
            for index, value in values.items():
                out[index] = value
            return out
    except Damaged:
        raise WorkbookRejected("not_xlsx", "文件已损坏或不是 Excel 工作簿（.xlsx）") from None
    return None


def sheet_type(path: Path) -> str:
    """The template the file was made from, by its header row (raises WorkbookRejected)."""
    sheet = open_sheet(path)
    try:
        return _type_of(sheet)
    finally:
        sheet.close()


def _type_of(sheet: Sheet) -> str:
    header = _header(sheet)
    if header is None:
        raise WorkbookRejected("empty", "工作簿没有内容")
    return _header_type(header)


def read_rows(path: Path, record_type: str, max_rows: int) -> Iterator[Row]:
    """The data rows, streaming (bounded memory). Blank rows and the template's example row are
    skipped; the header row must be the one of ``record_type``'s template."""
    sheet = open_sheet(path)
    try:
        if _type_of(sheet) != record_type:
            raise WorkbookRejected("wrong_header", "表头与模板不一致")
        count = 0
        try:
            for number, cells, formulas, unreadable in sheet.rows(len(COLUMNS[record_type])):
                if number < 2:
                    continue
                values = {}
                for index, value in cells.items():
                    if isinstance(value, str):
                        if not value.strip():
                            continue
                        if value.startswith("="):  # text that reads as a formula: not read either
                            formulas.add(index)
                            continue
                    values[index] = value
                if not values and not formulas and not unreadable:
                    continue
                if str(values.get(0, "")).strip() == EXAMPLE_ACTION:
                    continue
                count += 1
                if count > max_rows:
                    raise WorkbookRejected("too_many_rows", f"一个文件最多 {max_rows} 行，请拆分后上传")
                yield Row(number, values, formulas, unreadable)
        except Damaged:
            raise WorkbookRejected("not_xlsx", "文件已损坏或不是 Excel 工作簿（.xlsx）") from None
    finally:
        sheet.close()


# ---------------------------------------------------------------- the rejected rows


def write_rejected(path: Path, record_type: str, rejected: Iterable[tuple[Row, str, set[int]]]) -> None:
    """The rejected rows with their original columns, the row number and 错误原因. A cell refused
    as a value that must not be collected (R-09) is replaced, never copied; formulas are not copied."""
    columns = COLUMNS[record_type]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SHEET_TITLES[record_type])
    ws.freeze_panes = "A2"
    ws.append([c.header for c in columns] + list(EXTRA_HEADERS))
    for row, reason, refused in rejected:
        out: list[object] = []
        for index in range(len(columns)):
            if index in refused:
                out.append(REFUSED_PLACEHOLDER)
            elif index in row.formulas:
                out.append(FORMULA_PLACEHOLDER)
            else:
                value = row.values.get(index)
                out.append(value if not isinstance(value, str) or not value.startswith("=") else FORMULA_PLACEHOLDER)
        ws.append(out + [row.number, reason])
    wb.save(path)
