"""批量上传 (R-12): the published template, a filled workbook imported server-side as a job, the
checks on the file (by content: macros, zip bombs, not an xlsx, too large) and on each row (through
the rules every path shares, plus duplicates and formulas), the rejected rows' workbook, and the
job seen only by its own agency; a job whose worker died is finished by the housekeeping job."""

from __future__ import annotations

import asyncio
import io
import os
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import anyio
import pytest
from openpyxl import Workbook, load_workbook

from portal.ingest import bulk, imports
from portal.ingest.tables import ImportJob, ImportStatus, IngestBatch
from portal.ingest.workbook import EXTRA_HEADERS, FORMULA_PLACEHOLDER, XLSX
from portal.lib.dates import today_cn
from portal.records.tables import CreditRecord, PenaltyDetail
from portal.settings import get_settings
from portal.subjects.tables import Subject
from tests import factories as f

pytestmark = pytest.mark.anyio


async def _officer(client) -> dict:
    agency = await f.agency()
    user = await f.account("agency", agency_id=agency["id"])
    assert (await f.login(client, user["username"])).status_code == 303
    return agency


async def _template(client, kind: str = "penalty") -> Workbook:
    response = await client.get(f"/agency/templates/{kind}.xlsx")
    assert response.status_code == 200 and response.headers["content-type"].startswith(XLSX)
    return load_workbook(io.BytesIO(response.content))


def _penalty_row(ref: str, uscc: str, **over) -> dict:
    today = today_cn()
    row = {
        "操作": "新增",
        "记录编号": ref,
        "行政相对人类别": "法人及非法人组织",
        "行政相对人名称": "郑州表格测试建材有限公司",
        "统一社会信用代码": uscc,
        "行政处罚决定书文号": f"郑应急罚〔2026〕{ref}号",
        "违法行为类型": "安全生产违法",
        "违法事实": "作业现场未设置安全警示标志",
        "处罚类别": "罚款",
        "罚款金额（万元）": 0.5,
        "处罚决定日期": today - timedelta(days=2),
        "处罚机关": "郑州市应急管理局",
        "信息名称": "未按规定设置安全警示标志（表格）",
        "信息类别代码": "penalty",
        "公开类别": "A",
        "公示截止期": today + timedelta(days=365),
    }
    row.update(over)
    return row


def _filled(wb: Workbook, rows: list[dict]) -> bytes:
    """The downloaded template with rows appended under its headers (the example row kept)."""
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    for row in rows:
        assert set(row) <= set(headers), set(row) - set(headers)
        ws.append([row.get(h) for h in headers])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


async def _upload(client, content: bytes, name: str = "报送.xlsx"):
    return await client.post(
        "/agency/uploads",
        files={"file": (name, content, XLSX)},
        data={"_csrf_token": client.cookies.get("csrftoken")},
        follow_redirects=False,
    )


async def _imported(client, content: bytes) -> dict:
    response = await _upload(client, content)
    assert response.status_code == 303, response.text
    job_id = int(response.headers["location"].rsplit("/", 1)[1])
    return await ImportJob.select().where(ImportJob.id == job_id).first()


async def test_the_template_has_the_standard_headers_validations_notes_and_an_example(client):
    await _officer(client)
    wb = await _template(client, "penalty")
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    for name in (
        "操作",
        "记录编号",
        "行政相对人名称",
        "统一社会信用代码",
        "法定代表人",
        "行政处罚决定书文号",
        "违法行为类型",
        "违法事实",
        "处罚依据",
        "处罚类别",
        "处罚内容",
        "罚款金额（万元）",
        "没收违法所得金额（万元）",
        "处罚决定日期",
        "公示截止期",
        "处罚机关",
        "公开类别",
        "信息类别代码",
    ):
        assert name in headers, name
    assert ws.freeze_panes == "A2"
    assert ws.cell(2, headers.index("操作") + 1).value == "示例"
    validations = ws.data_validations.dataValidation
    lists = {v.formula1 for v in validations if v.type == "list"}
    assert '"新增,更正,撤销,示例"' in lists and '"A,B,C"' in lists
    assert any(f.startswith("'代码表'") for f in lists)
    assert {v.type for v in validations} >= {"list", "date", "decimal"}
    assert [r[0] for r in wb["代码表"].iter_rows(min_row=2, values_only=True)] == ["penalty", "person_penalty"]
    notes = {r[0]: r[1] for r in wb["填写说明"].iter_rows(min_row=2, values_only=True) if r[0]}
    assert set(notes) == set(headers) and "不保存" in notes["法定代表人"]
    license_headers = [c.value for c in (await _template(client, "license")).worksheets[0][1]]
    for name in (
        "行政许可决定文书号",
        "项目名称",
        "审批类别",
        "许可内容",
        "许可决定日期",
        "有效期自",
        "有效期至",
        "许可机关",
        "数据来源单位",
    ):
        assert name in license_headers, name
    assert "信息内容" in [c.value for c in (await _template(client, "general")).worksheets[0][1]]
    assert (await client.get("/agency/templates/other.xlsx")).status_code == 404


