"""批量上传 (R-12): the cheap scan of the record ids gives each row its real id or OTHER, never
another id, so a row written before the whole file is read never carries an id sent twice; the
reader sends those rows first and the held-back ones after, flagged by the file's real repeats."""

from __future__ import annotations

import io
import pickle
import zipfile
from collections import Counter
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from portal.ingest import idscan, reader
from portal.ingest.columns import COLUMNS
from portal.ingest.workbook import open_sheet, read_rows

IDS = [
    "R1",
    "  R1 ",  # the same id once stripped
    "A&B<1>\"'",
    "A&B<1>\"'",
    "中文编号",
    12,
    "12",  # the same id as the number 12
    3.5,
    date(2026, 1, 2),  # a date: OTHER
    "=1+1",  # a formula: no id
    "'=text",
    True,
    "",
    None,
    "R9",
    "x\r\ny",
]


def _book(path, write_only: bool, ids=IDS) -> None:
    wb = Workbook(write_only=write_only)
    ws = wb.create_sheet("行政处罚") if write_only else wb.active
    ws.append([c.header for c in COLUMNS["penalty"]])
    for ref in ids:
        ws.append(["新增", ref, "法人及非法人组织", "名称"])
    wb.save(path)


def _real(path) -> Counter:
    return Counter(r for r in (reader.ref_of_row(row.values) for row in read_rows(path, "penalty", 10**6)) if r)


def _scan(path):
    sheet = open_sheet(path)
    try:
        return idscan.scan(sheet)
    finally:
        sheet.close()


@pytest.mark.parametrize("write_only", [True, False], ids=["inline strings", "shared strings"])
def test_every_key_is_the_real_id_or_other(tmp_path, write_only):
    path = tmp_path / "book.xlsx"
    _book(path, write_only)
    real, found = _real(path), _scan(path)
    assert found is not None and found.rows == len(IDS) + 1
    found.counts["记录编号"] -= 1  # the header row is scanned too (only ever holding back more)
    for key, n in found.counts.items():
        assert key == idscan.OTHER or n <= real[key], key  # never an id the row does not carry
    for ref, n in real.items():
        assert n <= found.counts[ref] + found.counts[idscan.OTHER], ref  # never missing
    # The plain forms are read exactly: the date, the bool, the formula (and inline CR/LF text) are OTHER.
    assert found.counts["R1"] == 2 and found.counts["A&B<1>\"'"] == 2 and found.counts["12"] == 2
    assert found.counts["中文编号"] == 1 and found.counts["3.5"] == 1 and found.counts[idscan.OTHER] in (3, 4)
    for ref, n in real.items():
        assert idscan.early(found, ref) is False or n == 1


def test_anything_outside_the_grammar_holds_every_row_back(tmp_path):
    path = tmp_path / "comment.xlsx"
    _book(path, True, ["R1", "R2"])
    with zipfile.ZipFile(path) as source:
        members = {n: source.read(n) for n in source.namelist()}
    # A comment could hide a cell from the scan's regular expressions: not read, every row held.
    sheet = members["xl/worksheets/sheet1.xml"]
    members["xl/worksheets/sheet1.xml"] = sheet.replace(b"<sheetData>", b"<sheetData><!-- x -->", 1)
    with zipfile.ZipFile(path, "w") as out:
        for name, data in members.items():
            out.writestr(name, data)
    assert _real(path) == Counter({"R1": 1, "R2": 1})
    assert _scan(path) is None
    assert not idscan.early(None, "R1") and idscan.early(None, "")
    messages = _messages(path)
    total = [m[0] for m in messages].index("total")
    assert _sent(messages[:total]) == [] and _sent(messages[total:]) == [("R1", False), ("R2", False)]


def _messages(path, skip: int = 0, chunk: int = 2) -> list:
    out = io.BytesIO()
    pipe = reader._Pipe(out)
    try:
        reader.run(path, "penalty", 10**6, path.with_suffix(".rows"), skip, date(2026, 12, 5), chunk, pipe)
    finally:
        pipe.close()
    out.seek(0)
    messages = []
    while True:
        try:
            messages.append(pickle.load(out))
        except EOFError:
            return messages


def _sent(messages) -> list[tuple[str, bool]]:
    return [(raw["record_id"], repeated) for m in messages if m[0] == "chunk" for _, repeated, _, _, raw, _ in m[1]]


