"""批量上传 (R-12): the streaming sheet reader gives the values openpyxl gives, whichever way the
workbook stores its strings, refuses formulas, and reports a damaged sheet as such."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time, timedelta

import pytest
from openpyxl import Workbook, load_workbook

from portal.ingest.columns import COLUMNS
from portal.ingest.workbook import WorkbookRejected, read_rows

WIDTH = len(COLUMNS["penalty"])


def _book(path, write_only: bool) -> None:
    wb = Workbook(write_only=write_only)
    ws = wb.create_sheet("行政处罚") if write_only else wb.active
    ws.append([c.header for c in COLUMNS["penalty"]])
    ws.append(["新增", "R1", "法人及非法人组织", "  名称 ", "", None, 12, "x&<y>", "=1+1", "'=t", 3.0, 1e20, True])
    ws.append([])
    ws.append(["示例", "R0"])
    ws.append(["新增", "R2", None, None, None, None, None, None, None, None, None, None, None, -5, 0.1])
    ws.append(["新增", "R3", datetime(2026, 1, 2, 3, 4), date(2020, 2, 29), time(6, 30), timedelta(hours=5)])
    ws.append(["新增", "R4"] + [None] * (WIDTH - 2) + ["beyond the template"])
    ws.append([])
    ws.append(["更正", "R5", "很长的文字" * 3000])
    wb.save(path)


def _openpyxl_rows(path) -> list[tuple[int, dict, set]]:
    """What the import takes from each row, read by openpyxl itself."""
    out = []
    ws = load_workbook(path, read_only=True).worksheets[0]
    for row in ws.iter_rows(min_row=2):
        values, formulas = {}, set()
        for index, cell in enumerate(row[:WIDTH]):
            value = getattr(cell, "value", None)
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            if cell.data_type == "f" or (isinstance(value, str) and value.startswith("=")):
                formulas.add(index)
                continue
            values[index] = value
        if (values or formulas) and str(values.get(0, "")).strip() != "示例":
            out.append((row[0].row, values, formulas))
    return out


@pytest.mark.parametrize("write_only", [False, True], ids=["shared-strings", "inline-strings"])
def test_the_rows_are_those_openpyxl_reads(tmp_path, write_only):
    path = tmp_path / "book.xlsx"
    _book(path, write_only)
    ours = [(r.number, r.values, r.formulas) for r in read_rows(path, "penalty", 100)]
    assert ours == _openpyxl_rows(path)
    assert [n for n, _, _ in ours] == [2, 5, 6, 7, 9]
    first = ours[0]
    assert first[2] == {8} and first[1][7] == "x&<y>" and first[1][12] is True and first[1][11] == 1e20


def test_a_sheet_cut_short_is_refused_as_damaged(tmp_path):
    path = tmp_path / "book.xlsx"
    _book(path, False)
    out = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data[: data.index(b"</sheetData>") - 40]  # rows cut mid-element, no closing tags
            target.writestr(info, data)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(out.getvalue())
    with pytest.raises(WorkbookRejected) as refused:
        list(read_rows(broken, "penalty", 100))
    assert refused.value.code == "not_xlsx"