async def test_a_filled_workbook_is_imported_as_a_job_and_corrected_by_a_second_one(client):
    agency = await _officer(client)
    uscc, first, second = f.new_uscc(), f.unique("X"), f.unique("X")
    person = f.new_id_number()
    rows = [
        _penalty_row(first, uscc),
        _penalty_row(
            second,
            "",
            **{
                "行政相对人类别": "自然人",
                "行政相对人名称": "王表格",
                "公民身份号码": person,
                "信息类别代码": "person_penalty",
            },
        ),
    ]
    job = await _imported(client, _filled(await _template(client), rows))
    assert job["status"] == ImportStatus.DONE and job["agency"] == agency["id"]
    assert (job["rows_total"], job["rows_done"], job["created"], job["rejected"]) == (2, 2, 2, 0)
    assert job["rejected_name"] == "" and job["stored_name"] == ""  # the original is not kept
    record = (
        await CreditRecord.select()
        .where((CreditRecord.provider == agency["id"]) & (CreditRecord.provider_ref == first))
        .first()
    )
    assert record["channel"] == "xlsx" and record["title"] == "未按规定设置安全警示标志（表格）"
    detail = await PenaltyDetail.select().where(PenaltyDetail.record == record["id"]).first()
    assert str(detail["fine_amount"]).startswith("0.5") and detail["authority"] == "郑州市应急管理局"
    batch = await IngestBatch.select().where(IngestBatch.agency == agency["id"]).first()
    assert (batch["channel"], batch["items"], batch["created"]) == ("xlsx", 2, 2)
    page = await client.get(f"/agency/uploads/{job['id']}")
    assert page.status_code == 200 and "已完成" in page.text and "every 1s" not in page.text
    assert person not in page.text

    again = [
        _penalty_row(first, uscc),
        {"操作": "更正", "记录编号": second, "信息名称": "更正后的名称", "更正或撤销原因": "名称有误"},
    ]
    job = await _imported(client, _filled(await _template(client), again))
    assert (job["unchanged"], job["corrected"], job["rejected"]) == (1, 1, 0)
    corrected = (
        await CreditRecord.select(CreditRecord.title, CreditRecord.version)
        .where((CreditRecord.provider == agency["id"]) & (CreditRecord.provider_ref == second))
        .first()
    )
    assert corrected == {"title": "更正后的名称", "version": 2}