def test_a_twin_in_the_last_chunk_holds_back_and_refuses_the_first(tmp_path):
    path = tmp_path / "twins.xlsx"
    ids = ["T1", "A", "B", "C", "D", "E", "F", " T1"]
    _book(path, True, ids)
    messages = _messages(path)
    kinds = [m[0] for m in messages]
    assert kinds[0] == "counted" and kinds[-1] == "end" and kinds.count("total") == 1
    total = kinds.index("total")
    assert messages[total][1] == 8 and messages[0][1] == 8
    # The single ids go out during the full pass, the twins after it, both flagged.
    assert _sent(messages[:total]) == [(x, False) for x in "ABCDEF"]
    assert _sent(messages[total:]) == [("T1", True), ("T1", True)]
    # A resumed reader skips the rows already sent, in the same order.
    assert _sent(_messages(path, skip=7)) == [("T1", True)]


def test_a_file_without_repeats_goes_out_during_the_full_pass(tmp_path):
    path = tmp_path / "single.xlsx"
    _book(path, False, [f"S{i}" for i in range(7)])
    messages = _messages(path, chunk=3)
    total = [m[0] for m in messages].index("total")
    assert _sent(messages[:total]) == [(f"S{i}", False) for i in range(7)]
    assert _sent(messages[total:]) == []
    # One id the scan cannot read exactly (a date) might equal any other: all held, none refused.
    _book(path, False, [f"S{i}" for i in range(7)] + [datetime(2026, 1, 1)])
    messages = _messages(path, chunk=3)
    total = [m[0] for m in messages].index("total")
    assert len(_sent(messages[total:])) == 7 and all(not repeated for _, repeated in _sent(messages))


def _rewrite_sheet(path, change) -> None:
    with zipfile.ZipFile(path) as source:
        members = {n: source.read(n) for n in source.namelist()}
    members["xl/worksheets/sheet1.xml"] = change(members["xl/worksheets/sheet1.xml"])
    with zipfile.ZipFile(path, "w") as out:
        for name, data in members.items():
            out.writestr(name, data)


@pytest.mark.parametrize("damage", [b"\x01", b"\xff\xfe"], ids=["control character", "not UTF-8"])
def test_a_sheet_damaged_in_its_last_row_sends_nothing_before_it_is_refused(tmp_path, damage):
    """The regular grammar lets any text through; the parse the full pass will make does not. The
    scan makes that parse first, so no row is written from a file that turns out to be damaged."""
    path = tmp_path / "damaged.xlsx"
    _book(path, True, [f"S{i}" for i in range(7)])

    def spoil(sheet: bytes) -> bytes:
        end = sheet.rindex(b"</row>")
        return sheet[:end] + b'<c r="Z9" t="inlineStr"><is><t>x' + damage + b"</t></is></c>" + sheet[end:]

    _rewrite_sheet(path, spoil)
    assert _scan(path) is None
    messages = _messages(path)
    kinds = [m[0] for m in messages]
    # The scan answers beside the full pass: its "counted" may come before the refusal or not at
    # all, but never a row.
    assert kinds in (["counted", "rejected"], ["rejected"]) and messages[-1][1] == "not_xlsx"


def test_a_cell_its_type_cannot_hold_spoils_its_row_not_the_file(tmp_path):
    """A number that is not one, a shared string that does not exist: the row is read with the
    cell marked unreadable (the importer refuses that row), and the sheet is read to its end."""
    path = tmp_path / "cells.xlsx"
    _book(path, False, ["S1", "S2", "S3"])

    def spoil(sheet: bytes) -> bytes:
        start = sheet.index(b'<c r="D3"')
        end = sheet.index(b"</c>", start) + len(b"</c>")
        sheet = sheet[:start] + b'<c r="D3" t="s"><v>9999</v></c>' + sheet[end:]
        return sheet.replace(b"</row></sheetData>", b'<c r="E4" t="n"><v>abc</v></c></row></sheetData>', 1)

    _rewrite_sheet(path, spoil)
    rows = list(read_rows(path, "penalty", 100))
    assert [r.number for r in rows] == [2, 3, 4]
    assert [r.unreadable for r in rows] == [set(), {3}, {4}]
    assert 3 not in rows[1].values and rows[1].values[1] == "S2"
    found = _scan(path)
    assert found is not None and found.counts["S3"] == 1


def test_a_scan_that_ends_without_an_answer_holds_every_row_back(tmp_path, monkeypatch):
    """The scan runs in a child process beside the full pass; a child that dies without answering
    counts as a scan that declined: nothing goes out early, every row after the full pass."""
    path = tmp_path / "single.xlsx"
    _book(path, False, [f"S{i}" for i in range(5)])

    def dying(*args):
        raise MemoryError  # in the child: it ends without writing its answer

    monkeypatch.setattr(reader, "_scan", dying)
    messages = _messages(path)
    kinds = [m[0] for m in messages]
    total = kinds.index("total")
    assert kinds[0] == "counted" and messages[0][1] == 0  # no estimate without the scan
    assert _sent(messages[:total]) == [] and _sent(messages[total:]) == [(f"S{i}", False) for i in range(5)]
