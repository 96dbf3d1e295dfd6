"""批量上传 (R-12, R-09): the file checks against the zip directory and the rejected rows' workbook."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from portal.ingest.columns import COLUMNS
from portal.ingest.workbook import REFUSED_PLACEHOLDER, Row, WorkbookRejected, inspect, template_bytes, write_rejected


def test_the_total_uncompressed_size_is_checked_before_anything_opens_the_file(tmp_path):
    path = tmp_path / "t.xlsx"
    path.write_bytes(template_bytes("penalty", date(2026, 12, 1)))
    inspect(path, 50 * 1024 * 1024)  # the template itself passes
    with pytest.raises(WorkbookRejected) as refused:
        inspect(path, 1000)
    assert refused.value.code == "zip_bomb" and "解压后过大" in refused.value.message


def test_a_value_refused_as_not_to_be_collected_is_never_copied_into_the_rejected_rows(tmp_path):
    columns = COLUMNS["general"]
    content = next(i for i, c in enumerate(columns) if c.path == "content")
    row = Row(3, {0: "新增", 1: "R1", content: "宗教信仰：某某"}, set())
    path = tmp_path / "rejected.xlsx"
    write_rejected(path, "general", [(row, "信息内容：含有禁止采集的信息", {content})])
    ws = load_workbook(io.BytesIO(path.read_bytes())).worksheets[0]
    values = [c.value for c in ws[2]]
    assert values[content] == REFUSED_PLACEHOLDER and "宗教信仰" not in str(values)
    assert values[1] == "R1" and values[-2:] == [3, "信息内容：含有禁止采集的信息"]