async def test_bad_rows_come_back_with_their_reasons_and_the_good_ones_are_imported(client):
    await _officer(client)
    good_uscc = f.new_uscc()
    wrong_check = good_uscc[:17] + ("0" if good_uscc[17] != "0" else "1")
    dup = f.unique("D")
    rows = [
        _penalty_row(f.unique("G"), good_uscc),
        _penalty_row(f.unique("U"), wrong_check),
        _penalty_row(f.unique("C"), f.new_uscc(), **{"信息类别代码": "no_such_category"}),
        _penalty_row(dup, f.new_uscc()),
        _penalty_row(dup, f.new_uscc()),
        _penalty_row(f.unique("F"), f.new_uscc(), **{"罚款金额（万元）": "=1+1"}),
    ]
    job = await _imported(client, _filled(await _template(client), rows))
    assert (job["status"], job["created"], job["rejected"]) == (ImportStatus.DONE, 1, 5)
    download = await client.get(f"/agency/uploads/{job['id']}/rejected.xlsx")
    assert download.status_code == 200 and download.headers["content-type"].startswith(XLSX)
    ws = load_workbook(io.BytesIO(download.content)).worksheets[0]
    header = [c.value for c in ws[1]]
    assert tuple(header[-2:]) == EXTRA_HEADERS
    body = [dict(zip(header, r)) for r in ws.iter_rows(min_row=2, values_only=True)]
    reasons = {r["记录编号"]: r["错误原因"] for r in body}
    assert len(body) == 5
    assert "统一社会信用代码校验码不正确" in reasons[rows[1]["记录编号"]]
    assert "未知的信息类别" in reasons[rows[2]["记录编号"]]
    assert [r["原文件行号"] for r in body if r["记录编号"] == dup] == [6, 7]  # row 2 is the example
    assert all("重复" in r["错误原因"] for r in body if r["记录编号"] == dup)
    formula = next(r for r in body if r["记录编号"] == rows[5]["记录编号"])
    assert "公式" in formula["错误原因"] and formula["罚款金额（万元）"] == FORMULA_PLACEHOLDER
    # The rejected rows' workbook is itself a valid upload once fixed.
    assert (await _upload(client, download.content)).status_code == 303


def _zip(members: dict[str, bytes], *, level: int = 6) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _members(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {n: archive.read(n) for n in archive.namelist()}


def _bomb(template: bytes) -> bytes:
    """The template plus one member that inflates to more than the limit (written in chunks)."""
    out = io.BytesIO(template)
    chunk = b"\0" * (1024 * 1024)
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("xl/media/padding.bin", "w", force_zip64=True) as member:
            for _ in range(get_settings().xlsx_max_unzipped_bytes // len(chunk) + 1):
                member.write(chunk)
    return out.getvalue()


async def test_refused_files_get_a_clear_chinese_message_and_no_job(client, monkeypatch):
    agency = await _officer(client)
    template = (await client.get("/agency/templates/penalty.xlsx")).content
    macro = _members(template)
    macro["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0 not really vba"
    macro["[Content_Types].xml"] = macro["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>',
    )
    other = Workbook()
    other.active.append(["名称", "金额"])
    wrong_header = io.BytesIO()
    other.save(wrong_header)
    cases = {
        "含宏": _zip(macro),
        "解压后过大": _bomb(template),
        "不是 Excel 工作簿": b"%PDF-1.4 this is not a workbook at all",
        "已加密": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1024,
        "表头与本系统发布的模板不一致": wrong_header.getvalue(),
    }
    before = set(imports.imports_dir().iterdir())
    for expected, content in cases.items():
        response = await _upload(client, content)
        assert response.status_code == 400, (expected, response.status_code)
        assert expected in response.text, expected
    monkeypatch.setenv("PORTAL_XLSX_MAX_BYTES", str(len(template) - 1))
    get_settings.cache_clear()
    try:
        response = await _upload(client, template)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert response.status_code == 413 and "文件超过" in response.text
    # A body over the route's limit is stopped while it is read, with the same Chinese 413.
    response = await _upload(client, b"\0" * (get_settings().xlsx_max_bytes + 512 * 1024))
    assert response.status_code == 413 and "文件超过" in response.text
    assert await ImportJob.count().where(ImportJob.agency == agency["id"]) == 0
    assert set(imports.imports_dir().iterdir()) == before  # a refused file is not kept


async def test_another_agency_cannot_see_the_job_or_its_rejected_rows(app, client):
    from litestar.testing import AsyncTestClient

    await _officer(client)
    job = await _imported(client, _filled(await _template(client), [_penalty_row(f.unique("R"), "bad")]))
    assert job["rejected"] == 1
    assert (await client.get(f"/agency/uploads/{job['id']}/rejected.xlsx")).status_code == 200
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as stranger:
        await _officer(stranger)
        assert (await stranger.get(f"/agency/uploads/{job['id']}")).status_code == 404
        assert (await stranger.get(f"/agency/uploads/{job['id']}/rejected.xlsx")).status_code == 404
        assert f'/agency/uploads/{job["id"]}"' not in (await stranger.get("/agency/uploads")).text
    assert f'/agency/uploads/{job["id"]}"' in (await client.get("/agency/uploads")).text


class _Source:
    def __init__(self, content: bytes) -> None:
        self.buffer = io.BytesIO(content)

    async def read(self, n: int) -> bytes:
        return self.buffer.read(n)


async def test_the_page_polls_until_done_and_housekeeping_finishes_a_job_whose_worker_died(client):
    agency = await _officer(client)
    account = await f.account("agency", agency_id=agency["id"])
    content = _filled(await _template(client), [_penalty_row(f.unique("H"), f.new_uscc())])
    queued = await imports.accept(
        _Source(content), agency_id=agency["id"], account_id=account["id"], original_name="a.xlsx"
    )
    died = await imports.accept(
        _Source(content), agency_id=agency["id"], account_id=account["id"], original_name="b.xlsx"
    )
    live = await imports.accept(
        _Source(content), agency_id=agency["id"], account_id=account["id"], original_name="c.xlsx"
    )
    fragment = await client.get(f"/agency/uploads/{queued}", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and 'hx-trigger="every 1s"' in fragment.text and "排队中" in fragment.text
    long_ago = datetime.now(timezone.utc) - timedelta(hours=1)
    await ImportJob.update({ImportJob.created_at: long_ago}).where(ImportJob.id == queued)
    await ImportJob.update(
        {ImportJob.status: ImportStatus.RUNNING, ImportJob.heartbeat_at: long_ago, ImportJob.created_at: long_ago}
    ).where(ImportJob.id == died)
    # A running job with a fresh heartbeat belongs to a live worker: not taken over.
    await ImportJob.update(
        {
            ImportJob.status: ImportStatus.RUNNING,
            ImportJob.heartbeat_at: datetime.now(timezone.utc),
            ImportJob.created_at: long_ago,
        }
    ).where(ImportJob.id == live)
    assert await imports.resume_stale() == "imports resumed: 2"
    assert (await ImportJob.select(ImportJob.status).where(ImportJob.id == live).first())[
        "status"
    ] == ImportStatus.RUNNING
    rows = await ImportJob.select(ImportJob.status, ImportJob.created, ImportJob.unchanged).where(
        ImportJob.id.is_in([queued, died])
    )
    assert sorted(r["status"] for r in rows) == [ImportStatus.DONE] * 2
    assert sorted(r["created"] + r["unchanged"] for r in rows) == [1, 1]
    fragment = await client.get(f"/agency/uploads/{queued}", headers={"HX-Request": "true"})
    assert "every 1s" not in fragment.text and "已完成" in fragment.text


@pytest.mark.parametrize("column", ["宗教信仰", "血型"])
async def test_a_workbook_with_a_forbidden_column_is_refused_naming_it_and_the_rule(client, column):
    """R-09: a column the platform must never collect refuses the file, naming the column and the
    rule; nothing of its cells is read or kept."""
    agency = await _officer(client)
    wb = await _template(client)
    ws = wb.worksheets[0]
    ws.cell(row=1, column=ws.max_column + 1, value=column)
    ws.append([None] * (ws.max_column - 1) + ["AB型"])
    out = io.BytesIO()
    wb.save(out)
    before = set(imports.imports_dir().iterdir())
    response = await _upload(client, out.getvalue())
    assert response.status_code == 400
    assert f"“{column}”" in response.text and "第九条" in response.text and "AB型" not in response.text
    assert await ImportJob.count().where(ImportJob.agency == agency["id"]) == 0
    assert set(imports.imports_dir().iterdir()) == before


async def test_rejected_rows_workbooks_are_deleted_after_30_days(client):
    """The rejected rows repeat what was uploaded (names, maybe ID numbers): kept for 30 days for the
    agency to fix and resend, then deleted by housekeeping, and the page stops offering them."""
    from datetime import datetime, timedelta, timezone

    await _officer(client)
    wrong = f.new_uscc()
    wrong = wrong[:17] + ("0" if wrong[17] != "0" else "1")
    job = await _imported(client, _filled(await _template(client), [_penalty_row(f.unique("W"), wrong)]))
    assert job["rejected_name"] and job["status"] == ImportStatus.DONE
    path = imports.rejected_path(job)
    assert path.is_file()
    await imports.sweep_rejected(now=datetime.now(timezone.utc) + timedelta(days=29))
    assert path.is_file()  # within the 30 days
    await imports.sweep_rejected(now=datetime.now(timezone.utc) + timedelta(days=31))
    assert not path.exists()
    assert (await ImportJob.select(ImportJob.rejected_name).where(ImportJob.id == job["id"]).first())[
        "rejected_name"
    ] == ""
    assert (await client.get(f"/agency/uploads/{job['id']}/rejected.xlsx")).status_code == 404
    assert "下载未导入的行" not in (await client.get(f"/agency/uploads/{job['id']}")).text


async def test_a_resumed_job_skips_the_rows_its_dead_worker_committed(client, monkeypatch):
    """The reading process skips the rows before ``rows_done`` (committed by the worker that died):
    they are neither read again nor written again; the rest is imported."""
    agency = await _officer(client)
    account = await f.account("agency", agency_id=agency["id"])
    refs = [f.unique("R") for _ in range(3)]
    title = {"信息名称": "续传测试的处罚信息"}  # not a title other tests look for in public feeds
    content = _filled(await _template(client), [_penalty_row(ref, f.new_uscc(), **title) for ref in refs])
    monkeypatch.setattr(imports, "CHUNK", 1)
    job_id = await imports.accept(
        _Source(content), agency_id=agency["id"], account_id=account["id"], original_name="a.xlsx"
    )
    long_ago = datetime.now(timezone.utc) - timedelta(hours=1)
    await ImportJob.update(
        {
            ImportJob.status: ImportStatus.RUNNING,
            ImportJob.heartbeat_at: long_ago,
            ImportJob.rows_done: 1,
            ImportJob.created: 1,
        }
    ).where(ImportJob.id == job_id)
    await imports.run(job_id)
    job = await ImportJob.select().where(ImportJob.id == job_id).first()
    assert (job["status"], job["rows_total"], job["rows_done"], job["created"]) == (ImportStatus.DONE, 3, 3, 3)
    stored = await CreditRecord.select(CreditRecord.provider_ref).where(CreditRecord.provider == agency["id"])
    assert sorted(r["provider_ref"] for r in stored) == sorted(refs[1:])


async def test_a_reader_that_dies_fails_the_job_and_leaves_no_copy_of_the_file(client, monkeypatch):
    agency = await _officer(client)
    account = await f.account("agency", agency_id=agency["id"])
    content = _filled(await _template(client), [_penalty_row(f.unique("K"), f.new_uscc())])
    job_id = await imports.accept(
        _Source(content), agency_id=agency["id"], account_id=account["id"], original_name="a.xlsx"
    )
    before = set(imports.imports_dir().iterdir())
    start = imports._start_reader

    def dying(path, *args):
        proc = start(path, *args)
        proc.kill()  # as if the OS ended it (out of memory)
        return proc

    monkeypatch.setattr(imports, "_start_reader", dying)
    await imports.run(job_id)
    job = await ImportJob.select().where(ImportJob.id == job_id).first()
    assert job["status"] == ImportStatus.FAILED and "重新上传" in job["error"]
    assert await CreditRecord.count().where(CreditRecord.provider == agency["id"]) == 0
    assert not any(p.name.startswith(Path(job["stored_name"]).stem) for p in imports.imports_dir().iterdir())
    assert set(imports.imports_dir().iterdir()) <= before


async def test_a_twin_in_the_last_chunk_refuses_the_first_and_single_ids_are_all_imported(client, monkeypatch):
    """Rows are written while the sheet is still read: a row whose id repeats further down is held
    back, never written, and both twins are refused; without repeats every row is imported."""
    agency = await _officer(client)
    account = await f.account("agency", agency_id=agency["id"])
    monkeypatch.setattr(imports, "CHUNK", 2)
    twin = f.unique("T")
    refs = [twin] + [f.unique("S") for _ in range(5)] + [twin]
    rows = [_penalty_row(ref, f.new_uscc()) for ref in refs]

    async def run(rows) -> dict:
        content = _filled(await _template(client), rows)
        job_id = await imports.accept(
            _Source(content), agency_id=agency["id"], account_id=account["id"], original_name="a.xlsx"
        )
        await imports.run(job_id)
        return await ImportJob.select().where(ImportJob.id == job_id).first()

    job = await run(rows)
    assert (job["status"], job["rows_total"], job["created"], job["rejected"]) == (ImportStatus.DONE, 7, 5, 2)
    stored = await CreditRecord.select(CreditRecord.provider_ref).where(CreditRecord.provider == agency["id"])
    assert sorted(r["provider_ref"] for r in stored) == sorted(refs[1:-1])
    # The rejected rows' workbook finds both twins, in the first and the last chunk of the rows kept.
    download = await client.get(f"/agency/uploads/{job['id']}/rejected.xlsx")
    assert download.status_code == 200
    body = list(load_workbook(io.BytesIO(download.content)).worksheets[0].iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[-2]) for r in body] == [(twin, 3), (twin, 9)]
    singles = [f.unique("N") for _ in range(5)]
    job = await run([_penalty_row(ref, f.new_uscc()) for ref in singles])
    assert (job["status"], job["rows_total"], job["created"], job["rejected"]) == (ImportStatus.DONE, 5, 5, 0)


async def test_one_new_subject_named_in_neighbouring_chunks_is_registered_once(client, monkeypatch):
    """Chunks are written one after the other (SQLite) or, on PostgreSQL, the next while the one
    before is still being written: a new enterprise and a new person named in consecutive chunks
    are still registered once, every row is imported, and the job's counts are exact."""
    agency = await _officer(client)
    account = await f.account("agency", agency_id=agency["id"])
    monkeypatch.setattr(imports, "CHUNK", 2)
    uscc, person, existing = f.new_uscc(), f.new_id_number(), await f.legal_subject()
    natural = {"行政相对人类别": "自然人", "行政相对人名称": "王续表", "公民身份号码": person}
    natural["信息类别代码"] = "person_penalty"
    known = {"行政相对人名称": existing["name"]}
    rows = [
        _penalty_row(f.unique("C"), f.new_uscc()),
        _penalty_row(f.unique("C"), uscc),  # chunk 1
        _penalty_row(f.unique("C"), uscc),  # chunk 2: the same new enterprise
        _penalty_row(f.unique("C"), "", **natural),
        _penalty_row(f.unique("C"), "", **natural),  # chunk 3: the same new person
        _penalty_row(f.unique("C"), existing["uscc"], **known),
        _penalty_row(f.unique("C"), existing["uscc"], **known),  # chunk 4: a stored one, twice
    ]
    content = _filled(await _template(client), rows)
    # The worst timing: the first chunk looks the enterprise up, then waits (up to a second) until
    # a later chunk has inserted it. Were that later chunk written beside the first, the first
    # chunk's insert would wait for its commit, and it for the first chunk's: a hang.
    lookup, insert, inserted, looked_up = bulk._subjects, bulk._insert, asyncio.Event(), []

    async def slow_lookup(keys):
        found = await lookup(keys)
        if ("uscc", uscc) in keys:
            looked_up.append(uscc)
            if len(looked_up) == 1:
                with anyio.move_on_after(1):
                    await inserted.wait()
        return found

    async def watched_insert(table, rows, *args):
        made = await insert(table, rows, *args)
        if table is Subject and any(row.get("uscc") == uscc for row in rows):
            inserted.set()
        return made

    monkeypatch.setattr(bulk, "_subjects", slow_lookup)
    monkeypatch.setattr(bulk, "_insert", watched_insert)
    job_id = await imports.accept(
        _Source(content), agency_id=agency["id"], account_id=account["id"], original_name="a.xlsx"
    )
    with anyio.fail_after(30):
        await imports.run(job_id)
    job = await ImportJob.select().where(ImportJob.id == job_id).first()
    assert (job["status"], job["rows_done"], job["created"], job["rejected"]) == (ImportStatus.DONE, 7, 7, 0)
    R = CreditRecord
    stored = await R.select(R.provider_ref, R.subject).where(R.provider == agency["id"]).order_by(R.id)
    assert len(stored) == 7
    assert stored[1]["subject"] == stored[2]["subject"] and stored[3]["subject"] == stored[4]["subject"]
    assert stored[5]["subject"] == stored[6]["subject"] == existing["id"]
    assert await Subject.count().where(Subject.uscc == uscc) == 1


async def test_a_chunk_that_fails_leaves_the_chunks_before_it_committed_and_counted(client, monkeypatch):
    """Progress is committed with each chunk, in file order: after a failure the job says exactly
    how many rows are in, and those rows are the ones stored."""
    agency = await _officer(client)
    account = await f.account("agency", agency_id=agency["id"])
    monkeypatch.setattr(imports, "CHUNK", 2)
    refs = [f.unique("F") for _ in range(9)]
    content = _filled(await _template(client), [_penalty_row(ref, f.new_uscc()) for ref in refs])
    apply_many, calls = imports.service.apply_many, []

    async def failing_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("database gone")
        return await apply_many(*args, **kwargs)

    monkeypatch.setattr(imports.service, "apply_many", failing_third)
    job_id = await imports.accept(
        _Source(content), agency_id=agency["id"], account_id=account["id"], original_name="a.xlsx"
    )
    await imports.run(job_id)
    job = await ImportJob.select().where(ImportJob.id == job_id).first()
    assert job["status"] == ImportStatus.FAILED
    # Chunks 1 and 2 (four rows) are in; chunk 3 and everything after it: nothing.
    assert (job["rows_done"], job["created"], job["rejected"]) == (4, 4, 0)
    stored = await CreditRecord.select(CreditRecord.provider_ref).where(CreditRecord.provider == agency["id"])
    assert sorted(r["provider_ref"] for r in stored) == sorted(refs[:4])


def _spoil_last_row(content: bytes, cell: bytes) -> bytes:
    """The workbook with ``cell`` added to the sheet's last row, and a long text far right in its
    third data row (row 5), so that the first two data rows and the last lie in different pieces
    of the sheet's parse (cells past the template's columns are not read)."""
    members = _members(content)
    name = next(n for n in members if n.startswith("xl/worksheets/sheet"))
    sheet = members[name]
    end = sheet.rindex(b"</row>")
    sheet = sheet[:end] + cell + sheet[end:]
    first = sheet.index(b"</row>", sheet.index(b'<row r="5"'))
    filler = b'<c r="ZZ5" t="inlineStr"><is><t>' + os.urandom(600_000).hex().encode() + b"</t></is></c>"
    members[name] = sheet[:first] + filler + sheet[first:]
    return _zip(members)


async def test_rows_go_out_early_but_a_file_damaged_at_its_end_writes_nothing(client, monkeypatch):
    """Rows are written while the sheet is still read; a sheet the parse would refuse in its last
    row is found out before the first row is written, so nothing of it is committed."""
    agency = await _officer(client)
    account = await f.account("agency", agency_id=agency["id"])
    monkeypatch.setattr(imports, "CHUNK", 2)
    rows = [_penalty_row(f.unique("Z"), f.new_uscc()) for _ in range(6)]
    content = _filled(await _template(client), rows)

    async def run(content: bytes) -> dict:
        job_id = await imports.accept(
            _Source(content), agency_id=agency["id"], account_id=account["id"], original_name="a.xlsx"
        )
        await imports.run(job_id)
        return await ImportJob.select().where(ImportJob.id == job_id).first()

    damaged = _spoil_last_row(content, b'<c r="ZZ99" t="inlineStr"><is><t>x\x01</t></is></c>')
    job = await run(damaged)
    assert job["status"] == ImportStatus.FAILED and "损坏" in job["error"]
    assert await CreditRecord.count().where(CreditRecord.provider == agency["id"]) == 0
    # A cell its type cannot hold spoils its row only: the others are imported.
    unreadable = _spoil_last_row(content, b'<c r="L99" t="n"><v>abc</v></c>')
    job = await run(unreadable)
    assert (job["status"], job["created"], job["rejected"]) == (ImportStatus.DONE, 5, 1)
    stored = await CreditRecord.select(CreditRecord.provider_ref).where(CreditRecord.provider == agency["id"])
    assert sorted(r["provider_ref"] for r in stored) == sorted(r["记录编号"] for r in rows[:5])
